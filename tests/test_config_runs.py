"""Every config in configs/ trains, and the config READMEs' commands run.

The real configs read COCO from ``data/coco`` and Cityscapes from
``data/cityscapes``; here those are the project's synthetic datasets in the
same layouts, in a scratch directory that links ``configs/`` and
``tools/``. Models are the configs' own (R-50 / R-101 / X-101 students and
teachers, random weights, the teacher loaded strictly from a locally saved
checkpoint of its architecture); only image sizes, the number of images and
the schedule are CPU-sized: 2 training iterations and one validation.
"""
import os
import os.path as osp
import re
import shlex
import socket
import subprocess
import sys
from typing import Any, Callable, Dict, List

import pytest
import torch

from dist_mm.datasets import make_cityscapes, make_coco
from dist_mm.utils import load_tool_config
from mmdet.datasets import CocoDataset
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.runner import Runner

pytestmark = pytest.mark.slow

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    osp.relpath(osp.join(d, f), ROOT)
    for d, _, files in os.walk(osp.join(ROOT, 'configs')) for f in files
    if f.endswith('.py') and not f.startswith('_') and osp.basename(d) not in (
        '_base_', 'demo'))
READMES = sorted(
    osp.relpath(osp.join(ROOT, 'configs', d, 'README.md'), ROOT)
    for d in os.listdir(osp.join(ROOT, 'configs'))
    if osp.isfile(osp.join(ROOT, 'configs', d, 'README.md')))
DET_SIZE, SEG_SIZE = (128, 128), (128, 64)  # (w, h) of the images
DET_IMAGES = 4  # two iterations of the configs' 2 images per GPU


@pytest.fixture(scope='module')
def workspace(tmp_path_factory):
    """A directory laid out like a user's clone: configs/, tools/, and the
    synthetic datasets where the real configs look for COCO / Cityscapes."""
    ws = tmp_path_factory.mktemp('ws')
    for name in ('configs', 'tools'):
        os.symlink(osp.join(ROOT, name), ws / name)
    # COCO's 80 category names (the shapes are the first three), as the
    # configs' CocoDataset and CocoMetric expect
    make_coco(
        str(ws / 'data' / 'coco'),
        DET_IMAGES,
        2,
        size=DET_SIZE,
        object_size=(24, 64),
        categories=CocoDataset.METAINFO['classes'])
    make_cityscapes(str(ws / 'data' / 'cityscapes'), 2, 2, size=SEG_SIZE)
    return ws


def _index(pipeline: List[Dict], *types: str) -> int:
    return next(i for i, t in enumerate(pipeline) if t['type'] in types)


def cpu_options(cfg: Config, teacher_ckpts: Callable[[Dict],
                                                     str]) -> Dict[str, Any]:
    """``--cfg-options`` making a COCO / Cityscapes config CPU-sized: small
    images, 2 training iterations, one validation, no worker processes;
    the local teacher checkpoint (``teacher_ckpts``: conftest's fixture), no
    ImageNet weights."""
    seg = 'cityscapes' in cfg.train_dataloader.dataset.data_root
    options = {}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options[f'{loader}.num_workers'] = 0
        options[f'{loader}.persistent_workers'] = False
        pipeline = cfg[loader].dataset.pipeline
        i = _index(pipeline, 'Resize', 'RandomResize', 'RandomChoiceResize')
        size = SEG_SIZE if seg else DET_SIZE
        if pipeline[i]['type'] == 'RandomChoiceResize':  # multi-scale
            options[f'{loader}.dataset.pipeline.{i}.scales'] = [size]
        else:
            options[f'{loader}.dataset.pipeline.{i}.scale'] = size
    model = 'model'
    if cfg.model.type == 'DISTPlusDistill':
        model = 'model.architecture'
        if 'cfg_path' in cfg.model.architecture:
            model += '.override'
        options['model.teacher_ckpt'] = teacher_ckpts(cfg.model.teacher)
    # no ImageNet weights for the student's backbone (no download here)
    if seg:
        options[f'{model}.pretrained'] = None
        # DDP refuses SyncBN on CPU: BN in the student and the teacher
        options.update(_bn_options(cfg.model))
        crop = _index(cfg.train_dataloader.dataset.pipeline, 'RandomCrop')
        options[f'train_dataloader.dataset.pipeline.{crop}.crop_size'] = \
            SEG_SIZE[::-1]
        options[f'{model}.data_preprocessor.size'] = SEG_SIZE[::-1]
    else:
        options[f'{model}.backbone.init_cfg'] = None
    if cfg.train_cfg.type == 'IterBasedTrainLoop':
        options.update({
            'train_cfg.max_iters': 2,
            'train_cfg.val_interval': 2,
            'default_hooks.checkpoint.interval': 2
        })
    else:
        options.update({
            'train_cfg.max_epochs': 1,
            'train_cfg.val_interval': 1
        })
    return options


def _sync_bn(node: Any, path: str) -> List[str]:
    """Config keys (under ``path``) of every SyncBN ``norm_cfg``."""
    if isinstance(node, dict):
        if node.get('type') == 'SyncBN':
            return [path]
        return [
            k for key, value in node.items()
            for k in _sync_bn(value, f'{path}.{key}')
        ]
    return []


def _bn_options(model: Config) -> Dict[str, str]:
    """BN for the SyncBN layers of a distillation model's student and
    teacher, or of a plain model (``cfg_path`` models: in their
    ``override``)."""
    options = {}
    parts = [('model', model)] if 'architecture' not in model else [
        ('model.architecture', model.architecture),
        ('model.teacher', model.teacher)
    ]
    for key, part in parts:
        if 'cfg_path' in part:
            key, part = f'{key}.override', get_config(part.cfg_path).model
        options.update({f'{k}.type': 'BN' for k in _sync_bn(part, key)})
    return options


def as_cli(options: Dict[str, Any]) -> List[str]:
    """``options`` as ``--cfg-options`` arguments (mmengine's DictAction
    reads tuples and lists written without spaces)."""

    def text(value):
        if isinstance(value, (tuple, list)):
            inner = ','.join(map(text, value))
            return f'({inner})' if isinstance(value, tuple) else f'[{inner}]'
        return str(value)

    return ['--cfg-options'] + [f'{k}={text(v)}' for k, v in options.items()]


@pytest.mark.parametrize('path', CONFIGS)
def test_config_trains_two_iterations(path, workspace, teacher_ckpts,
                                      monkeypatch):
    """The config as shipped (models, distiller, optimizer, hooks), on the
    synthetic data: 2 training iterations with finite losses, distillation
    losses among them, and a validation."""
    monkeypatch.chdir(workspace)
    cfg = load_tool_config(path)
    cfg.merge_from_dict(cpu_options(cfg, teacher_ckpts))
    cfg.work_dir = str(workspace / 'work_dirs' / osp.basename(path)[:-3])
    cfg.default_hooks.logger.interval = 1
    runner = Runner.from_cfg(cfg)
    runner.train()
    scalars = runner.message_hub.log_scalars
    assert runner.iter == 2
    losses = {
        k: v.current()
        for k, v in scalars.items() if k.startswith('train/') and 'loss' in k
    }
    assert losses and all(
        torch.isfinite(torch.tensor(v)) for v in losses.values()), losses
    assert any('distill' in k for k in losses), sorted(losses)
    assert 'val/time' in scalars  # the validation ran
    # (random detectors detect nothing, so pycocotools has no metric: the
    # demo's trained ones do; random segmenters score every pixel)
    if 'cityscapes' in cfg.val_dataloader.dataset.data_root:
        assert 'val/mIoU' in scalars
        if cfg.val_cfg.type == 'mmrazor.SingleTeacherDistillValLoop':
            assert 'val/teacher.mIoU' in scalars, sorted(scalars)


def readme_commands(readme: str) -> List[List[str]]:
    """The commands of the README's ``bash`` blocks, as argument lists."""
    with open(osp.join(ROOT, readme)) as f:
        blocks = re.findall(r'```bash\n(.*?)```', f.read(), re.S)
    return [
        shlex.split(line, comments=True) for block in blocks
        for line in block.splitlines()
        if line.strip() and not line.lstrip().startswith('#')
    ]


def _free_port() -> str:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])


@pytest.mark.parametrize('readme', READMES)
def test_config_readme_commands_run(readme, workspace, teacher_ckpts):
    """Each command of the README as written, from a user's clone, with one
    process instead of the GPU count, the CPU-sized ``--cfg-options``
    appended, and ``<config>`` placeholders filled from the run before."""
    commands = readme_commands(readme)
    assert commands, f'{readme} has no bash commands'
    env = dict(os.environ, PYTHON=sys.executable)
    last_checkpoint = None
    for argv in commands:
        script = osp.basename(argv[1])  # bash / python <script>
        if argv[0] == 'python':
            argv[0] = sys.executable
        argv = [last_checkpoint if '<config>' in a else a for a in argv]
        if script in ('dist_train.sh', 'dist_test.sh'):
            procs = 3 if script == 'dist_train.sh' else 4
            assert argv[procs].isdigit(), argv
            argv[procs] = '1'
            argv += as_cli(
                cpu_options(load_tool_config(argv[2]), teacher_ckpts))
            env['PORT'] = _free_port()
        out = subprocess.run(
            argv,
            cwd=workspace,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
        assert out.returncode == 0, f'{shlex.join(argv)}\n{out.stdout[-5000:]}'
        if script == 'dist_train.sh':
            work_dir = osp.join(workspace, 'work_dirs',
                                osp.basename(argv[2])[:-3])
            with open(osp.join(work_dir, 'last_checkpoint')) as f:
                last_checkpoint = f.read().strip()
        elif script == 'dist_test.sh':  # the test loop ran to its end
            assert re.search(r'(Epoch|Iter)\(test\) \[(\d+)/\2\]',
                             out.stdout), out.stdout[-3000:]
