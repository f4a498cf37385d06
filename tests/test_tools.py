"""The user-facing tools run for real: mim train / mim test of a demo config,
and the student converter (also through mim run)."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.device import get_device
from mmengine.runner import load_checkpoint

from dist_mm.testing import DEMO_CONFIGS, prepare_demo_dir
from mmrazor.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO = DEMO_CONFIGS
MIM = osp.join(osp.dirname(sys.executable), 'mim')


def mim(*args, cwd):
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    proc = subprocess.run([MIM, *args], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def demo_run(tmp_path_factory):
    """Synthetic Cityscapes data, a teacher checkpoint of the demo teacher's
    architecture, and 3 iterations of ``mim train dist_mm`` DIST+."""
    cwd = prepare_demo_dir(tmp_path_factory.mktemp('demo'))
    out = mim('train', 'dist_mm', osp.join(DEMO, 'distplus_pspnet_demo.py'),
              '--work-dir', 'wd', '--cfg-options', 'train_cfg.max_iters=3',
              'train_cfg.val_interval=3', 'default_hooks.logger.interval=1',
              'default_hooks.checkpoint.interval=3',
              'train_dataloader.batch_size=4', cwd=cwd)
    return cwd, out


def test_mim_train_runs_the_packaged_train_script(demo_run):
    cwd, out = demo_run
    assert 'Iter(train) [3/3]' in out
    assert 'distill.loss_dist_feat' in out and 'mIoU' in out
    assert (cwd / 'wd' / 'iter_3.pth').exists()


def test_mim_test_evaluates_a_checkpoint(demo_run):
    cwd, _ = demo_run
    out = mim('test', 'dist_mm', osp.join(DEMO, 'distplus_pspnet_demo.py'),
              '--checkpoint', 'wd/iter_3.pth', '--work-dir', 'wd_test',
              '--dump-metrics', 'metrics.json', cwd=cwd)
    assert 'Iter(test)' in out and 'mIoU' in out
    assert (cwd / 'metrics.json').exists()


def test_converter_gives_a_plain_student_with_same_predictions(demo_run):
    cwd, _ = demo_run
    out = mim('run', 'dist_mm', 'convert_to_student', 'wd/iter_3.pth',
              'student.pth', cwd=cwd)
    assert 'student tensors' in out
    plain = MODELS.build(
        Config.fromfile(osp.join(DEMO, 'pspnet-r18_student_demo.py')).model)
    load_checkpoint(plain, str(cwd / 'student.pth'), strict=True)

    distill_cfg = Config.fromfile(osp.join(DEMO,
                                           'distplus_pspnet_demo.py')).model
    distill_cfg.teacher_ckpt = str(cwd / 'work_dirs' / 'demo' /
                                   'teacher.pth')
    distill = MODELS.build(distill_cfg)
    load_checkpoint(distill, str(cwd / 'wd' / 'iter_3.pth'), strict=True)
    plain.eval()
    distill.eval()
    x = torch.randn(2, 3, 64, 128)
    with torch.no_grad():
        expected = distill.student(x, None, mode='tensor')
        got = plain(x, None, mode='tensor')
    torch.testing.assert_close(got, expected, rtol=0, atol=0)


def _load_tool(name):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        f'dist_mm_tool_{name}', osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('flag', ['--local_rank', '--local-rank'])
def test_train_and_test_accept_both_local_rank_spellings(flag, monkeypatch):
    config = osp.join(DEMO, 'pspnet-r18_student_demo.py')
    train = _load_tool('train')
    monkeypatch.setattr(sys, 'argv', [
        'train.py', config, flag, '3', '--amp', '--resume',
        '--launcher', 'pytorch', '--cfg-options', 'train_cfg.max_iters=7'])
    monkeypatch.setenv('LOCAL_RANK', '')  # restored after the test
    monkeypatch.delenv('LOCAL_RANK')
    args = train.parse_args()
    assert args.local_rank == 3 and os.environ['LOCAL_RANK'] == '3'
    cfg = train.build_config(args)
    assert cfg.optim_wrapper.type == ('CPUAmpOptimWrapper' if get_device()
                                      == 'cpu' else 'AmpOptimWrapper')
    assert cfg.resume is True and cfg.launcher == 'pytorch'
    assert cfg.train_cfg.max_iters == 7
    test = _load_tool('test')
    monkeypatch.setattr(sys, 'argv',
                        ['test.py', config, 'ckpt.pth', flag, '1'])
    assert test.parse_args().local_rank == 1


def test_demo_progress_shows_log_lines_not_the_config_dump(demo_run):
    """tools/demo.py streams mmengine's progress lines of a real run, not
    the config dump (which lists ``'mIoU',`` among the metrics)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'demo_tool', osp.join(ROOT, 'tools', 'demo.py'))
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    _, out = demo_run
    lines = out.splitlines()
    shown = [line for line in lines if demo.PROGRESS.search(line)]
    assert any('Iter(train)' in line for line in shown)
    # the DIST+ validation reports the teacher's metrics too
    assert any('Iter(val)' in line and 'teacher.mIoU' in line
               for line in shown)
    dump = [line for line in lines
            if 'mIoU' in line and ' - mmengine - ' not in line]
    assert dump and not any(demo.PROGRESS.search(line) for line in dump)
