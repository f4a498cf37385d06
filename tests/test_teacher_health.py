"""An acclimated teacher stays a teacher, and its health is visible.

A tiny demo teacher (the demo's PSPNet R-50 config on synthetic street
scenes) is trained for real, then acclimated by the DIST+ demo config
through the mmengine Runner:

* with dist_mm's defaults its predictions stay those of the original
  teacher while the acclimation (non-target relation) loss goes down; with
  the paper's ``L_ta`` alone at the student's learning rate (the code before
  the fix) the same run destroys it, which is what the test must catch;
* validation evaluates the teacher as it stands (``teacher.mIoU``) and
  ``save_best`` keeps using the student's metric;
* ``TeacherGuardHook`` stops (or warns about) a run that destroys it.
"""
import contextlib
import os
import os.path as osp

import pytest
import torch

from dist_mm.testing import DEMO_CONFIGS, prepare_demo_dir
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmengine.runner import Runner

pytestmark = pytest.mark.slow

TEACHER_CFG = osp.join(DEMO_CONFIGS, 'pspnet-r50_teacher_demo.py')
DISTPLUS_CFG = osp.join(DEMO_CONFIGS, 'distplus_pspnet_demo.py')
TEACHER_ITERS = 150
ACCLIMATION_ITERS = 60


@contextlib.contextmanager
def cwd(path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def demo_cfg(path, work_dir, iters, **overrides):
    cfg = Config.fromfile(path)
    cfg.merge_from_dict(
        dict(
            work_dir=str(work_dir),
            randomness=dict(seed=0),
            train_dataloader=dict(batch_size=4),
            train_cfg=dict(max_iters=iters, val_interval=iters),
            default_hooks=dict(
                logger=dict(interval=10), checkpoint=dict(interval=iters)),
            param_scheduler=[
                dict(
                    type='PolyLR',
                    eta_min=1e-4,
                    power=0.9,
                    begin=0,
                    end=iters,
                    by_epoch=False)
            ]))
    cfg.merge_from_dict(overrides)
    return cfg


@pytest.fixture(scope='module')
def trained_teacher(tmp_path_factory):
    """A demo dir whose ``work_dirs/demo/teacher.pth`` is a trained teacher
    (demo teacher config, 150 iterations on 48 synthetic street scenes)."""
    path = prepare_demo_dir(
        tmp_path_factory.mktemp('health'), train_images=48, val_images=8)
    with cwd(path):
        runner = Runner.from_cfg(
            demo_cfg(TEACHER_CFG, path / 'teacher', TEACHER_ITERS))
        runner.train()
        torch.save(
            dict(state_dict=runner.model.state_dict()),
            'work_dirs/demo/teacher.pth')
        assert runner.message_hub.get_scalar('val/mIoU').current() > 40
    return path


def acclimate(path, work_dir, **overrides):
    # from the first iteration: the demo's warm-up (half its 1000
    # iterations) would leave these short runs unacclimated
    overrides.setdefault('custom_hooks', [
        h for h in Config.fromfile(DISTPLUS_CFG).custom_hooks
        if h.type != 'AcclimationWarmupHook'
    ])
    with cwd(path):
        runner = Runner.from_cfg(
            demo_cfg(DISTPLUS_CFG, path / work_dir, ACCLIMATION_ITERS,
                     **overrides))
        original = [
            p.detach().clone() for p in runner.model.teacher.parameters()
        ]
        runner.train()
    return runner, original


def agreement(path, runner, original_params):
    """Fraction of val pixels where the acclimated teacher's prediction
    equals the original teacher's (the val data lies under ``path``)."""
    with cwd(path):
        batch = next(iter(runner.val_dataloader))
    teacher = runner.model.teacher
    acclimated = [p.detach().clone() for p in teacher.parameters()]
    preds = []
    for params in (acclimated, original_params):
        with torch.no_grad():
            for p, value in zip(teacher.parameters(), params):
                p.copy_(value)
            data = runner.model.data_preprocessor(batch, False)
            teacher.eval()
            preds.append(
                teacher(data['inputs'], data['data_samples'],
                        mode='tensor').argmax(1))
    return (preds[0] == preds[1]).float().mean().item()


def history(runner, key):
    return list(runner.message_hub.get_scalar(f'train/{key}').data[0])


def test_acclimation_keeps_the_teacher_and_lowers_its_loss(trained_teacher):
    runner, original = acclimate(
        trained_teacher,
        'acclimated',
        default_hooks=dict(checkpoint=dict(save_best='mIoU')))
    assert agreement(trained_teacher, runner, original) >= 0.9
    nontarget = history(runner, 'rel.acclimation.nontarget')
    assert len(nontarget) == ACCLIMATION_ITERS
    assert sum(nontarget[-10:]) < sum(nontarget[:10])
    accuracy = history(runner, 'teacher.train_acc')
    assert min(accuracy) > 0.5

    # validation evaluated the teacher too, and save_best followed the
    # student's mIoU, not the teacher's
    hub = runner.message_hub
    student, teacher = (
        hub.get_scalar(f'val/{k}').current() for k in ('mIoU', 'teacher.mIoU'))
    assert teacher > student + 5
    best = [
        f for f in os.listdir(trained_teacher / 'acclimated')
        if f.startswith('best_mIoU')
    ]
    assert best == [f'best_mIoU_iter_{ACCLIMATION_ITERS}.pth']
    ckpt = torch.load(
        trained_teacher / 'acclimated' / best[0], weights_only=False)
    assert ckpt['message_hub']['runtime_info']['best_score'] == \
        pytest.approx(student)


# the paper's L_ta alone, teacher at the student's lr
PAPER_ONLY = dict(
    model=dict(
        distiller=dict(
            distill_losses=dict(loss_acclimation=dict(target_weight=0.0)))),
    optim_wrapper=dict(
        paramwise_cfg=dict(custom_keys={'teacher.': dict(lr_mult=1.0)})))


def test_the_test_catches_the_acclimation_that_destroyed_the_teacher(
        trained_teacher):
    runner, original = acclimate(
        trained_teacher, 'paper_only', custom_hooks=[], **PAPER_ONLY)
    assert agreement(trained_teacher, runner, original) < 0.9


@pytest.mark.parametrize('action', ['stop', 'warn'])
def test_teacher_guard(trained_teacher, action):
    guard = [
        dict(type='TeacherGuardHook', max_drop=0.05, window=5, action=action)
    ]
    if action == 'stop':
        with pytest.raises(
                RuntimeError,
                match='TeacherGuardHook: the '
                'acclimated teacher.*fell from'):
            acclimate(
                trained_teacher,
                'guard_stop',
                custom_hooks=guard,
                **PAPER_ONLY)
        return
    runner, _ = acclimate(
        trained_teacher, 'guard_warn', custom_hooks=guard, **PAPER_ONLY)
    log = open(MMLogger.get_current_instance().log_file).read()
    assert 'WARNING - TeacherGuardHook' in log
    assert runner.iter == ACCLIMATION_ITERS


def test_acclimation_warmup_factor():
    from dist_mm.engine import AcclimationWarmupHook
    ramp = AcclimationWarmupHook(begin=10, end=20)
    assert [ramp.factor(i) for i in (0, 9, 10, 15, 19, 20, 500)] == \
        [0.0, 0.0, 0.0, 0.5, 0.9, 1.0, 1.0]
    step = AcclimationWarmupHook(begin=10)
    assert [step.factor(i) for i in (9, 10)] == [0.0, 1.0]
    with pytest.raises(ValueError, match='begin <= end'):
        AcclimationWarmupHook(begin=20, end=10)


WARMUP = (20, 40)


def test_acclimation_warmup_holds_the_teacher_then_ramps(trained_teacher):
    """Before ``begin`` the teacher is exactly the loaded one and the logged
    (weighted) acclimation loss is 0 while its relation term is not; then
    the weight ramps up to the config's and the teacher moves."""
    seen = []

    class Spy(Hook):  # what the teacher and the loss are at each iteration

        def after_train_iter(self,
                             runner,
                             batch_idx,
                             data_batch=None,
                             outputs=None):
            model = runner.model
            loss = model.distiller.distill_losses.loss_acclimation
            seen.append(
                ([v.clone() for v in model.teacher.state_dict().values()],
                 loss.loss_weight))

    begin, end = WARMUP
    with cwd(trained_teacher):
        runner = Runner.from_cfg(
            demo_cfg(
                DISTPLUS_CFG,
                trained_teacher / 'warmup',
                end + 5,
                custom_hooks=[
                    dict(type='AcclimationWarmupHook', begin=begin, end=end)
                ]))
        full = runner.model.distiller.distill_losses.loss_acclimation \
            .loss_weight
        original = [
            v.clone() for v in runner.model.teacher.state_dict().values()
        ]
        runner.register_hook(Spy(), 'LOWEST')
        runner.train()

    def same(params):
        return all(torch.equal(a, b) for a, b in zip(params, original))

    assert all(same(params) for params, _ in seen[:begin])
    assert not same(seen[-1][0])
    assert [w for _, w in seen] == pytest.approx([
        full * min(1.0, max(0.0, (i - begin) / (end - begin)))
        for i in range(end + 5)
    ])
    weighted = history(runner, 'distill.loss_acclimation')
    assert weighted[:begin] == [0.0] * begin
    assert all(v > 0 for v in weighted[begin + 1:])
    assert all(v > 0 for v in history(runner, 'rel.acclimation.nontarget'))


def test_acclimation_warmup_needs_an_acclimation_loss(trained_teacher):
    with cwd(trained_teacher):
        runner = Runner.from_cfg(
            demo_cfg(
                osp.join(DEMO_CONFIGS, 'dist_pspnet_demo.py'),
                trained_teacher / 'warmup_dist',
                1,
                custom_hooks=[dict(type='AcclimationWarmupHook', begin=5)]))
        with pytest.raises(
                ValueError, match='no TeacherAcclimationLoss.*DIST\\+ config'):
            runner.train()
