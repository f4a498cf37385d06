"""Cluster jobs that survive time limits, preemption and dead workers, with
real processes: ``tools/train.py``, torchrun (``tools/dist_train.sh``, 2
gloo processes, one or two node ranks on loopback) and a real local Slurm
cluster (``tools/slurm_train.sh`` in an sbatch job).

Every interrupted run is resumed without ``--resume`` and must end with a
checkpoint equal, tensor for tensor, to that of an uninterrupted run of the
same config: student, connectors, acclimated teacher parts, optimizer and
schedulers. The signals are real: ``tests/signal_hooks.py`` makes the
operating system (or ``scancel``) deliver them at a chosen iteration.
"""
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from dist_mm.apis import build_train_config, parse_train_args
from dist_mm.compat import CorruptCheckpointError
from dist_mm.engine import (EXIT_INTERRUPTED, INTERRUPTED_MARKER,
                            find_resumable_checkpoint, restart_reason)
from dist_mm.testing import DEMO_CONFIGS, prepare_demo_dir
from mmengine.runner.checkpoint import save_checkpoint

from tests.helpers import assert_same_tree, free_port

pytestmark = pytest.mark.slow

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TRAIN = osp.join(ROOT, 'tools', 'train.py')
DISTPLUS = osp.join(DEMO_CONFIGS, 'distplus_pspnet_demo.py')
# acclimation from the first iteration (no warm-up), the teacher guard
# (whose start value is checkpointed), a fixed seed, no validation
BASE = f"""_base_ = ['{DISTPLUS}']
custom_imports = dict(imports=['dist_mm', 'tests.signal_hooks'],
                      allow_failed_imports=False)
randomness = dict(seed=0)
guard = dict(type='TeacherGuardHook', window=1, max_drop=0.99, action='warn')
log_processor = dict(by_epoch=False)
"""
# mmdet's COCO schedules are epoch-based: 2 epochs of 8 batches (4 a rank
# with 2 ranks), loaded by
# a worker process
EPOCH_CFG = BASE + """
train_dataloader = dict(
    batch_size=2, num_workers=1,
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True))
train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs=2,
                 val_interval=1000)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(by_epoch=True, interval=1))
custom_hooks = [guard]
"""
ITERS = 10
ITER_CFG = BASE + f"""
train_dataloader = dict(batch_size=2)
train_cfg = dict(max_iters={ITERS}, val_interval=1000)
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(by_epoch=False, interval=4,
                                     max_keep_ckpts=-1))
custom_hooks = [guard]
"""


def signal_at(cfg: str, *extra_hooks: dict, **hook) -> str:
    """``cfg`` with a ``SendSignalHook(**hook)`` and ``extra_hooks``
    added."""
    hooks = [dict(type='SendSignalHook', **hook), *extra_hooks]
    return cfg + f'custom_hooks = [guard, {", ".join(map(repr, hooks))}]\n'


def environment(**extra) -> dict:
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([ROOT,
                                    os.environ.get('PYTHONPATH', '')]),
        PYTHONWARNINGS='ignore',
        PYTHON=sys.executable,
        **extra)
    for var in ('SLURM_RESTART_COUNT', 'TORCHELASTIC_RESTART_COUNT'):
        env.pop(var, None)
    return env


def run(cmd, cwd, env=None, timeout=600):
    proc = subprocess.run(
        cmd,
        cwd=cwd,
        env=env or environment(),
        text=True,
        capture_output=True,
        timeout=timeout,
        start_new_session=True)  # a signal to the group stays in the run
    return proc.returncode, proc.stdout + proc.stderr


def train(cwd, cfg, work_dir, *options):
    return run([sys.executable, TRAIN, cfg, '--work-dir', work_dir, *options],
               cwd)


def torchrun(cwd, cfg, work_dir, procs=2, env=None, *options):
    return run([
        'bash',
        osp.join(ROOT, 'tools', 'dist_train.sh'), cfg,
        str(procs), '--work-dir', work_dir, *options
    ], cwd, env)


def assert_same_training_state(expected_path, got_path) -> None:
    expected = torch.load(expected_path, weights_only=False)
    got = torch.load(got_path, weights_only=False)
    state = got['state_dict']
    assert any(k.startswith('distiller.connectors.') for k in state)
    assert any(k.startswith('teacher.') for k in state)
    for key in ('state_dict', 'optimizer', 'param_schedulers'):
        assert_same_tree(expected[key], got[key], key)
    for key in ('epoch', 'iter', 'teacher_start_acc'):
        assert got['meta'][key] == expected['meta'][key], key


@pytest.fixture(scope='module')
def demo_dir(tmp_path_factory):
    path = prepare_demo_dir(
        tmp_path_factory.mktemp('preempt'), train_images=16)
    (path / 'epoch_cfg.py').write_text(EPOCH_CFG)
    (path / 'iter_cfg.py').write_text(ITER_CFG)
    return path


def ddp_run(demo_dir, cfg: str) -> Path:
    """The work dir of an uninterrupted 2-rank run of ``cfg``."""
    work_dir = f'wd_ddp_{Path(cfg).stem}'
    rc, log = torchrun(
        demo_dir, cfg, work_dir, env=environment(PORT=str(free_port())))
    assert rc == 0, log[-4000:]
    return demo_dir / work_dir


@pytest.fixture(scope='module')
def ddp_reference(demo_dir):
    return ddp_run(demo_dir, 'iter_cfg.py')


def test_sigterm_mid_epoch_checkpoints_and_the_next_run_resumes(demo_dir):
    rc, log = train(demo_dir, 'epoch_cfg.py', 'wd_ref')
    assert rc == 0, log[-4000:]
    (demo_dir / 'sigterm.py').write_text(
        signal_at(EPOCH_CFG, at_iter=2, sig='SIGTERM', group=True))
    rc, log = train(demo_dir, 'sigterm.py', 'wd_int')
    assert rc == EXIT_INTERRUPTED, log[-4000:]
    assert 'Received SIGTERM: stopped after iteration 2 (all 1 rank(s)) ' \
        'and saved' in log
    work_dir = demo_dir / 'wd_int'
    marker = json.loads((work_dir / INTERRUPTED_MARKER).read_text())
    assert marker['signal'] == 'SIGTERM'
    assert marker['iter'] == 2 and marker['epoch'] == 0  # inside epoch 1
    assert marker['checkpoint'] == str(work_dir / 'iter_2.pth')
    assert (work_dir / 'last_checkpoint').read_text() == marker['checkpoint']
    assert not (work_dir / 'epoch_1.pth').exists()

    # the same command again (what a user resubmits): resumes by itself
    rc, log = train(demo_dir, 'sigterm.py', 'wd_int')
    assert rc == 0, log[-4000:]
    assert 'Resuming automatically: the previous run in' in log
    assert 'resumed epoch: 0, iter: 2' in log
    assert 'Resuming inside epoch 1: skipping the 2 of 8 batches' in log
    assert not (work_dir / INTERRUPTED_MARKER).exists()
    assert_same_training_state(demo_dir / 'wd_ref' / 'epoch_2.pth',
                               work_dir / 'epoch_2.pth')


def test_signal_to_the_process_group_spares_the_iteration_loops_workers(
        demo_dir):
    # the iteration loop starts its DataLoader workers before any hook runs
    workers = ITER_CFG + 'train_dataloader = dict(num_workers=1)\n'
    (demo_dir / 'workers.py').write_text(workers)
    (demo_dir / 'workers_usr1.py').write_text(
        signal_at(workers, at_iter=3, group=True))
    rc, log = train(demo_dir, 'workers.py', 'wd_workers_ref')
    assert rc == 0, log[-4000:]
    rc, log = train(demo_dir, 'workers_usr1.py', 'wd_workers')
    assert rc == EXIT_INTERRUPTED, log[-4000:]
    assert 'Received SIGUSR1: stopped after iteration 3' in log
    assert 'killed by signal' not in log
    rc, log = train(demo_dir, 'workers_usr1.py', 'wd_workers')
    assert rc == 0, log[-4000:]
    assert 'resumed epoch: 0, iter: 3' in log
    assert_same_training_state(
        demo_dir / 'wd_workers_ref' / f'iter_{ITERS}.pth',
        demo_dir / 'wd_workers' / f'iter_{ITERS}.pth')


def test_truncated_newest_checkpoint_is_skipped_for_the_previous(demo_dir):
    ref = demo_dir / 'wd_ref'  # written by the test above
    if not (ref / 'epoch_2.pth').exists():
        rc, log = train(demo_dir, 'epoch_cfg.py', 'wd_ref')
        assert rc == 0, log[-4000:]
    work_dir = demo_dir / 'wd_trunc'
    work_dir.mkdir()
    for name in ('epoch_1.pth', 'epoch_2.pth'):
        shutil.copy2(ref / name, work_dir / name)
    newest = work_dir / 'epoch_2.pth'
    newest.write_bytes(newest.read_bytes()[:newest.stat().st_size // 2])
    os.utime(work_dir / 'epoch_1.pth', (1, 1))  # the older one
    rc, log = train(demo_dir, 'epoch_cfg.py', str(work_dir), '--resume')
    assert rc == 0, log[-4000:]
    assert (
        f'Checkpoint {newest} is truncated or corrupt (not an intact '
        f"checkpoint archive); skipping it, trying {work_dir / 'epoch_1.pth'}"
        ' instead') in log
    assert 'resumed epoch: 1, iter: 8' in log
    # epoch 2 trained again from epoch 1 ends where the reference ended
    assert_same_training_state(ref / 'epoch_2.pth', newest)


def _checkpoint(path, iteration):
    save_checkpoint(dict(meta=dict(iter=iteration), state_dict={}), str(path))


def test_find_resumable_checkpoint_order_and_refusal(tmp_path):
    assert find_resumable_checkpoint(str(tmp_path)) is None
    names = ['iter_4.pth', 'epoch_1.pth', 'best_mIoU_iter_6.pth', 'iter_8.pth']
    for i, name in enumerate(names):
        _checkpoint(tmp_path / name, i)
        os.utime(tmp_path / name, (100 + i, 100 + i))
    (tmp_path / 'teacher.pth').write_bytes(b'')  # not a training checkpoint
    assert find_resumable_checkpoint(str(tmp_path)) == \
        str(tmp_path / 'iter_8.pth')  # best_* is not a resume point
    for name in ('iter_8.pth', 'epoch_1.pth'):
        (tmp_path / name).write_bytes(b'PK\x03\x04 half')
    assert find_resumable_checkpoint(str(tmp_path)) == \
        str(tmp_path / 'iter_4.pth')
    (tmp_path / 'iter_4.pth').write_bytes(b'')
    with pytest.raises(CorruptCheckpointError, match='none of the 3'):
        find_resumable_checkpoint(str(tmp_path))


def test_restart_reason_and_auto_resume_config(tmp_path, monkeypatch):
    for var in ('SLURM_RESTART_COUNT', 'TORCHELASTIC_RESTART_COUNT'):
        monkeypatch.delenv(var, raising=False)
    work_dir = tmp_path / 'wd'
    work_dir.mkdir()
    assert restart_reason(str(work_dir)) is None
    monkeypatch.setenv('TORCHELASTIC_RESTART_COUNT', '0')
    assert restart_reason(str(work_dir)) is None
    monkeypatch.setenv('TORCHELASTIC_RESTART_COUNT', '2')
    assert 'torchrun restarted' in restart_reason(str(work_dir))
    monkeypatch.delenv('TORCHELASTIC_RESTART_COUNT')
    monkeypatch.setenv('SLURM_RESTART_COUNT', '1')
    assert 'Slurm requeued' in restart_reason(str(work_dir))
    monkeypatch.delenv('SLURM_RESTART_COUNT')
    (work_dir / INTERRUPTED_MARKER).write_text('{}')
    assert 'was interrupted' in restart_reason(str(work_dir))

    _checkpoint(work_dir / 'iter_3.pth', 3)
    config = osp.join(DEMO_CONFIGS, 'retinanet-r18_student_demo.py')
    cfg = build_train_config(
        parse_train_args([
            config, '--work-dir',
            str(work_dir), '--checkpoint-minutes', '30', '--cfg-options',
            'train_cfg.type=EpochBasedTrainLoop', 'train_cfg.max_epochs=2'
        ]))
    assert cfg.resume is True
    assert cfg.load_from == str(work_dir / 'iter_3.pth')
    assert cfg.train_cfg.type == 'ResumableEpochBasedTrainLoop'
    hooks = {h.type: h for h in cfg.custom_hooks}
    assert hooks['PreemptionCheckpointHook'].interval_minutes == 30
    assert 'RNGStateHook' in hooks
    # nothing says to resume: a fresh run
    (work_dir / INTERRUPTED_MARKER).unlink()
    cfg = build_train_config(
        parse_train_args([config, '--work-dir',
                          str(work_dir)]))
    assert not cfg.get('resume') and cfg.get('load_from') is None


def test_hook_refuses_mmengines_epoch_loop_and_unknown_signals(demo_dir):
    from dist_mm.engine import PreemptionCheckpointHook
    with pytest.raises(ValueError, match=r"closest: \[.*'SIGUSR1'"):
        PreemptionCheckpointHook(signals=['SIGUSR'])
    (demo_dir / 'plain_epoch.py'
     ).write_text(EPOCH_CFG +
                  "custom_hooks = [dict(type='PreemptionCheckpointHook')]\n")
    # tools/train.py swaps the loop; a Runner built directly does not
    code = ('import sys; from mmengine.config import Config; '
            'from mmengine.runner import Runner; import dist_mm; '
            "cfg = Config.fromfile('plain_epoch.py'); cfg.work_dir = 'wd_pl';"
            'Runner.from_cfg(cfg).train()')
    rc, log = run([sys.executable, '-c', code], demo_dir)
    assert rc != 0
    assert "Use train_cfg = dict(type='ResumableEpochBasedTrainLoop'" in log


def test_time_based_checkpoints_are_pruned_not_the_schedules(demo_dir):
    # due after every iteration (0.0001 min), the newest one kept; the
    # schedule's iter_4, iter_8 and iter_10 are never removed
    rc, log = train(demo_dir, 'iter_cfg.py', 'wd_timed',
                    '--checkpoint-minutes', '0.0001')
    assert rc == 0, log[-4000:]
    assert 'a checkpoint every 0.0001 min' in log
    for removed in (1, 2, 3, 5, 6, 7):
        assert (f'Removing time-based checkpoint '
                f"{demo_dir / 'wd_timed' / f'iter_{removed}.pth'}") in log
    names = sorted(p.name for p in (demo_dir / 'wd_timed').glob('*.pth'))
    assert names == ['iter_10.pth', 'iter_4.pth', 'iter_8.pth', 'iter_9.pth']


def test_torchrun_signal_to_one_rank_and_a_killed_worker(
        demo_dir, ddp_reference):
    # rank 1 alone gets SIGUSR1 after iteration 3; both ranks stop there and
    # torchrun restarts them (restart 1), which resume from iter_3; rank 1
    # is then SIGKILLed after iteration 6 (restart 2): resumed from iter_4
    cfg = signal_at(
        ITER_CFG, at_iter=3, rank=1) + (
            'custom_hooks.append(dict(type="SendSignalHook", at_iter=6, '
            'sig="SIGKILL", rank=1, restart=1))\n')
    (demo_dir / 'elastic.py').write_text(cfg)
    rc, log = torchrun(
        demo_dir,
        'elastic.py',
        'wd_elastic',
        env=environment(PORT=str(free_port()), MAX_RESTARTS='2'))
    assert rc == 0, log[-6000:]
    assert 'Received SIGUSR1: stopped after iteration 3 (all 2 rank(s))' \
        in log
    assert 'TORCHELASTIC_RESTART_COUNT=1' in log
    assert 'resumed epoch: 0, iter: 3' in log
    assert 'TORCHELASTIC_RESTART_COUNT=2' in log
    assert 'resumed epoch: 0, iter: 4' in log  # iterations 5-6 repeated
    work_dir = demo_dir / 'wd_elastic'
    assert not list(work_dir.glob('.*.tmp'))
    assert_same_training_state(ddp_reference / f'iter_{ITERS}.pth',
                               work_dir / f'iter_{ITERS}.pth')


def test_two_node_ranks_on_loopback_train_and_resume(demo_dir, ddp_reference):
    (demo_dir / 'two_nodes.py').write_text(
        signal_at(ITER_CFG, at_iter=5, rank=1))

    def launch_both():
        # torchrun sets OMP_NUM_THREADS=1 only for several processes a node;
        # the reference ran with one thread a process
        env = environment(
            NNODES='2', PORT=str(free_port()), OMP_NUM_THREADS='1')
        nodes = [
            subprocess.Popen([
                'bash',
                osp.join(ROOT, 'tools', 'dist_train.sh'), 'two_nodes.py', '1',
                '--work-dir', 'wd_nodes'
            ],
                             cwd=demo_dir,
                             env=dict(env, NODE_RANK=str(rank)),
                             stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT,
                             text=True) for rank in (0, 1)
        ]
        logs = [node.communicate(timeout=600)[0] for node in nodes]
        return [node.returncode for node in nodes], logs[0] + logs[1]

    codes, log = launch_both()
    assert codes != [0, 0], log[-6000:]  # interrupted (torchrun says 1)
    assert 'Received SIGUSR1: stopped after iteration 5 (all 2 rank(s))' \
        in log
    marker = json.loads(
        (demo_dir / 'wd_nodes' / INTERRUPTED_MARKER).read_text())
    assert marker['rank_iters'] == [5, 5]
    codes, log = launch_both()  # resubmitted: both node ranks resume
    assert codes == [0, 0], log[-6000:]
    assert 'resumed epoch: 0, iter: 5' in log
    assert_same_training_state(ddp_reference / f'iter_{ITERS}.pth',
                               demo_dir / 'wd_nodes' / f'iter_{ITERS}.pth')


SBATCH = """#!/bin/bash
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output={out}
#SBATCH --ntasks=2
#SBATCH --cpus-per-task=1
cd {cwd}
OMP_NUM_THREADS=1 GPUS=2 GPUS_PER_NODE=0 CPUS_PER_TASK=1 \\
    bash {root}/tools/slurm_train.sh debug preempt slurm_cfg.py wd_slurm
"""


def test_slurm_job_signalled_mid_epoch_requeues_and_resumes(slurm, demo_dir):
    # Slurm itself delivers SIGUSR1 (as at --signal's warning time) to every
    # process of the step, DataLoader workers included, after iteration 2
    # of an epoch of 4; slurm_train.sh requeues the batch job, which
    # resumes by itself (SLURM_RESTART_COUNT=1). Rank 1 leaves last, so
    # srun (--kill-on-bad-exit) terminates it once rank 0 has exited with
    # 75: the step's status is then 143, and the job still requeues.
    reference = ddp_run(demo_dir, 'epoch_cfg.py')
    (demo_dir / 'slurm_cfg.py').write_text(
        signal_at(
            EPOCH_CFG,
            dict(type='SlowExitHook', rank=1, seconds=10),
            at_iter=2,
            rank=0,
            scancel=True))
    out = demo_dir / 'slurm.out'
    (demo_dir / 'job.sh').write_text(
        SBATCH.format(out=out, cwd=demo_dir, root=ROOT))
    env = dict(
        environment(MASTER_PORT=str(free_port())),
        SLURM_CONF=slurm.env['SLURM_CONF'])
    rc, log = run(['sbatch', '--parsable', 'job.sh'], demo_dir, env)
    assert rc == 0, log
    job = log.strip().split(';')[0]
    deadline = time.time() + 600
    state = ''
    while time.time() < deadline:
        rc, state = run(['scontrol', 'show', 'job', job], demo_dir, env)
        if 'JobState=COMPLETED' in state or 'JobState=FAILED' in state:
            break
        time.sleep(1)
    log = out.read_text()
    assert 'JobState=COMPLETED' in state, state + log[-6000:]
    assert 'Restarts=1' in state
    stopped = re.search(
        r'Received SIGUSR1: stopped after iteration (\d+) \(all 2 rank', log)
    assert stopped, log[-6000:]
    done = int(stopped.group(1))
    assert 0 < done < 4  # inside the first epoch
    assert 'killed by signal' not in log
    assert 'slurm_train.sh: training was interrupted; requeued job' in log
    assert 'Slurm requeued the job (SLURM_RESTART_COUNT=1)' in log
    assert f'resumed epoch: 0, iter: {done}' in log
    assert f'Resuming inside epoch 1: skipping the {done} of 4 batches' in log
    assert_same_training_state(reference / 'epoch_2.pth',
                               demo_dir / 'wd_slurm' / 'epoch_2.pth')
