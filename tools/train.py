"""Train a dist_mm distillation (or any OpenMMLab) config with mmengine.

Used directly, by ``tools/dist_train.sh`` / ``tools/slurm_train.sh`` and by
``mim train dist_mm CONFIG``. ``dist_mm`` is imported first so that its
torch 2.x fixes are applied before mmrazor is imported.
"""
import argparse
import os

import dist_mm  # noqa: F401  (torch 2.x fixes, registers dist_mm classes)
from dist_mm.compat import ATOMIC_BACKEND_ARGS
from dist_mm.engine import amp_optim_wrapper
from dist_mm.utils import check_data_roots, check_work_dir, load_tool_config
from mmengine.config import Config, DictAction
from mmengine.device import get_device
from mmengine.runner import Runner
from mmrazor.utils import register_all_modules


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic mixed precision training')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from the latest checkpoint in the work_dir '
        'automatically, or from the given checkpoint path')
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
    # torch.distributed.launch passes --local-rank on torch 2.x and
    # --local_rank on older versions: accept both.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_config(args: argparse.Namespace) -> Config:
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


def main() -> None:
    args = parse_args()
    register_all_modules(False)
    cfg = build_config(args)
    check_work_dir(cfg.work_dir)
    check_data_roots(cfg, ('train_dataloader', 'val_dataloader'))
    runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
