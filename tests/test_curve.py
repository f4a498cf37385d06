"""The teacher-strength curve (``tools/demo.py --curve``,
``dist_mm.demo.curve``)."""
import copy
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from dist_mm.demo import PAIRS, DemoOptions
from dist_mm.demo.curve import (CURVES, Curve, CurveRun, curve_table, ladder,
                                ladder_options)
from dist_mm.demo.pairs import CONFIG_DIR
from dist_mm.testing import det_batch, seg_batch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmrazor.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def test_ladder_checkpoints_fall_on_the_validations():
    options, steps = ladder_options(2000)
    assert steps == [500, 1000, 2000]
    assert options == [
        'default_hooks.checkpoint.interval=500', 'train_cfg.val_interval=500'
    ]
    # a schedule whose quarter is not a divisor of the other rungs
    with pytest.raises(ValueError, match='multiples of 2 iterations of 10'):
        ladder_options(10)
    result = dict(
        curve=[(500, 61.0), (1000, 70.5), (1500, 72.0), (2000, 78.25)],
        checkpoint='work/teacher/iter_2000.pth')
    rungs = ladder(result, steps, 'T')
    assert [(r['name'], r['metric'])
            for r in rungs] == [('T @ 500 it', 61.0), ('T @ 1000 it', 70.5),
                                ('T @ 2000 it', 78.25)]
    assert rungs[0]['checkpoint'] == osp.abspath('work/teacher/iter_500.pth')


def test_curve_table_has_a_row_per_teacher_and_a_column_per_method():

    def runs(*metrics):
        return [dict(metric=m) for m in metrics]

    results = dict(
        methods=('dist', 'kd'),
        baseline=runs(60.0, 62.0),
        teachers=[
            dict(name='weak', metric=70.0),
            dict(name='strong', metric=90.0)
        ],
        # a run still missing leaves its cell empty
        runs={
            '0': dict(dist=runs(64.0, 66.0), kd=runs(63.0)),
            '1': dict(dist=runs(70.0))
        })
    assert curve_table(results).splitlines() == [
        '| teacher | teacher metric | DIST | KD (pixel-wise) |',
        '|---|---|---|---|',
        '| none (baseline) | | 61.00 ± 1.41 | |',
        '| weak | 70.00 | 65.00 ± 1.41 | 63.00 |',
        '| strong | 90.00 | 70.00 |  |',
    ]


def test_a_failed_run_stops_the_curve(tmp_path, monkeypatch):
    """The runs not yet started when one fails are dropped, and the error
    names it (tools/train.py's failure, as ``run_tool`` raises it)."""
    monkeypatch.chdir(tmp_path)
    started = []

    class FailingRun(CurveRun):

        def train(self, pair_key, name, config, run_dir, seed, options=()):
            started.append(run_dir)
            if run_dir.startswith('teacher'):
                return dict(
                    metric=80.0,
                    curve=[(500, 60.0), (1000, 70.0), (2000, 75.0)],
                    checkpoint=f'{run_dir}/iter_2000.pth')
            if run_dir == 'baseline_seed0':
                raise SystemExit('tools/train.py failed (exit 1)')
            return dict(seed=seed, metric=50.0)

    run = FailingRun('pspnet', 'streets', seeds=3, jobs=1)
    with pytest.raises(SystemExit, match='train.py failed'):
        run.run()
    assert started[:3] == [
        'teacher_ladder', 'teacher_stronger', 'baseline_seed0'
    ]
    # of the 51 student runs, at most the one the worker had taken ran
    assert len(started) <= 4
    assert [t['metric'] for t in run.results['teachers']] == [60, 70, 75, 80]


def test_a_resumed_curve_trains_only_the_runs_not_finished(
        tmp_path, monkeypatch):
    """Every run keeps its figures in ``result.json``; with ``resume`` the
    finished runs (teachers included) are read back, the others train."""
    monkeypatch.chdir(tmp_path)
    import dist_mm.demo.curve as curve_module
    trained = []

    def train_and_evaluate(pair, name, config, work_dir, *args):
        trained.append(osp.basename(work_dir))
        os.makedirs(work_dir, exist_ok=True)
        if name == 'teacher':
            return dict(
                seed=0,
                metric=80.0,
                curve=[(500, 60.0), (1000, 70.0), (2000, 75.0)],
                checkpoint=osp.join(work_dir, 'iter_2000.pth'))
        return dict(seed=0, metric=float(len(trained)))

    monkeypatch.setattr(curve_module, 'train_and_evaluate', train_and_evaluate)
    first = CurveRun('retinanet', 'coco', seeds=1, jobs=1).run()
    assert len(trained) == 2 + 1 + 4 * 3
    out = tmp_path / 'work_dirs' / 'demo' / 'curve' / 'retinanet_coco'
    # a curve stopped part-way: two student runs did not finish
    for run_dir in ('t1_pkd_seed0', 't3_dist_seed0'):
        (out / run_dir / 'result.json').unlink()
    trained.clear()
    again = CurveRun('retinanet', 'coco', seeds=1, jobs=1, resume=True).run()
    assert sorted(trained) == ['t1_pkd_seed0', 't3_dist_seed0']
    assert again['teachers'] == first['teachers']
    assert again['baseline'] == first['baseline']
    assert again['runs']['0'] == first['runs']['0']
    # without resume, every run trains again
    trained.clear()
    CurveRun('retinanet', 'coco', seeds=1, jobs=1).run()
    assert len(trained) == 2 + 1 + 4 * 3
    with pytest.raises(ValueError, match='--resume goes with --curve'):
        DemoOptions(resume=True)


@pytest.mark.parametrize(
    'pair_key',
    sorted({key
            for c in CURVES.values()
            for key in (c.pair, c.stronger)}))
def test_each_curve_method_trains_with_each_teacher(pair_key):
    """Every method of a curve has a demo config for the CNN and the
    stronger teacher, and trains two real steps through DISTPlusDistill
    with a finite distillation loss."""
    curve = next(c for c in CURVES.values()
                 if pair_key in (c.pair, c.stronger))
    assert PAIRS[curve.pair].task == PAIRS[curve.stronger].task
    assert PAIRS[curve.pair].baseline == PAIRS[curve.stronger].baseline
    for method in curve.methods:
        cfg = Config.fromfile(
            osp.join(CONFIG_DIR, Curve.config(pair_key, method)))
        cfg.model.teacher_ckpt = None
        torch.manual_seed(0)
        model = MODELS.build(cfg.model.to_dict())
        model.init_weights()
        model.train()
        optim = OptimWrapper(
            torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                            lr=1e-3))
        batch = seg_batch(2, size=(64, 128)) if PAIRS[pair_key].task == 'seg' \
            else det_batch(2, size=128)
        for _ in range(2):
            log = model.train_step(copy.copy(batch), optim)
        distill = [k for k in log if k.startswith('distill.')]
        assert distill, (method, sorted(log))
        assert all(torch.isfinite(log[k]) and log[k] > 0 for k in distill)


@pytest.mark.slow
def test_demo_curve_trains_the_ladder_and_every_method(tmp_path):
    """``tools/demo.py --curve`` as a user runs it, for a segmentation and a
    detection pair at 4 iterations: the CNN teacher's checkpoints at its
    validations and the stronger teacher each teach every method;
    curve.{json,md,png} are written."""
    proc = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools',
                 'demo.py'), '--curve', '--pairs', 'pspnet', 'retinanet',
        '--iters', '4', '--num-train', '8', '--num-val', '4', '--cwd',
        str(tmp_path)
    ],
                          text=True,
                          capture_output=True,
                          timeout=1800,
                          env=dict(os.environ, PYTHONWARNINGS='ignore'))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for key, scene in (('pspnet', 'streets'), ('retinanet', 'coco')):
        out = tmp_path / 'work_dirs' / 'demo' / 'curve' / f'{key}_{scene}'
        results = json.loads((out / 'curve.json').read_text())
        teachers = results['teachers']
        ladder_dir = out / 'teacher_ladder'
        # the teacher trains 8 iterations: checkpoints and validations at
        # 2, 4 and 8
        assert [t['checkpoint'] for t in teachers[:3]] == [
            str(ladder_dir / f'iter_{step}.pth') for step in (2, 4, 8)
        ]
        assert teachers[3]['stronger'] and teachers[3]['checkpoint'] == str(
            out / 'teacher_stronger' / 'iter_8.pth')
        assert len(results['baseline']) == 1
        for i, teacher in enumerate(teachers):
            assert set(results['runs'][str(i)]) == set(CURVES[key].methods)
            log = (out / f't{i}_dist_seed0' / 'train.out').read_text()
            assert 'from path: ' + teacher['checkpoint'] in log
        assert (out / 'curve.md').read_text().count('\n') == 2 + 1 + 4
        assert (out / 'curve.png').stat().st_size > 0
