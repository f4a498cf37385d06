"""Evaluate a checkpoint of a dist_mm (or any OpenMMLab) config: what
``tools/test.py``, ``tools/dist_test.sh``, ``tools/slurm_test.sh`` and
``mim test dist_mm CONFIG --checkpoint CKPT`` run."""
import argparse
import json
import os
from typing import Dict, List, Optional

from ..utils import check_data_roots, check_work_dir, load_tool_config
from .train import tool_parser


def parse_test_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the test tool's flags (``argv``: default ``sys.argv``)."""
    parser = tool_parser('test')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--dump-metrics', help='also write the metrics to this JSON file')
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def test(argv: Optional[List[str]] = None) -> Dict[str, float]:
    """Parse ``argv``, evaluate the checkpoint and return the metrics
    (also written to ``--dump-metrics``)."""
    from mmengine.runner import Runner
    from mmrazor.utils import register_all_modules
    args = parse_test_args(argv)
    register_all_modules(False)
    cfg = load_tool_config(args.config, args.launcher, args.cfg_options,
                           args.work_dir)
    if args.amp:
        cfg.test_cfg.fp16 = True
    cfg.load_from = args.checkpoint
    check_work_dir(cfg.work_dir)
    check_data_roots(cfg, ('test_dataloader', ))
    metrics = {k: float(v) for k, v in Runner.from_cfg(cfg).test().items()}
    if args.dump_metrics:
        with open(args.dump_metrics, 'w') as f:
            json.dump(metrics, f, indent=1)
    return metrics
