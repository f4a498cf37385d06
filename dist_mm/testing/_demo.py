"""A working directory for the demo configs: data and a teacher."""
import os
import os.path as osp
from pathlib import Path

import torch

from mmengine.config import Config

from ..datasets import make_cityscapes
from ..demo.pairs import CONFIG_DIR as DEMO_CONFIGS


def prepare_demo_dir(path: Path,
                     train_images: int = 8,
                     val_images: int = 4) -> Path:
    """Fill ``path`` so the demo configs run there without training a
    teacher first: synthetic Cityscapes data under
    ``data/synthetic_cityscapes`` and a checkpoint of the demo teacher's
    architecture (seeded random weights) at ``work_dirs/demo/teacher.pth``.

    Returns:
        Path: ``path``.
    """
    from ..algorithms.dist_plus_distill import build_model
    make_cityscapes(
        str(path / 'data' / 'synthetic_cityscapes'), train_images, val_images)
    cfg = Config.fromfile(osp.join(DEMO_CONFIGS, 'distplus_pspnet_demo.py'))
    torch.manual_seed(0)
    teacher = build_model(cfg.model.teacher.to_dict())
    os.makedirs(path / 'work_dirs' / 'demo', exist_ok=True)
    torch.save(
        dict(state_dict=teacher.state_dict()),
        path / 'work_dirs' / 'demo' / 'teacher.pth')
    return path
