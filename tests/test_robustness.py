"""Runs that survive and inputs that are refused, with real processes.

* a training run SIGKILLed after a checkpoint resumes (``--resume``) to
  exactly the state of an uninterrupted run;
* a process killed while writing a checkpoint leaves the previous file;
* bad input stops ``tools/train.py`` with an error that names the problem
  and its fix, before anything is trained or overwritten;
* ``--amp`` (bf16 autocast on CPU) trains with finite losses.
"""
import contextlib
import math
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch

from dist_mm.algorithms import build_model
from dist_mm.engine import ATOMIC_BACKEND_ARGS
from dist_mm.testing import DEMO_CONFIGS, prepare_demo_dir
from mmengine.config import Config
from mmengine.runner.checkpoint import save_checkpoint

from tests.helpers import assert_same_tree, logged_losses

pytestmark = pytest.mark.slow

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TRAIN = osp.join(ROOT, 'tools', 'train.py')
DISTPLUS = osp.join(DEMO_CONFIGS, 'distplus_pspnet_demo.py')
# fixed seed, the global random state (dropout masks) kept in checkpoints,
# checkpoints every 2 iterations, no val
RESUME_CFG = f"""_base_ = ['{DISTPLUS}']
randomness = dict(seed=0)
custom_hooks = [dict(type='RNGStateHook')]
train_dataloader = dict(batch_size=2)
train_cfg = dict(val_interval=1000)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=2, max_keep_ckpts=-1))
"""


def train_cmd(*args):
    return [sys.executable, TRAIN, *args]


def run(cmd, cwd, timeout=600):
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    return subprocess.run(
        cmd, cwd=cwd, env=env, text=True, capture_output=True, timeout=timeout)


@pytest.fixture(scope='module')
def demo_dir(tmp_path_factory):
    path = prepare_demo_dir(tmp_path_factory.mktemp('robust'))
    (path / 'resume_cfg.py').write_text(RESUME_CFG)
    return path


def test_killed_run_resumes_to_the_uninterrupted_state(demo_dir):
    cfg = 'resume_cfg.py'
    ref = run(
        train_cmd(cfg, '--work-dir', 'wd_ref', '--cfg-options',
                  'train_cfg.max_iters=4'), demo_dir)
    assert ref.returncode == 0, ref.stderr[-3000:]

    # same schedule, but killed (SIGKILL) as soon as iteration 2 is saved
    killed = subprocess.Popen(
        train_cmd(cfg, '--work-dir', 'wd_kill', '--cfg-options',
                  'train_cfg.max_iters=1000'),
        cwd=demo_dir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    last = demo_dir / 'wd_kill' / 'last_checkpoint'
    deadline = time.time() + 300
    while not last.exists() and killed.poll() is None \
            and time.time() < deadline:
        time.sleep(0.02)
    killed.send_signal(signal.SIGKILL)
    assert killed.wait() == -signal.SIGKILL
    assert last.read_text().endswith('iter_2.pth')

    resumed = run(
        train_cmd(cfg, '--work-dir', 'wd_kill', '--resume', '--cfg-options',
                  'train_cfg.max_iters=4'), demo_dir)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'resumed epoch: 0, iter: 2' in resumed.stdout + resumed.stderr

    expected = torch.load(
        demo_dir / 'wd_ref' / 'iter_4.pth', weights_only=False)
    got = torch.load(demo_dir / 'wd_kill' / 'iter_4.pth', weights_only=False)
    state = got['state_dict']
    # what must be restored: student, connectors, acclimated teacher parts
    assert any(k.startswith('distiller.connectors.') for k in state)
    acclimated = 'teacher.decode_head.conv_seg.weight'
    before = torch.load(demo_dir / 'work_dirs' / 'demo' / 'teacher.pth')
    assert not torch.equal(state[acclimated],
                           before['state_dict']['decode_head.conv_seg.weight'])
    for key in ('state_dict', 'optimizer', 'param_schedulers'):
        assert_same_tree(expected[key], got[key], key)
    assert got['meta']['iter'] == expected['meta']['iter'] == 4


KILL_WHILE_SAVING = """
import os, signal, sys
import torch
import dist_mm
from dist_mm.engine import atomic_save
from mmengine.runner.checkpoint import save_checkpoint

def die_half_way(f, data):
    f.write(data[:len(data) // 2])
    f.flush()
    os.kill(os.getpid(), signal.SIGKILL)

atomic_save._write_all = die_half_way
save_checkpoint({'state_dict': {'w': torch.full((10000,), 2.0)}},
                sys.argv[1], backend_args=atomic_save.ATOMIC_BACKEND_ARGS)
"""


def test_kill_while_saving_keeps_the_previous_checkpoint(tmp_path):
    path = tmp_path / 'latest.pth'
    save_checkpoint({'state_dict': {
        'w': torch.full((10000, ), 1.0)
    }},
                    str(path),
                    backend_args=ATOMIC_BACKEND_ARGS)
    proc = subprocess.run([sys.executable, '-c', KILL_WHILE_SAVING,
                           str(path)],
                          capture_output=True,
                          text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    # the new file was half written when the process died ...
    partial = [p for p in tmp_path.iterdir() if p.name != 'latest.pth']
    assert len(partial) == 1 and 0 < partial[0].stat().st_size
    # ... under a temporary name: the checkpoint is the previous one
    assert torch.equal(
        torch.load(path)['state_dict']['w'], torch.full((10000, ), 1.0))


def test_atomic_save_keeps_mode_and_symlinks_and_leaves_other_writes(tmp_path):
    """The atomic backend keeps an existing file's mode, gives a new one
    what open() would, writes through a symlink; mmengine's own local
    backend (every other write) is not touched."""
    from mmengine.fileio import LocalBackend, get_file_backend
    backend = get_file_backend(
        str(tmp_path), backend_args=dict(ATOMIC_BACKEND_ARGS))
    private = tmp_path / 'private.pth'
    private.write_bytes(b'old')
    private.chmod(0o600)
    backend.put(b'new', private)
    assert private.read_bytes() == b'new'
    assert private.stat().st_mode & 0o777 == 0o600
    fresh, plain = tmp_path / 'fresh.pth', tmp_path / 'plain.pth'
    backend.put(b'x', fresh)
    plain.write_bytes(b'x')  # open(path, 'wb'): the umask applies
    assert fresh.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777
    target, link = tmp_path / 'iter_4.pth', tmp_path / 'latest.pth'
    target.write_bytes(b'old')
    link.symlink_to(target.name)
    backend.put(b'new', link)
    assert link.is_symlink() and target.read_bytes() == b'new'
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        'fresh.pth', 'iter_4.pth', 'latest.pth', 'plain.pth', 'private.pth'
    ]
    # other writes: mmengine's backend, unpatched
    assert 'put' not in vars(LocalBackend) or \
        LocalBackend.put.__module__.startswith('mmengine')
    assert type(get_file_backend(str(tmp_path))) is LocalBackend


@contextlib.contextmanager
def read_only_dir(path):
    """A directory nobody can write to, root included (immutable flag)."""
    path.mkdir()
    if os.geteuid() == 0:
        subprocess.run(['chattr', '+i', str(path)], check=True)
    else:
        path.chmod(0o555)
    try:
        yield path
    finally:
        if os.geteuid() == 0:
            subprocess.run(['chattr', '-i', str(path)], check=True)
        path.chmod(0o755)


def refused(demo_dir, *args, config=DISTPLUS):
    """Run train.py expecting a refusal; return its stderr."""
    proc = run(train_cmd(config, *args), demo_dir, timeout=300)
    assert proc.returncode != 0, proc.stdout[-2000:]
    assert 'Iter(train)' not in proc.stdout + proc.stderr
    return proc.stderr


def test_missing_data_root_is_named(demo_dir):
    err = refused(demo_dir, '--work-dir', 'wd_bad', '--cfg-options',
                  'train_dataloader.dataset.data_root=data/nowhere')
    assert ("train_dataloader.dataset.data_root = 'data/nowhere' does not "
            'exist') in err
    assert '--cfg-options train_dataloader.dataset.data_root=' in err


def test_unreadable_teacher_checkpoint_is_refused(demo_dir):
    good = (demo_dir / 'work_dirs' / 'demo' / 'teacher.pth').read_bytes()
    (demo_dir / 'truncated.pth').write_bytes(good[:len(good) // 3])
    err = refused(demo_dir, '--work-dir', 'wd_bad', '--cfg-options',
                  'model.teacher_ckpt=truncated.pth')
    assert "CorruptCheckpointError: Cannot read checkpoint 'truncated.pth'" \
        in err
    assert 'truncated, corrupted or not a PyTorch checkpoint' in err


def test_teacher_checkpoint_of_another_architecture_is_refused(demo_dir):
    student_cfg = Config.fromfile(
        osp.join(DEMO_CONFIGS, 'pspnet-r18_student_demo.py')).model
    torch.save(
        dict(state_dict=build_model(student_cfg.to_dict()).state_dict()),
        demo_dir / 'r18.pth')
    err = refused(demo_dir, '--work-dir', 'wd_bad', '--cfg-options',
                  'model.teacher_ckpt=r18.pth')
    assert "teacher checkpoint 'r18.pth' does not fit the teacher model" \
        in err
    assert 'refusing to distill from a partly random teacher' in err


def test_unknown_loss_type_lists_close_names(demo_dir):
    err = refused(
        demo_dir, '--work-dir', 'wd_bad', '--cfg-options',
        'model.distiller.distill_losses.loss_dist_decode.type=DISTLogitLosss')
    assert ("distill_losses.loss_dist_decode: loss type 'DISTLogitLosss' is "
            "not defined. Closest: ['DISTLogitLoss'") in err


def test_unknown_recorder_lists_close_names(demo_dir):
    err = refused(
        demo_dir, '--work-dir', 'wd_bad', '--cfg-options',
        'model.distiller.loss_forward_mappings.loss_dist_decode.preds_S'
        '.recorder=logit')
    assert ("loss_forward_mappings.loss_dist_decode.preds_S: student "
            "recorder 'logit' is not defined. Closest: ['logits'") in err
    err = refused(
        demo_dir, '--work-dir', 'wd_bad', '--cfg-options',
        'model.distiller.student_recorders.logits.source=decode_head.conv_sg')
    assert ("student recorder 'logits': source 'decode_head.conv_sg' is not "
            'a module of the student') in err
    assert "'decode_head.conv_seg'" in err


def test_non_writable_work_dir_is_refused(demo_dir, tmp_path):
    with read_only_dir(tmp_path / 'ro') as ro:
        err = refused(demo_dir, '--work-dir', str(ro / 'wd'))
        assert f"work_dir '{ro / 'wd'}' is not writable" in err
        assert 'Pass --work-dir' in err
        assert list(ro.iterdir()) == []


def test_corrupt_resume_checkpoint_is_refused_and_kept(demo_dir):
    work_dir = demo_dir / 'wd_corrupt'
    work_dir.mkdir()
    good = (demo_dir / 'work_dirs' / 'demo' / 'teacher.pth').read_bytes()
    broken = good[:len(good) // 2]
    (work_dir / 'iter_2.pth').write_bytes(broken)
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'iter_2.pth'))
    err = refused(demo_dir, '--work-dir', str(work_dir), '--resume')
    assert 'CorruptCheckpointError: Cannot read checkpoint' in err
    assert '--resume PATH' in err
    assert (work_dir / 'iter_2.pth').read_bytes() == broken
    assert sorted(p.name for p in work_dir.iterdir() if p.suffix == '.pth') \
        == ['iter_2.pth']


def test_amp_on_cpu_trains_with_finite_losses(demo_dir):
    proc = run(
        train_cmd('resume_cfg.py', '--amp', '--work-dir', 'wd_amp',
                  '--cfg-options', 'train_cfg.max_iters=2'), demo_dir)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert 'CPUAmpOptimWrapper' in log
    losses = logged_losses(log)
    assert len(losses) >= 2 * 6 and all(map(math.isfinite, losses))
