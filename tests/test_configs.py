"""Every config in configs/ loads and builds its distillation model.

The model-zoo teacher checkpoints cannot be downloaded here: each test saves
a checkpoint of the teacher's architecture locally and points teacher_ckpt at
it, so the strict teacher loading runs for real.
"""
import glob
import os.path as osp
import re

import pytest

from mmengine.config import Config
from mmrazor.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# configs/_base_ and files starting with '_' hold shared names only
ALL = sorted(
    p for p in glob.glob(osp.join(ROOT, 'configs', '[!_]*', '*.py'))
    if not osp.basename(p).startswith('_'))
DEMO = [p for p in ALL if osp.basename(osp.dirname(p)) == 'demo']
CONFIGS = [p for p in ALL if p not in DEMO]
# teachers of other families than the paper's: no acclimation (refused, or
# logits at another stride), so their DIST+ is DIST + feature relations
STRONGER = ('mask2former', 'segformer', 'dino')


def stronger(path: str) -> bool:
    return osp.basename(path).split('_')[1].split('-')[0] in STRONGER


def acclimates(path: str) -> bool:
    """The DIST+ configs acclimate their teacher, except those of the
    stronger teachers; of those, DINO -> RetinaNet acclimates the encoder
    classifier."""
    name = osp.basename(path)
    return name.startswith('distplus_') and (
        not stronger(path)
        or name.startswith('distplus_dino') and '_retinanet_' in name)


def test_all_benchmark_configs_are_found():
    names = {osp.relpath(p, osp.join(ROOT, 'configs')) for p in CONFIGS}
    for family in ('faster-rcnn', 'retinanet', 'pspnet', 'deeplabv3'):
        assert any(n.startswith(f'{family}/dist_') for n in names), family
        assert any(n.startswith(f'{family}/distplus_') for n in names), family


@pytest.mark.parametrize('student', ['pspnet', 'deeplabv3'])
@pytest.mark.parametrize('method', ['dist', 'distplus'])
def test_paper_cityscapes_rows_use_deeplabv3_teacher_and_authors_schedule(
        method, student):
    """The paper's Cityscapes rows: DeepLabV3-R101 teacher for both
    students, 8 GPUs x 2 images, lr 0.02, weight decay 5e-4, poly, 40k."""
    name = (f'{method}_deeplabv3_r101-d8_{student}_r18-d8_8xb2-40k_'
            'cityscapes-512x1024.py')
    cfg = Config.fromfile(osp.join(ROOT, 'configs', student, name))
    plain = Config.fromfile(
        osp.join(
            ROOT, 'configs', student, f'{method}_{student}_r101-d8_{student}_'
            'r18-d8_4xb2-80k_cityscapes-512x1024.py'))
    assert cfg.model.teacher.cfg_path == ('mmseg::deeplabv3/deeplabv3_r101-'
                                          'd8_4xb2-80k_cityscapes-512x1024.py')
    assert 'deeplabv3_r101-d8_512x1024' in cfg.model.teacher_ckpt
    assert cfg.model.architecture == plain.model.architecture
    assert cfg.model.distiller == plain.model.distiller
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.lr, optimizer.weight_decay) == (0.02, 5e-4)
    # DIST+ keeps its acclimated teacher's lr_mult
    assert cfg.optim_wrapper.get('paramwise_cfg') == \
        plain.optim_wrapper.get('paramwise_cfg')
    assert cfg.train_cfg.max_iters == 40000
    assert [(s.type, s.end, s.power) for s in cfg.param_scheduler] == \
        [('PolyLR', 40000, 0.9)]
    assert cfg.train_dataloader.batch_size == 2  # x 8 GPUs


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.relpath(p, ROOT) for p in CONFIGS])
def test_config_builds_with_local_teacher_checkpoint(path, teacher_ckpts):
    cfg = Config.fromfile(path)
    assert 'dist_mm' in cfg.custom_imports['imports']
    assert cfg.model.type == 'DISTPlusDistill'
    # the zoo's checkpoint (DINO Swin-L's is on GitHub)
    assert str(cfg.model.teacher_ckpt).startswith(
        ('https://download.openmmlab.com/', 'https://github.com/'))
    cfg.model.teacher_ckpt = teacher_ckpts(cfg.model.teacher)
    model = MODELS.build(cfg.model)
    losses = model.distiller.distill_losses
    # logits wherever the teacher has them for the student (a DETR-family
    # teacher has no RoI scores for Faster R-CNN)
    assert any(type(v).__name__ == 'DISTLogitLoss'
               for v in losses.values()) != ('dino' in path
                                             and 'faster-rcnn' in path)
    # the paper's temperature on detection and segmentation (the demo's
    # toy-scale tau stays in configs/demo)
    assert {v.tau for v in losses.values() if hasattr(v, 'tau')} <= {1.0}
    if osp.basename(path).startswith('distplus_'):
        assert any(
            type(v).__name__ == 'DISTFeatureLoss' for v in losses.values())
    if acclimates(path):
        assert any(
            type(v).__name__ == 'TeacherAcclimationLoss'
            for v in losses.values())
        assert model.acclimated_params
        assert all(p.requires_grad == (n in model.acclimated_params)
                   for n, p in model.teacher.named_parameters())
        # the acclimated teacher is evaluated at validation and guarded
        assert cfg.val_cfg.type == 'mmrazor.SingleTeacherDistillValLoop'
        assert [h.type for h in cfg.custom_hooks] == ['TeacherGuardHook']
    else:
        assert not any(p.requires_grad for p in model.teacher.parameters())
        assert 'TeacherGuardHook' not in [
            h.type for h in cfg.get('custom_hooks', [])
        ]
    row = osp.basename(path).split('_')[0]  # the paper's table rows
    if row == 'dist-mimic':  # MSE on 5 FPN levels through 1x1 adapters
        assert sum(type(v).__name__ == 'L2Loss' for v in losses.values()) \
            == len(model.distiller.connectors) == 5
    elif row in ('dist-cr', 'dist-sr', 'dist-cr-sr'):
        feature = [
            v for v in losses.values() if type(v).__name__ == 'DISTFeatureLoss'
        ]
        assert len(feature) == 5 and {
            (v.channel_weight > 0, v.spatial_weight > 0)
            for v in feature
        } == {
            dict(
                cr=(True, False), sr=(False, True), **{'cr-sr':
                                                       (True, True)})[row[5:]]
        }
    for name, loss in losses.items():  # 'num_classes' set to the student's
        if getattr(loss, 'anchor_classes', None) is not None:
            assert loss.anchor_classes == 80, name
    if 'cascade' in osp.basename(path):  # the authors' stage (hunto/MasKD)
        assert model.teacher_pass.stages == [0]
        assert all('bbox_head.0.' in n for n in model.acclimated_params)


@pytest.mark.parametrize(
    'path', DEMO, ids=[osp.relpath(p, ROOT) for p in DEMO])
def test_demo_config_builds(path, teacher_ckpts):
    """Demo configs inherit the real ones; distillation demos get a local
    teacher checkpoint, the teacher / baseline demos build plain models,
    all CPU-sized and trained from scratch."""
    cfg = Config.fromfile(path)
    if cfg.model.get('type') == 'DISTPlusDistill':
        assert cfg.model.teacher_ckpt.startswith('work_dirs/demo/')
        cfg.model.teacher_ckpt = teacher_ckpts(cfg.model.teacher)
        model = MODELS.build(cfg.model).student
    else:
        model = MODELS.build(cfg.model)
    if 'cityscapes' in cfg.demo_data_root:
        assert model.data_preprocessor.size == cfg.demo_image_size
    else:
        # mmdet's configs freeze the stem and BN statistics of a pretrained
        # backbone; from scratch both must train
        assert model.backbone.frozen_stages == -1
        assert not model.backbone.norm_eval
        head = getattr(model, 'bbox_head', None) or model.roi_head.bbox_head
        assert head.num_classes == len(cfg.demo_classes)
    assert cfg.train_cfg.max_iters >= cfg.demo_iters
    assert cfg.train_dataloader.dataset.data_root == cfg.demo_data_root
    if 'demo_feature_weight' in cfg:  # toy-scale weight (docs/en/demo.md)
        losses = cfg.model.distiller.distill_losses.values()
        weights = [
            x.loss_weight for x in losses if x.type == 'DISTFeatureLoss'
        ]
        assert weights and set(weights) == {cfg.demo_feature_weight}
    # acclimation of a from-scratch student's teacher waits for half the
    # student schedule (docs/en/demo.md); the real configs acclimate from
    # the start
    acclimated = cfg.model.get('type') == 'DISTPlusDistill' and any(
        x.type == 'TeacherAcclimationLoss'
        for x in cfg.model.distiller.distill_losses.values())
    assert [(h.type, h.get('begin')) for h in cfg.get('custom_hooks', [])
            ] == ([('TeacherGuardHook', None),
                   ('AcclimationWarmupHook',
                    cfg.demo_iters // 2)] if acclimated else [])
    # the curve's reference methods (KD, CWD, PKD) have no DIST loss
    reference = osp.basename(path).split('_')[0] in ('kd', 'cwd', 'pkd')
    if cfg.model.get('type') == 'DISTPlusDistill' and not reference and \
            'cityscapes' in cfg.demo_data_root:  # toy-scale tau (docs/en/demo)
        logit_losses = {
            name: x
            for name, x in cfg.model.distiller.distill_losses.items()
            if x.type == 'DISTLogitLoss'
        }
        assert {x.tau for x in logit_losses.values()} == {cfg.demo_logit_tau}
        # the paper's weights (decode 1, aux 0.4) scaled for the demo
        assert {
            name: x.loss_weight
            for name, x in logit_losses.items()
        } == dict(
            loss_dist_decode=cfg.demo_logit_weight,
            loss_dist_aux=0.4 * cfg.demo_logit_weight)


def _model_index():
    """Every model of ``model-index.yml``, by name, with its folder."""
    import yaml
    with open(osp.join(ROOT, 'model-index.yml')) as f:
        imports = yaml.safe_load(f)['Import']
    models = {}
    for metafile in imports:
        with open(osp.join(ROOT, metafile)) as f:
            for model in yaml.safe_load(f)['Models']:
                models[model['Name']] = model
    return models


def test_model_index_lists_every_config_once():
    models = _model_index()
    assert sorted(models) == sorted(
        osp.splitext(osp.basename(p))[0] for p in ALL)
    for name, model in models.items():
        assert osp.isfile(osp.join(ROOT, model['Config'])), name
        assert osp.splitext(osp.basename(model['Config']))[0] == name
        assert model['Weights'] is None  # none published


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_model_index_names_each_configs_teacher_and_student(path):
    """The metafile's teacher is the config's teacher, and its student the
    zoo config whose model the config distils."""
    from mmengine.hub import get_config
    model = _model_index()[osp.splitext(osp.basename(path))[0]]
    cfg = Config.fromfile(path).model
    meta = model['Metadata']
    assert cfg.teacher.cfg_path == meta['Teacher']['Config']
    if 'cfg_path' in cfg.architecture:
        assert cfg.architecture.cfg_path == meta['Student']['Config']
    else:  # the student config's model, inherited
        student = get_config(meta['Student']['Config']).model
        assert cfg.architecture.type == student.type
        assert cfg.architecture.backbone.depth == student.backbone.depth
    for results in model['Results']:  # the paper's row, where it has one
        assert set(results['Metrics']) == set(meta['Teacher']) - {'Config'}


# docs/en/model_zoo.md, "Config names"
NAME = re.compile(r'(dist|distplus)(-[a-z0-9]+)*(_[a-z0-9]+(-[a-z0-9]+)*){6}')
DEMO_NAME = re.compile(r'((dist|distplus|kd|cwd|pkd)(-[a-z0-9]+)*_[a-z0-9-]+'
                       r'|[a-z0-9-]+-r\d+_(teacher|student))_demo')


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_configs_inherit_only_zoo_configs_and_fragments(path):
    """A shipped config reads in itself: its bases are its student's
    ``mmdet::`` / ``mmseg::`` config and fragments of ``configs/_base_``,
    never another shipped config."""
    bases = Config._get_base_files(path)
    assert bases, path
    bad = [
        b for b in bases
        if not (b.startswith(('mmdet::',
                              'mmseg::')) or b.startswith('../_base_/'))
    ]
    assert not bad, f'{osp.basename(path)} inherits {bad}'


def test_config_names_follow_the_rule():
    bad = [
        osp.relpath(p, ROOT) for p in ALL if not (
            DEMO_NAME if p in DEMO else NAME).fullmatch(osp.basename(p)[:-3])
    ]
    assert not bad, f'{bad}: see docs/en/model_zoo.md, "Config names"'
