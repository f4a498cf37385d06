"""Multi-process training for real: 2 gloo processes on CPU.

* the cross-process intra-class statistics against the concatenated batch,
* the parameter-sync check catching a rank that drifted,
* ``tools/dist_train.sh`` (torchrun), ``tools/slurm_train.sh`` and
  ``mim train --launcher slurm`` (against a real local Slurm cluster)
  training DIST+ with DDP (no find_unused_parameters) and all ranks holding
  identical parameters.
"""
import math
import os
import os.path as osp
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from dist_mm.engine import check_params_in_sync
from dist_mm.losses import DISTLogitLoss
from dist_mm.testing import prepare_demo_dir

from tests import reference
from tests.helpers import free_port, logged_losses

pytestmark = pytest.mark.slow

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
WORLD = 2


def _init(rank: int, port: int) -> None:
    torch.set_num_threads(1)
    dist.init_process_group(
        'gloo',
        init_method=f'tcp://127.0.0.1:{port}',
        rank=rank,
        world_size=WORLD)


def _full_batch():
    g = torch.Generator().manual_seed(0)
    logits_s = torch.randn(4, 5, 6, 7, generator=g, dtype=torch.float64)
    logits_t = torch.randn(4, 5, 6, 7, generator=g, dtype=torch.float64)
    valid = torch.rand(4, 1, 6, 7, generator=g) > 0.3
    return logits_s, logits_t, valid


def _synced_intra_worker(rank: int, port: int, out: str) -> None:
    _init(rank, port)
    logits_s, logits_t, valid = _full_batch()
    part = slice(2 * rank, 2 * rank + 2)  # each rank holds 2 of 4 images
    for name, scale, floor in (('', 1.0, 0.0), ('flat', 1e-3, 0.5)):
        local_s = (logits_s[part] * scale).requires_grad_()
        loss = DISTLogitLoss(
            inter_weight=0.0, sync_intra_class=True, spread_floor=floor)
        value = loss(local_s, logits_t[part], valid_mask=valid[part])
        value.backward()
        torch.save(
            dict(value=value.detach(), grad=local_s.grad),
            osp.join(out, f'{name}rank{rank}.pt'))
    dist.destroy_process_group()


def test_synced_intra_class_equals_the_concatenated_batch(tmp_path):
    mp.spawn(
        _synced_intra_worker, args=(free_port(), str(tmp_path)), nprocs=WORLD)
    logits_s, logits_t, valid = _full_batch()
    logits_s.requires_grad_()
    expected = reference.dist_loss(logits_s, logits_t, beta=0.0, valid=valid)
    expected.backward()
    # the plain (local) intra term differs: the option changes the loss
    local = DISTLogitLoss(inter_weight=0.0)(
        logits_s[:2], logits_t[:2], valid_mask=valid[:2])
    assert abs(local.item() - expected.item()) > 1e-3
    for rank in range(WORLD):
        got = torch.load(tmp_path / f'rank{rank}.pt')
        torch.testing.assert_close(got['value'], expected.detach())
        # DDP averages gradients over the ranks: local grad / WORLD
        torch.testing.assert_close(got['grad'] / WORLD,
                                   logits_s.grad[2 * rank:2 * rank + 2])
    # a near-flat student: the synced path bounds the gradient exactly like
    # the single-process kernel does on the concatenated batch
    flat = (logits_s.detach() * 1e-3).requires_grad_()
    bounded = DISTLogitLoss(inter_weight=0.0, spread_floor=0.5)
    bounded(flat, logits_t, valid_mask=valid).backward()
    bounded_grad = flat.grad.clone()
    flat.grad = None
    DISTLogitLoss(
        inter_weight=0.0, spread_floor=0.0)(
            flat, logits_t, valid_mask=valid).backward()
    assert bounded_grad.norm() < 0.1 * flat.grad.norm()  # bound is active
    for rank in range(WORLD):
        got = torch.load(tmp_path / f'flatrank{rank}.pt')
        torch.testing.assert_close(got['grad'] / WORLD,
                                   bounded_grad[2 * rank:2 * rank + 2])


def _sync_check_worker(rank: int, port: int, out: str) -> None:
    _init(rank, port)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    model[0].bias.requires_grad_(False)
    agree = check_params_in_sync(model)
    if rank == 1:
        with torch.no_grad():
            model[1].weight[0, 0] += 1e-3
            model[0].bias += 1.0  # frozen: not compared
    differ = check_params_in_sync(model)
    torch.save(
        dict(agree=agree, differ=differ), osp.join(out, f'rank{rank}.pt'))
    dist.destroy_process_group()


def test_param_sync_check_names_the_parameters_that_drifted(tmp_path):
    mp.spawn(
        _sync_check_worker, args=(free_port(), str(tmp_path)), nprocs=WORLD)
    for rank in range(WORLD):
        got = torch.load(tmp_path / f'rank{rank}.pt')
        assert got['agree'] == {}
        assert got['differ'] == {1: ['1.weight']}


@pytest.fixture(scope='module')
def demo_dir(tmp_path_factory):
    """Synthetic Cityscapes data and a demo teacher checkpoint."""
    return prepare_demo_dir(tmp_path_factory.mktemp('ddp'))


# the teacher guard reduces the teacher's accuracy over the ranks every
# iteration (window 1): a rank that skipped it would hang the run
DDP_CFG = (f"_base_ = ['{ROOT}/configs/demo/distplus_pspnet_demo.py']\n"
           "custom_hooks = [dict(type='ParamSyncCheckHook', interval=1),\n"
           "                dict(type='TeacherGuardHook', window=1,\n"
           "                     max_drop=0.99)]\n")
SHORT_RUN = [
    '--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
    'default_hooks.logger.interval=1', 'default_hooks.checkpoint.interval=2',
    'train_dataloader.batch_size=2'
]


def run_ok(cmd, cwd, env, timeout=600) -> str:
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, text=True, capture_output=True, timeout=timeout)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    return log


def check_ddp_run(log: str, work_dir: Path, launcher: str) -> None:
    """2 ranks trained 2 DIST+ iterations with finite losses, identical
    parameters after each, and saved the checkpoint."""
    assert f'Distributed launcher: {launcher}' in log
    assert 'Distributed training: True' in log
    assert "using the gloo backend instead of 'nccl'" in log
    for it in (1, 2):
        assert (f'trainable parameters identical on {WORLD} ranks after '
                f'iteration {it}') in log
    losses = logged_losses(log)
    assert len(losses) >= 2 * 6 and all(map(math.isfinite, losses))
    assert (work_dir / 'iter_2.pth').exists()


def test_torchrun_distplus_ranks_agree(demo_dir):
    (demo_dir / 'ddp_cfg.py').write_text(DDP_CFG)
    env = dict(
        os.environ,
        PYTHON=sys.executable,
        PORT=str(free_port()),
        PYTHONWARNINGS='ignore')
    log = run_ok([
        'bash',
        osp.join(ROOT, 'tools', 'dist_train.sh'), 'ddp_cfg.py',
        str(WORLD), '--work-dir', 'wd_torchrun', *SHORT_RUN
    ], demo_dir, env)
    check_ddp_run(log, demo_dir / 'wd_torchrun', 'pytorch')


def test_slurm_train_sh_on_cpu_tasks(slurm, demo_dir):
    (demo_dir / 'ddp_cfg.py').write_text(DDP_CFG)
    env = dict(
        slurm.env,
        PYTHON=sys.executable,
        GPUS=str(WORLD),
        GPUS_PER_NODE='0',
        CPUS_PER_TASK='1',
        MASTER_PORT=str(free_port()),
        PYTHONWARNINGS='ignore')
    log = run_ok([
        'bash',
        osp.join(ROOT, 'tools', 'slurm_train.sh'), 'debug', 'dist_mm_test',
        'ddp_cfg.py', 'wd_slurm', *SHORT_RUN
    ], demo_dir, env)
    check_ddp_run(log, demo_dir / 'wd_slurm', 'slurm')


def test_mim_train_launcher_slurm(slurm, demo_dir):
    (demo_dir / 'ddp_cfg.py').write_text(DDP_CFG)
    mim = osp.join(osp.dirname(sys.executable), 'mim')
    env = dict(slurm.env, PYTHONWARNINGS='ignore')
    log = run_ok([
        mim, 'train', 'dist_mm', 'ddp_cfg.py', '--launcher', 'slurm', '--gpus',
        str(WORLD), '--gpus-per-node',
        str(WORLD), '--cpus-per-task', '1', '--partition', 'debug', '--port',
        str(free_port()), '-y', '--work-dir', 'wd_mim', *SHORT_RUN
    ], demo_dir, env)
    assert 'Training command is srun -p debug' in log
    check_ddp_run(log, demo_dir / 'wd_mim', 'slurm')
