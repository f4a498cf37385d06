"""Train a dist_mm distillation (or any OpenMMLab) config with mmengine:
what ``tools/train.py``, ``tools/dist_train.sh``, ``tools/slurm_train.sh``
and ``mim train dist_mm CONFIG`` run."""
import argparse
import os
import os.path as osp
from typing import List, Optional

from mmengine.config import Config, ConfigDict, DictAction
from mmengine.logging import print_log

from ..engine import (ATOMIC_BACKEND_ARGS, PREEMPTION_SIGNALS,
                      amp_optim_wrapper, find_resumable_checkpoint,
                      restart_reason)
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
        help='resume from the newest intact checkpoint in the work_dir, or '
        'from the given checkpoint path. Without it a run resumes by itself '
        'when its Slurm job was requeued, its torchrun workers restarted, '
        'or the previous run in the work_dir was interrupted')
    parser.add_argument(
        '--checkpoint-minutes',
        type=float,
        metavar='MINUTES',
        help='also save a checkpoint at most every MINUTES minutes (the '
        'newest one is kept), so that a job killed without warning loses at '
        'most that much training')
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
    cfg.train_cfg = resumable_train_cfg(cfg.get('train_cfg'))
    add_preemption_hooks(cfg, args.checkpoint_minutes)
    resume = args.resume
    if resume is None:
        reason = restart_reason(cfg.work_dir)
        if reason:
            print_log(f'Resuming automatically: {reason}.', logger='current')
            resume = 'auto'
    if resume == 'auto':
        cfg.resume = True
        cfg.load_from = find_resumable_checkpoint(checkpoint_dir(cfg))
    elif resume is not None:
        cfg.resume = True
        cfg.load_from = resume
    return cfg


def resumable_train_cfg(train_cfg: Optional[dict]) -> Optional[dict]:
    """``train_cfg`` with mmengine's ``EpochBasedTrainLoop`` (named, or
    implied by ``by_epoch=True``) replaced by
    :class:`~dist_mm.engine.ResumableEpochBasedTrainLoop`, which also
    resumes from checkpoints saved inside an epoch."""
    if not train_cfg:
        return train_cfg
    train_cfg = ConfigDict(train_cfg)
    if train_cfg.get('type') in ('EpochBasedTrainLoop',
                                 'mmengine.EpochBasedTrainLoop'):
        train_cfg.type = 'ResumableEpochBasedTrainLoop'
    elif 'type' not in train_cfg and train_cfg.pop('by_epoch', False):
        train_cfg.type = 'ResumableEpochBasedTrainLoop'
    return train_cfg


def add_preemption_hooks(cfg: Config,
                         checkpoint_minutes: Optional[float] = None) -> None:
    """Add a :class:`~dist_mm.engine.PreemptionCheckpointHook` (with
    ``checkpoint_minutes`` as its interval) and an
    :class:`~dist_mm.engine.RNGStateHook` to ``cfg.custom_hooks`` unless
    the config has its own, and make the training DataLoader's workers
    ignore the hook's signals
    (:func:`~dist_mm.engine.signal_safe_worker_init`)."""
    hooks = list(cfg.get('custom_hooks', None) or [])
    types = [h.get('type') for h in hooks]
    if 'RNGStateHook' not in types:
        hooks.append(dict(type='RNGStateHook'))
    if 'PreemptionCheckpointHook' not in types:
        hooks.append(
            dict(
                type='PreemptionCheckpointHook',
                interval_minutes=checkpoint_minutes))
    elif checkpoint_minutes is not None:
        hooks[types.index('PreemptionCheckpointHook')].update(
            interval_minutes=checkpoint_minutes)
    cfg.custom_hooks = hooks
    loader = cfg.get('train_dataloader')
    if loader and loader.get('num_workers') and 'worker_init_fn' not in loader:
        # Slurm signals the DataLoader workers too
        hook = next(
            h for h in hooks if h.get('type') == 'PreemptionCheckpointHook')
        loader.worker_init_fn = dict(
            type='signal_safe_worker_init',
            num_workers=loader.num_workers,
            seed=cfg.get('randomness', {}).get('seed'),
            signals=list(hook.get('signals', PREEMPTION_SIGNALS)))


def checkpoint_dir(cfg: Config) -> str:
    """Where the checkpoint hook writes: the work dir, or ``out_dir`` /
    the work dir's name when the hook has an ``out_dir``."""
    hook = (cfg.get('default_hooks') or {}).get('checkpoint') or {}
    out_dir = hook.get('out_dir')
    if out_dir:
        return osp.join(out_dir, osp.basename(osp.normpath(cfg.work_dir)))
    return cfg.work_dir


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
