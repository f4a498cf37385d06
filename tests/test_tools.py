"""The user-facing tools run for real: mim train / mim test of a demo config,
and the student converter (also through mim run)."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from dist_mm import demo
from dist_mm.apis import build_train_config, parse_test_args, parse_train_args
from dist_mm.engine import (AMP_INIT_SCALE, ATOMIC_BACKEND_ARGS,
                            amp_optim_wrapper)
from dist_mm.testing import DEMO_CONFIGS, prepare_demo_dir
from mmengine.config import Config
from mmengine.device import get_device
from mmengine.runner import load_checkpoint
from mmrazor.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO = DEMO_CONFIGS
MIM = osp.join(osp.dirname(sys.executable), 'mim')


def mim(*args, cwd):
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    proc = subprocess.run([MIM, *args],
                          cwd=cwd,
                          env=env,
                          text=True,
                          capture_output=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def demo_run(tmp_path_factory):
    """Synthetic Cityscapes data, a teacher checkpoint of the demo teacher's
    architecture, and 3 iterations of ``mim train dist_mm`` DIST+."""
    cwd = prepare_demo_dir(tmp_path_factory.mktemp('demo'))
    out = mim(
        'train',
        'dist_mm',
        osp.join(DEMO, 'distplus_pspnet_demo.py'),
        '--work-dir',
        'wd',
        '--cfg-options',
        'train_cfg.max_iters=3',
        'train_cfg.val_interval=3',
        'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.interval=3',
        'train_dataloader.batch_size=4',
        cwd=cwd)
    return cwd, out


@pytest.mark.slow
def test_mim_train_runs_the_packaged_train_script(demo_run):
    cwd, out = demo_run
    assert 'Iter(train) [3/3]' in out
    assert 'distill.loss_dist_feat' in out and 'mIoU' in out
    assert (cwd / 'wd' / 'iter_3.pth').exists()


@pytest.mark.slow
def test_demo_configs_log_relation_terms_and_teacher_metrics_to_tensorboard(
        demo_run):
    """The demo configs log to TensorBoard (installed by setup_env.sh): the
    losses, the ``rel.*`` relation terms and the acclimated teacher's
    ``teacher.*`` validation metrics."""
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    cwd, _ = demo_run
    events = glob.glob(str(cwd / 'wd' / '*' / 'vis_data' / 'events.out.*'))
    assert len(events) == 1
    acc = EventAccumulator(events[0])
    acc.Reload()
    tags = set(acc.Tags()['scalars'])
    for tag in ('loss', 'distill.loss_acclimation', 'rel.dist_decode.inter',
                'rel.dist_feat.spatial', 'rel.acclimation.nontarget',
                'teacher.train_acc', 'mIoU', 'teacher.mIoU'):
        assert tag in tags, sorted(tags)
    assert [e.step for e in acc.Scalars('loss')] == [1, 2, 3]


@pytest.mark.slow
def test_mim_test_evaluates_a_checkpoint(demo_run):
    cwd, _ = demo_run
    out = mim(
        'test',
        'dist_mm',
        osp.join(DEMO, 'distplus_pspnet_demo.py'),
        '--checkpoint',
        'wd/iter_3.pth',
        '--work-dir',
        'wd_test',
        '--dump-metrics',
        'metrics.json',
        cwd=cwd)
    assert 'Iter(test)' in out and 'mIoU' in out
    assert (cwd / 'metrics.json').exists()


@pytest.mark.slow
def test_converter_gives_a_plain_student_with_same_predictions(demo_run):
    cwd, _ = demo_run
    out = mim(
        'run',
        'dist_mm',
        'convert_to_student',
        'wd/iter_3.pth',
        'student.pth',
        cwd=cwd)
    assert 'student tensors' in out
    plain = MODELS.build(
        Config.fromfile(osp.join(DEMO, 'pspnet-r18_student_demo.py')).model)
    load_checkpoint(plain, str(cwd / 'student.pth'), strict=True)

    distill_cfg = Config.fromfile(osp.join(DEMO,
                                           'distplus_pspnet_demo.py')).model
    distill_cfg.teacher_ckpt = str(cwd / 'work_dirs' / 'demo' / 'teacher.pth')
    distill = MODELS.build(distill_cfg)
    load_checkpoint(distill, str(cwd / 'wd' / 'iter_3.pth'), strict=True)
    plain.eval()
    distill.eval()
    x = torch.randn(2, 3, 64, 128)
    with torch.no_grad():
        expected = distill.student(x, None, mode='tensor')
        got = plain(x, None, mode='tensor')
    torch.testing.assert_close(got, expected, rtol=0, atol=0)


@pytest.mark.parametrize('flag', ['--local_rank', '--local-rank'])
def test_train_and_test_accept_both_local_rank_spellings(flag, monkeypatch):
    config = osp.join(DEMO, 'pspnet-r18_student_demo.py')
    monkeypatch.setenv('LOCAL_RANK', '')  # restored after the test
    monkeypatch.delenv('LOCAL_RANK')
    args = parse_train_args([
        config, flag, '3', '--amp', '--resume', '--launcher', 'pytorch',
        '--cfg-options', 'train_cfg.max_iters=7'
    ])
    assert args.local_rank == 3 and os.environ['LOCAL_RANK'] == '3'
    cfg = build_train_config(args)
    assert cfg.optim_wrapper.type == ('CPUAmpOptimWrapper' if get_device()
                                      == 'cpu' else 'AmpOptimWrapper')
    assert cfg.resume is True and cfg.launcher == 'pytorch'
    assert cfg.train_cfg.max_iters == 7
    # checkpoints through the atomic file backend
    assert cfg.default_hooks.checkpoint.backend_args == ATOMIC_BACKEND_ARGS
    assert parse_test_args([config, 'ckpt.pth', flag, '1']).local_rank == 1


def test_smoke_run_distils_with_dist_plus_distill():
    proc = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools', 'misc', 'smoke_distill.py'), '--iters', '2'
    ],
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'DISTPlusDistill, teacher pass TwoStageTeacherPass' in proc.stdout
    assert 'smoke run OK' in proc.stdout


def test_build_model_takes_mmrazors_cfg_path_keys_and_refuses_others():
    from dist_mm.algorithms import build_model
    cfg_path = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'
    small = dict(
        backbone=dict(depth=18, init_cfg=None),
        neck=dict(in_channels=[64, 128, 256, 512]))
    model = build_model(
        dict(cfg_path=cfg_path, override=small, pretrained=False))
    assert type(model).__name__ == 'RetinaNet'
    assert model.backbone.depth == 18
    with pytest.raises(
            ValueError,
            match='takes only cfg_path, override, '
            "pretrained, got \\['weights'\\]"):
        build_model(dict(cfg_path=cfg_path, weights='x.pth'))


def test_amp_on_a_gpu_starts_the_loss_scale_where_dist_skips_no_step():
    """``--amp`` on an accelerator: mmengine's AmpOptimWrapper, dynamic
    scaling from AMP_INIT_SCALE (tests/test_fp16.py), unless the config
    sets its own loss_scale; on CPU, bf16 autocast."""
    sgd = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01))
    gpu = amp_optim_wrapper(sgd, 'cuda')
    assert gpu == dict(
        sgd,
        type='AmpOptimWrapper',
        loss_scale=dict(init_scale=AMP_INIT_SCALE))
    assert AMP_INIT_SCALE == 2.0**8
    assert amp_optim_wrapper(dict(sgd, loss_scale=512.),
                             'cuda')['loss_scale'] == 512.
    assert amp_optim_wrapper(sgd, 'cpu') == dict(
        sgd, type='CPUAmpOptimWrapper')
    assert sgd['type'] == 'OptimWrapper'  # the config is not changed


@pytest.mark.slow
def test_demo_progress_shows_log_lines_not_the_config_dump(demo_run):
    """tools/demo.py streams mmengine's progress lines of a real run, not
    the config dump (which lists ``'mIoU',`` among the metrics)."""
    _, out = demo_run
    lines = out.splitlines()
    shown = [line for line in lines if demo.PROGRESS.search(line)]
    assert any('Iter(train)' in line for line in shown)
    # the DIST+ validation reports the teacher's metrics too
    assert any('Iter(val)' in line and 'teacher.mIoU' in line
               for line in shown)
    dump = [
        line for line in lines
        if 'mIoU' in line and ' - mmengine - ' not in line
    ]
    assert dump and not any(demo.PROGRESS.search(line) for line in dump)


def test_demo_pairs_have_all_their_configs():
    """Every pair of tools/demo.py has its teacher, baseline, DIST and DIST+
    demo configs, and the distillation ones read the teacher checkpoint
    where the demo puts it."""
    assert {p.task for p in demo.PAIRS.values()} == {'seg', 'det'}
    for pair in demo.PAIRS.values():
        for name, config in pair.configs().items():
            cfg = Config.fromfile(osp.join(DEMO, config))
            if name in ('dist', 'distplus'):
                assert cfg.model.teacher_ckpt == pair.teacher_ckpt


@pytest.mark.parametrize('key', ['pspnet', 'retinanet'])
def test_demo_writes_each_tasks_val_split(key, tmp_path, monkeypatch):
    """Without --num-val the detection demo validates on 256 images (a box
    mAP on 64 moves as much as a seed), segmentation on 64; --num-val sets
    both."""
    pair = demo.PAIRS[key]
    monkeypatch.chdir(tmp_path)
    for num_val, expected in ((0, demo.NUM_VAL[pair.task]), (3, 3)):
        demo.make_data(pair, 'coco' if pair.task == 'det' else 'streets', 1,
                       num_val)
        if pair.task == 'det':
            val = tmp_path / pair.data / 'val2017'
        else:
            val = tmp_path / pair.data / 'leftImg8bit' / 'val' / 'synthtown'
        assert len(os.listdir(val)) == expected
    assert demo.NUM_VAL == dict(seg=64, det=256)


@pytest.mark.parametrize('key', ['pspnet', 'retinanet'])
def test_demo_reuses_a_dataset_made_with_the_same_options(
        key, tmp_path, monkeypatch):
    """With ``reuse`` (``--curve --resume``) a dataset finished with the
    same options is left untouched, so that runs reading it go on; other
    options, a dataset whose writing never finished, or no ``reuse``
    write it anew."""
    pair = demo.PAIRS[key]
    monkeypatch.chdir(tmp_path)
    root = tmp_path / pair.data
    if pair.task == 'det':
        scene, val = 'coco', root / 'val2017'
    else:
        scene, val = 'streets', root / 'leftImg8bit' / 'val' / 'synthtown'

    def make(num_val, reuse=True):
        root.mkdir(parents=True, exist_ok=True)
        (root / 'kept').touch()
        demo.make_data(pair, scene, 1, num_val, reuse=reuse)
        return (root / 'kept').exists()

    assert not make(1)  # nothing to reuse
    assert len(os.listdir(val)) == 1
    assert make(1)  # same options: untouched
    assert not make(2)  # other options
    assert len(os.listdir(val)) == 2
    assert not make(2, reuse=False)
    (root / demo.DATA_MARKER).unlink()  # a write that was killed
    assert not make(2)
    assert (root / demo.DATA_MARKER).exists()


def _fake_runs(monkeypatch, tmp_path, walls, fail=None):
    """A ``train`` for ``run_all`` that records the runs started, in
    order; a teacher of ``walls[config]`` seconds; ``fail``: (config, name)
    of a run whose tool fails. Returns (the record, the function)."""
    trained = []

    def train_and_evaluate(pair, name, config, work_dir, iters, seed, options,
                           threads, tag):
        key = next(k for k, p in demo.PAIRS.items() if p is pair)
        trained.append((key, name, seed))
        if (key, name) == fail:
            raise SystemExit(f'tools/train.py failed (exit 1); see {work_dir}')
        os.makedirs(work_dir)
        open(f'{work_dir}/c.pth', 'w').close()
        return dict(
            seed=seed,
            metric=50.0,
            wall=walls[key] if name == 'teacher' else 1.0,
            checkpoint=f'{work_dir}/c.pth')

    monkeypatch.chdir(tmp_path)
    os.makedirs(demo.WORK)
    return trained, train_and_evaluate


def test_demo_failed_run_stops_its_experiment_only(monkeypatch, tmp_path):
    """A run whose tool fails (``run_tool`` raises SystemExit) drops
    the rest of its experiment; the other experiments finish and are
    reported, then the demo exits naming the failed run."""
    trained, train = _fake_runs(
        monkeypatch,
        tmp_path,
        dict(pspnet=5.0, retinanet=10.0),
        fail=('retinanet', 'teacher'))
    finished = {}
    with pytest.raises(
            SystemExit,
            match='retinanet/coco teacher seed 0: '
            'tools/train.py failed'):
        demo.run_all([('retinanet', 'coco'), ('pspnet', 'shapes')],
                     lambda key, results: finished.update({key: results}),
                     seeds=2,
                     jobs=2,
                     train=train)
    assert list(finished) == ['pspnet/shapes']
    assert {
        name: len(runs)
        for name, runs in finished['pspnet/shapes'].items()
    } == dict(
        teacher=1, baseline=2, dist=2, distplus=2)
    # no RetinaNet student waited on the failed teacher; a baseline, which
    # needs none, may have started beside it
    assert {name
            for config, name, _ in trained
            if config == 'retinanet'} <= {'teacher', 'baseline'}


def test_demo_starts_the_slowest_teachers_students_first(
        monkeypatch, tmp_path):
    """Teachers first; then, run kind by run kind (DIST+, DIST, baseline),
    the pair whose teacher took longest first: its runs are the long
    ones."""
    trained, train = _fake_runs(monkeypatch, tmp_path,
                                dict(pspnet=5.0, retinanet=10.0))
    demo.run_all([('pspnet', 'shapes'), ('retinanet', 'coco')],
                 lambda key, results: None,
                 jobs=1,
                 train=train)
    assert [(config, name)
            for config, name, _ in trained] == [('pspnet', 'teacher'),
                                                ('retinanet', 'teacher'),
                                                ('retinanet', 'distplus'),
                                                ('pspnet', 'distplus'),
                                                ('retinanet', 'dist'),
                                                ('pspnet', 'dist'),
                                                ('retinanet', 'baseline'),
                                                ('pspnet', 'baseline')]


@pytest.mark.parametrize('pair', ['pspnet', 'retinanet', 'faster-rcnn'])
def test_demo_ablation_switches_off_exactly_the_other_terms(pair):
    """Each Table 12 row keeps its DIST+ terms and zeroes the others."""
    config = demo.PAIRS[pair].configs()['distplus']
    for row, (_, keep) in demo.ABLATION.items():
        cfg = Config.fromfile(osp.join(DEMO, config))
        options = dict(
            o.split('=') for o in demo.ablation_options(config, keep))
        cfg.merge_from_dict({k: float(v) for k, v in options.items()})
        losses = cfg.model.distiller.distill_losses.values()
        on = set()
        for loss in losses:
            if loss.type == 'DISTFeatureLoss':
                on |= {
                    t
                    for t in ('channel', 'spatial') if loss[f'{t}_weight'] > 0
                }
            elif loss.type == 'TeacherAcclimationLoss' and \
                    loss.loss_weight > 0:
                on.add('acclimation')
            elif loss.type == 'DISTLogitLoss':
                assert loss.loss_weight > 0  # DIST stays on in every row
        assert on == set(keep), row


@pytest.mark.slow
def test_demo_runs_every_pair_and_writes_tables_and_plot(tmp_path):
    """tools/demo.py as a user runs it, all three pairs (segmentation on two
    scenes, and detection) at 2 iterations, two runs at a time across pairs:
    every run trains and tests on its own scene's data with its own pair's
    teacher, the tables, results.json and the PNG plot are written outside
    the repository."""
    proc = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools',
                 'demo.py'), '--iters', '2', '--num-train', '8', '--num-val',
        '4', '--jobs', '2', '--scenes', 'streets', 'shapes', '--cwd',
        str(tmp_path)
    ],
                          text=True,
                          capture_output=True,
                          timeout=1200,
                          env=dict(os.environ, PYTHONWARNINGS='ignore'))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # the runs ran side by side, their lines told apart
    assert '[faster-rcnn/coco distplus seed 0] $' in proc.stdout
    work = tmp_path / 'work_dirs' / 'demo'
    results = json.loads((work / 'results.json').read_text())
    assert list(results) == [
        'pspnet/streets', 'pspnet/shapes', 'retinanet/coco', 'faster-rcnn/coco'
    ]
    # the second scene's runs: its data, its teacher
    for run_ in ('teacher', 'dist_seed0', 'distplus_seed0'):
        log = (work / 'pspnet' / 'shapes' / run_ / 'train.out').read_text()
        assert "data_root='data/synthetic_cityscapes_shapes'" in log
        if run_ != 'teacher':
            assert 'from path: ' + str(
                work / 'pspnet' / 'shapes' / 'teacher' / 'iter_4.pth') in log
    # the default scene's teacher where the demo configs read it
    assert (work / 'teacher.pth').read_bytes() == (work / 'pspnet' /
                                                   'streets' / 'teacher' /
                                                   'iter_4.pth').read_bytes()
    for key, runs in results.items():
        assert set(runs) == {'teacher', 'baseline', 'dist', 'distplus'}
        for name, (run_, ) in runs.items():
            assert 0 <= run_['metric'] <= 100
            # validation curve, at the iterations: every one at this length
            # (a detector this short may detect nothing: then no point)
            steps = [1, 2, 3, 4] if name == 'teacher' else [1, 2]
            curve = [step for step, _ in run_['curve']]
            assert curve == steps or not key.startswith('pspnet') and \
                curve == [s for s in steps if s in curve], (key, curve)
            # the acclimated teacher is evaluated in DIST+ runs only
            if name != 'distplus':
                assert run_['teacher_at_end'] is None
            elif key.startswith('pspnet'):
                assert run_['teacher_at_end'] is not None
    # a run's figures are its last validation: tools/test.py on its last
    # checkpoint gives the same
    baseline, = results['pspnet/streets']['baseline']
    subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools', 'test.py'),
        osp.join(DEMO, 'pspnet-r18_student_demo.py'), baseline['checkpoint'],
        '--work-dir',
        str(tmp_path / 'retest'), '--dump-metrics',
        str(tmp_path / 'retest.json')
    ],
                   cwd=tmp_path,
                   check=True,
                   capture_output=True)
    retest = json.loads((tmp_path / 'retest.json').read_text())
    assert retest == baseline['metrics'] and 'mIoU' in retest
    table = (work / 'results.md').read_text()
    assert 'RetinaNet, `coco`' in table and '| student + DIST+ |' in table
    assert (work / 'results.png').read_bytes()[:4] == b'\x89PNG'
    for data in ('synthetic_coco', 'synthetic_cityscapes',
                 'synthetic_cityscapes_shapes'):
        assert (tmp_path / 'data' / data).is_dir()


def test_tools_read_package_configs_by_mmdet_path(tmp_path):
    """``tools/test.py mmdet::...`` (how the config READMEs test a converted
    student) loads the installed package's config."""
    from dist_mm.utils import load_tool_config
    cfg = load_tool_config(
        'mmdet::faster_rcnn/faster-rcnn_r50_fpn_2x_coco.py',
        cfg_options={'train_cfg.max_epochs': 1})
    assert cfg.model.type == 'FasterRCNN'
    assert cfg.train_cfg.max_epochs == 1
    assert cfg.work_dir == './work_dirs/faster-rcnn_r50_fpn_2x_coco'
    with pytest.raises(FileNotFoundError):
        load_tool_config(str(tmp_path / 'missing.py'))


def test_collect_env_prints_the_stack_for_bug_reports():
    """tools/misc/collect_env.py names every package of the stack with the
    installed version, and says how mmcv's ops were compiled."""
    import dist_mm
    import mmcv
    import mmdet
    import mmrazor
    import mmseg
    proc = subprocess.run(
        [sys.executable,
         osp.join(ROOT, 'tools', 'misc', 'collect_env.py')],
        text=True,
        capture_output=True,
        timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = dict(
        line.split(': ', 1) for line in proc.stdout.splitlines()
        if ': ' in line)
    assert lines['PyTorch'] == torch.__version__
    for name, module in (('MMCV', mmcv), ('MMDetection',
                                          mmdet), ('MMSegmentation', mmseg),
                         ('MMRazor', mmrazor), ('dist_mm', dist_mm)):
        assert lines[name] == module.__version__, name
    # this stack is built with ops (tools/setup_env.sh); CPU-only here
    # and the probe ran mmcv's nms kernel, not only imported it
    assert lines['MMCV ops'].startswith('compiled, kernels run on CPU'), \
        lines['MMCV ops']


def test_demo_options_name_the_experiments_and_refuse_bad_input():
    """``DemoOptions`` (what tools/demo.py parses into): the experiments of
    a task or of named pairs, in the tables' order; a bad value raises
    naming the accepted ones."""
    assert demo.DemoOptions().experiments() == [('pspnet', 'streets'),
                                                ('retinanet', 'coco'),
                                                ('faster-rcnn', 'coco')]
    assert demo.DemoOptions(
        task='seg', scenes=['streets',
                            'shapes']).experiments() == [('pspnet', 'streets'),
                                                         ('pspnet', 'shapes')]
    assert demo.DemoOptions(
        task='seg',
        pairs=['retinanet']).experiments() == [('retinanet', 'coco')]
    # the stronger-teacher pairs run only when asked for
    assert demo.DemoOptions(task='stronger').experiments() == [
        ('mask2former', 'streets'), ('dino', 'coco')
    ]
    assert demo.DemoOptions(pairs=['mask2former']).experiments() == [
        ('mask2former', 'streets')
    ]
    assert demo.PAIRS['mask2former'].configs() == dict(
        teacher='mask2former-r50_teacher_demo.py',
        baseline='pspnet-r18_student_demo.py',
        dist='dist_mask2former-pspnet_demo.py',
        distplus='distplus_mask2former-pspnet_demo.py')
    with pytest.raises(ValueError, match='task must be one of'):
        demo.DemoOptions(task='strong')
    with pytest.raises(ValueError, match=r"unknown pairs \['yolo'\]"):
        demo.DemoOptions(pairs=['yolo'])
    with pytest.raises(ValueError, match=r"unknown scenes \['forest'\]"):
        demo.DemoOptions(scenes=['forest'])
    with pytest.raises(ValueError, match='jobs and seeds must be 1 or more'):
        demo.DemoOptions(jobs=0)


def test_demo_tables_report_gain_and_gap_recovered():
    """The markdown table of an experiment: mean ± std over the seeds, the
    gain over the baseline and the share of the teacher-student gap."""

    def run(metric, end=None):
        return dict(metric=metric, teacher_at_end=end, sec_per_iter=0.1)

    results = dict(
        teacher=[run(80.0)],
        baseline=[run(60.0), run(62.0)],
        dist=[run(70.0), run(72.0)],
        distplus=[run(75.0, 79.5), run(77.0, 80.5)])
    table = demo.table('pspnet/streets', results)
    assert '| PSPNet R-18 (w16) student | 61.00 ± 1.41 |' in table
    # (71 - 61) / (80 - 61) = 53 %; (76 - 61) / 19 = 79 %
    assert '| student + DIST | 71.00 ± 1.41 | +10.00 | 53 % |' in table
    assert '| student + DIST+ | 76.00 ± 1.41 | +15.00 | 79 % | 80.00 ± 0.71' \
        in table


def test_loss_benchmark_compares_equal_values_on_each_kind():
    """``dist_mm.benchmarks.benchmark_case``: the three implementations
    give the same loss on the same tensors, with a time and a peak each."""
    from dist_mm.benchmarks import benchmark_case
    for kind in ('logit', 'sigmoid', 'feature'):
        result = benchmark_case(kind, (2, 6, 8, 10), reps=1)
        assert set(result) == {'dist_mm', 'naive', 'plain'}
        values = [r['value'] for r in result.values()]
        for value in values[1:]:
            torch.testing.assert_close(value, values[0], rtol=1e-5, atol=1e-5)
        assert all(r['time'] > 0 for r in result.values())


@pytest.mark.slow
@pytest.mark.parametrize('kind', ['seg', 'mask2former', 'dino'])
def test_distill_benchmark_builds_and_runs_each_step(kind, capsys):
    """``dist_mm.benchmarks.distill.build_steps``: every variant of a pair
    (the shipped configs, random weights, small images) runs a training
    step; a pair MMRazor cannot run leaves (c) out and says so."""
    from dist_mm.benchmarks.distill import (BENCHMARK_PAIRS, build_steps,
                                            pair_settings, report)
    from mmengine.registry import DefaultScope
    DefaultScope.get_instance(f'test_benchmark_{kind}', scope_name='mmrazor')
    pair = pair_settings(kind, (64, 128), batch=2)
    steps = build_steps(pair, ['c', 'd', 'd1', 'd+'])
    mmrazor = BENCHMARK_PAIRS[kind].get('mmrazor', True)
    assert set(steps) == {'a', 'b', 'd', 'd1', 'd+', 'f', 'fg'
                          } | ({'c'} if mmrazor else set())
    assert ('(c) left out' in capsys.readouterr().out) != mmrazor
    for step in steps.values():
        step()
    report({key: dict(time=1.0, peak=1.0) for key in steps}, ['c', 'd'])
    assert 'd   / (a + b) = 0.500' in capsys.readouterr().out


def test_benchmark_variants_by_name_or_letter():
    from dist_mm.benchmarks.distill import VARIANT_NAMES, variant_keys
    assert variant_keys(['mmrazor', 'd', 'distplus',
                         'dist-teacher-bf16']) == ['c', 'd', 'd+', 'd2']
    assert set(map(VARIANT_NAMES.get,
                   VARIANT_NAMES)) == set(variant_keys(list(VARIANT_NAMES)))
    with pytest.raises(ValueError, match="unknown benchmark variants.*'dist'"):
        variant_keys(['dsit'])
