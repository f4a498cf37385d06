"""Tests build models through MMRazor's registry, as configs with
``default_scope = 'mmrazor'`` do (a Runner in an earlier test may have left
another scope current); a local Slurm cluster for the launcher tests."""
import pytest
import torch

import dist_mm  # noqa: F401  (torch 2.x fixes before mmrazor is imported)
from dist_mm.algorithms import build_model
from mmengine.registry import DefaultScope

from tests import slurm_cluster


@pytest.fixture(autouse=True)
def mmrazor_scope():
    with DefaultScope.overwrite_default_scope('mmrazor'):
        yield


@pytest.fixture(scope='package')
def teacher_ckpts(tmp_path_factory):
    """``get(teacher_cfg)``: the path of a locally saved checkpoint of that
    teacher architecture (one per architecture), for configs whose
    ``teacher_ckpt`` is a model-zoo URL that cannot be downloaded here."""
    cache = {}

    def get(teacher_cfg):
        key = str(teacher_cfg)
        if key not in cache:
            path = tmp_path_factory.mktemp('teachers') / f'{len(cache)}.pth'
            teacher = build_model(teacher_cfg.to_dict())
            init_weights_offline(teacher)
            torch.save(
                dict(state_dict=teacher.state_dict(), meta=dict(arch=key)),
                path)
            cache[key] = str(path)
        return cache[key]

    return get


def init_weights_offline(model: torch.nn.Module) -> None:
    """``model.init_weights()`` without the ``Pretrained`` init_cfgs (they
    download): some parameters are allocated uninitialised until then and
    may hold NaN (DINO's ``level_embed``), which no trained teacher has."""
    for module in model.modules():
        cfgs = getattr(module, 'init_cfg', None)
        if isinstance(cfgs, dict):
            cfgs = [cfgs]
        if cfgs:
            kept = [c for c in cfgs if c.get('type') != 'Pretrained']
            module.init_cfg = kept or None
    model.init_weights()


@pytest.fixture(scope='package')
def slurm(tmp_path_factory):
    """A real local Slurm cluster (``tests/slurm_cluster.py``), shared by
    the launcher and preemption tests."""
    reason = slurm_cluster.why_unavailable()
    if reason:
        pytest.skip(reason)
    cluster = slurm_cluster.LocalSlurm(tmp_path_factory.mktemp('slurm'))
    yield cluster.start()
    cluster.stop()
