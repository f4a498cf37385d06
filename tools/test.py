"""Evaluate a checkpoint of a dist_mm (or any OpenMMLab) config.

Used directly, by ``tools/dist_test.sh`` / ``tools/slurm_test.sh`` and by
``mim test dist_mm CONFIG --checkpoint CKPT``.
"""
import argparse
import json
import os

import dist_mm  # noqa: F401  (torch 2.x fixes, registers dist_mm classes)
from dist_mm.utils import check_data_roots, check_work_dir, load_tool_config
from mmengine.config import DictAction
from mmengine.runner import Runner
from mmrazor.utils import register_all_modules


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic mixed precision inference')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, e.g. key=value')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--dump-metrics', help='also write the metrics to this JSON file')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> None:
    args = parse_args()
    register_all_modules(False)
    cfg = load_tool_config(args.config, args.launcher, args.cfg_options,
                           args.work_dir)
    if args.amp:
        cfg.test_cfg.fp16 = True
    cfg.load_from = args.checkpoint
    check_work_dir(cfg.work_dir)
    check_data_roots(cfg, ('test_dataloader', ))
    metrics = Runner.from_cfg(cfg).test()
    if args.dump_metrics:
        with open(args.dump_metrics, 'w') as f:
            json.dump({k: float(v) for k, v in metrics.items()}, f, indent=1)


if __name__ == '__main__':
    main()
