"""Every config in configs/ loads and builds its distillation model.

The model-zoo teacher checkpoints cannot be downloaded here: each test saves
a checkpoint of the teacher's architecture locally and points teacher_ckpt at
it, so the strict teacher loading runs for real.
"""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from dist_mm.algorithms.dist_plus_distill import build_model
from mmrazor.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
ALL = sorted(p for p in glob.glob(osp.join(ROOT, 'configs', '*', '*.py'))
             if not osp.basename(p).startswith('_'))
DEMO = [p for p in ALL if osp.basename(osp.dirname(p)) == 'demo']
CONFIGS = [p for p in ALL if p not in DEMO]


@pytest.fixture(scope='module')
def teacher_ckpts(tmp_path_factory):
    """One locally saved checkpoint per teacher architecture."""
    cache = {}

    def get(teacher_cfg):
        key = str(teacher_cfg)
        if key not in cache:
            path = tmp_path_factory.mktemp('teachers') / f'{len(cache)}.pth'
            teacher = build_model(teacher_cfg.to_dict())
            torch.save(dict(state_dict=teacher.state_dict(),
                            meta=dict(arch=key)), path)
            cache[key] = str(path)
        return cache[key]

    return get


def test_all_benchmark_configs_are_found():
    names = {osp.relpath(p, osp.join(ROOT, 'configs')) for p in CONFIGS}
    for family in ('faster-rcnn', 'retinanet', 'pspnet', 'deeplabv3'):
        assert any(n.startswith(f'{family}/dist_') for n in names), family
        assert any(n.startswith(f'{family}/distplus_') for n in names), family


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.relpath(p, ROOT) for p in CONFIGS])
def test_config_builds_with_local_teacher_checkpoint(path, teacher_ckpts):
    cfg = Config.fromfile(path)
    assert 'dist_mm' in cfg.custom_imports['imports']
    assert cfg.model.type == 'DISTPlusDistill'
    assert str(cfg.model.teacher_ckpt).startswith('https://download.'
                                                  'openmmlab.com/')
    cfg.model.teacher_ckpt = teacher_ckpts(cfg.model.teacher)
    model = MODELS.build(cfg.model)
    losses = model.distiller.distill_losses
    assert any(type(v).__name__ == 'DISTLogitLoss' for v in losses.values())
    if osp.basename(path).startswith('distplus_'):
        assert any(type(v).__name__ == 'DISTFeatureLoss'
                   for v in losses.values())
        assert any(type(v).__name__ == 'TeacherAcclimationLoss'
                   for v in losses.values())
        assert model.acclimated_params
        assert all(p.requires_grad == (n in model.acclimated_params)
                   for n, p in model.teacher.named_parameters())
        # the acclimated teacher is evaluated at validation and guarded
        assert cfg.val_cfg.type == 'mmrazor.SingleTeacherDistillValLoop'
        assert [h.type for h in cfg.custom_hooks] == ['TeacherGuardHook']
    else:
        assert not any(p.requires_grad for p in model.teacher.parameters())


@pytest.mark.parametrize('path', DEMO, ids=[osp.relpath(p, ROOT) for p in DEMO])
def test_demo_config_builds(path, teacher_ckpts):
    """Demo configs inherit the real ones; distillation demos get a local
    teacher checkpoint, the teacher / baseline demos build plain models."""
    cfg = Config.fromfile(path)
    if cfg.model.get('type') == 'DISTPlusDistill':
        assert cfg.model.teacher_ckpt == cfg.demo_teacher_ckpt
        cfg.model.teacher_ckpt = teacher_ckpts(cfg.model.teacher)
        model = MODELS.build(cfg.model)
        assert model.data_preprocessor.size == cfg.demo_image_size
    else:
        model = MODELS.build(cfg.model)
        assert model.data_preprocessor.size == cfg.demo_image_size
    assert cfg.train_cfg.max_iters >= cfg.demo_iters
    assert cfg.train_dataloader.dataset.data_root == cfg.demo_data_root
