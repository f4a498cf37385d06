"""dist_mm installed from a built wheel, not as an editable clone.

``pip wheel .`` builds the wheel from a clean copy of the tracked files,
``pip install --target`` installs it into a fresh directory, and every
command then runs with that directory first on ``PYTHONPATH``, from a working
directory outside the repository: ``import dist_mm``, ``mim train`` /
``mim test`` / ``mim run`` and ``tools/demo.py --help`` must all use the
installed copy and the configs and tools copied into its ``dist_mm/.mim``.
The other dependencies are this environment's (``--no-deps``).
"""
import ast
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
MIM = osp.join(osp.dirname(sys.executable), 'mim')


def run(cmd, cwd, env=None):
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, text=True, capture_output=True, timeout=900)
    assert proc.returncode == 0, (' '.join(map(str, cmd)) + '\n' +
                                  proc.stdout[-3000:] + proc.stderr[-3000:])
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """(site dir with the installed wheel, env using it, working dir with
    the demo data and teacher, made by the installed package)."""
    src = tmp_path_factory.mktemp('src')
    tracked = run(['git', 'ls-files', '-z'], ROOT).split('\0')
    for name in filter(None, tracked):
        if osp.isfile(osp.join(ROOT, name)):
            os.makedirs(src / osp.dirname(name), exist_ok=True)
            shutil.copy2(osp.join(ROOT, name), src / name)
    wheels = tmp_path_factory.mktemp('wheels')
    run([
        sys.executable, '-m', 'pip', 'wheel', '--no-deps',
        '--no-build-isolation', '-w',
        str(wheels),
        str(src)
    ], src)
    wheel, = wheels.glob('dist_mm-*.whl')
    site = tmp_path_factory.mktemp('site')
    run([
        sys.executable, '-m', 'pip', 'install', '--no-deps', '--no-index',
        '--target',
        str(site),
        str(wheel)
    ], wheels)
    env = dict(os.environ, PYTHONPATH=str(site), PYTHONWARNINGS='ignore')
    cwd = tmp_path_factory.mktemp('run')
    run([
        sys.executable, '-c', 'from pathlib import Path; '
        'from dist_mm.testing import prepare_demo_dir; '
        'prepare_demo_dir(Path("."))'
    ], cwd, env)
    return site, env, cwd


def test_the_installed_copy_is_imported_with_its_configs(installed):
    site, env, cwd = installed
    out = run([
        sys.executable, '-c', 'import dist_mm, os; '
        'from dist_mm.testing import DEMO_CONFIGS; '
        'print(dist_mm.__file__); print(DEMO_CONFIGS); '
        'print(os.path.islink(os.path.dirname(DEMO_CONFIGS)))'
    ], cwd, env)
    module, configs, is_link = out.split()[-3:]
    assert module.startswith(str(site)), out
    assert configs == str(site / 'dist_mm' / '.mim' / 'configs' / 'demo')
    assert is_link == 'False'  # copied into the wheel, not linked
    assert (site / 'dist_mm' / '.mim' / 'tools' / 'train.py').is_file()


def test_mim_train_test_and_convert_from_the_wheel(installed):
    site, env, cwd = installed
    out = run([
        MIM, 'train', 'dist_mm', 'distplus_pspnet_demo.py', '--work-dir', 'wd',
        '--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'default_hooks.checkpoint.interval=2', 'train_dataloader.batch_size=4'
    ], cwd, env)
    mim_dir = str(site / 'dist_mm' / '.mim')
    # mim found the config and the train script in the installed package
    assert mim_dir + '/configs/demo/distplus_pspnet_demo.py' in out, out
    assert 'Iter(train) [2/2]' in out and 'mIoU' in out
    out = run([
        MIM, 'test', 'dist_mm', 'distplus_pspnet_demo.py', '--checkpoint',
        'wd/iter_2.pth', '--work-dir', 'wd_test'
    ], cwd, env)
    assert 'Iter(test)' in out and 'mIoU' in out
    out = run([
        MIM, 'run', 'dist_mm', 'convert_to_student', 'wd/iter_2.pth',
        'student.pth'
    ], cwd, env)
    assert 'student tensors' in out and (cwd / 'student.pth').is_file()


def test_installed_demo_tool_runs(installed):
    site, env, cwd = installed
    demo = site / 'dist_mm' / '.mim' / 'tools' / 'demo.py'
    out = run([sys.executable, str(demo), '--help'], cwd, env)
    assert '--task' in out and '--seeds' in out


def test_mim_search_lists_every_shipped_config(installed):
    """``mim search dist_mm`` reads the installed wheel's model index: every
    shipped config (the demo's included), with its paper result."""
    site, env, cwd = installed
    shipped = sorted(
        osp.splitext(name)[0]
        for folder in os.listdir(osp.join(ROOT, 'configs'))
        if folder not in ('_base_', 'README.md')
        for name in os.listdir(osp.join(ROOT, 'configs', folder))
        if name.endswith('.py') and not name.startswith('_'))
    assert (site / 'dist_mm' / '.mim' / 'model-index.yml').is_file()
    out = run([MIM, 'search', 'dist_mm', '--valid-config'], cwd, env)
    listed = ast.literal_eval(out[out.index('['):out.rindex(']') + 1])
    assert sorted(listed) == shipped
    out = run([MIM, 'search', 'dist_mm'], cwd, env)
    entry = out.split('config id: distplus_cascade-mask-rcnn_x101-fpn_'
                      'faster-rcnn_r50-fpn_2x_coco\n')[1].split('-----')[0]
    assert 'coco/box_ap      42.1' in entry  # the paper's DIST+ row
