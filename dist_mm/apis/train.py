"""Train a dist_mm distillation (or any OpenMMLab) config with mmengine:
what ``tools/train.py``, ``tools/dist_train.sh``, ``tools/slurm_train.sh``
and ``mim train dist_mm CONFIG`` run."""
import argparse
import os
from typing import List, Optional

from mmengine.config import Config, DictAction

from ..compat import ATOMIC_BACKEND_ARGS
from ..engine import amp_optim_wrapper
from ..utils import check_data_roots, check_work_dir, load_tool_config

LAUNCHERS = ['none', 'pytorch', 'slurm', 'mpi']


def tool_parser(task: str) -> argparse.ArgumentParser:
    """The flags the train and test tools share (``task``: ``'train'`` or
    ``'test'``): the config, ``--work-dir``, ``--amp``, ``--cfg-options``,
    ``--launcher`` and ``--local_rank`` / ``--local-rank``."""
    parser = argparse.ArgumentParser(description=f'{task.title()} a model')
    parser.add_argument('config', help=f'{task} config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--amp',
        action='store_true',
        help=f'enable automatic mixed precision {task}ing')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, e.g. key=value')
    parser.add_argument(
        '--launcher', choices=LAUNCHERS, default='none', help='job launcher')
    # torch.distributed.launch passes --local-rank on torch 2.x and
    # --local_rank on older versions: accept both.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    return parser


def parse_train_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the train tool's flags (``argv``: default ``sys.argv``); sets
    ``LOCAL_RANK`` from ``--local-rank`` unless the launcher did."""
    parser = tool_parser('train')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the latest checkpoint in the work_dir '
        'automatically, or from the given checkpoint path')
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_train_config(args: argparse.Namespace) -> Config:
    """The config the Runner trains: the file with the flags applied, AMP's
    optimizer wrapper for the device, checkpoints through the atomic
    backend, and the resume settings."""
    from mmengine.device import get_device
    cfg = load_tool_config(args.config, args.launcher, args.cfg_options,
                           args.work_dir)
    if args.amp:
        cfg.optim_wrapper = amp_optim_wrapper(cfg.optim_wrapper, get_device())
    # checkpoints are written atomically (a kill while saving keeps the
    # previous one), unless the config names a backend of its own
    checkpoint = cfg.default_hooks.get('checkpoint')
    if checkpoint is not None and not checkpoint.get('backend_args'):
        checkpoint.backend_args = dict(ATOMIC_BACKEND_ARGS)
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def train(argv: Optional[List[str]] = None) -> None:
    """Parse ``argv``, check the work dir and data roots, and train."""
    from mmengine.runner import Runner
    from mmrazor.utils import register_all_modules
    args = parse_train_args(argv)
    register_all_modules(False)
    cfg = build_train_config(args)
    check_work_dir(cfg.work_dir)
    check_data_roots(cfg, ('train_dataloader', 'val_dataloader'))
    Runner.from_cfg(cfg).train()
