"""Each torch 2.x compatibility fix is needed, and works."""
import functools
import os
import subprocess
import sys
import types

import pytest
import torch

import dist_mm  # noqa: F401  (applies the fixes)
from dist_mm.compat import UnsafeCheckpointError, set_inplace_false

from tests.helpers import free_port

PY = sys.executable
ENV = dict(os.environ, PYTHONWARNINGS='ignore')


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([PY, '-c', code],
                          capture_output=True,
                          text=True,
                          env=ENV,
                          timeout=300)


@pytest.mark.slow
def test_mmrazor_import_needs_the_fix_and_works_with_it():
    plain = run_python('import mmrazor.models')
    assert plain.returncode != 0
    assert 'reverse2' in plain.stderr or 'ImportError' in plain.stderr
    fixed = run_python('import dist_mm, mmrazor.models\n'
                       'from mmrazor.utils import register_all_modules\n'
                       'register_all_modules()\n'
                       'from mmrazor.registry import MODELS\n'
                       "print(MODELS.get('SingleTeacherDistill').__name__)")
    assert fixed.returncode == 0, fixed.stderr
    assert 'SingleTeacherDistill' in fixed.stdout


@pytest.mark.slow
def test_import_leaves_the_recursion_limit_unchanged():
    """mmrazor.models raises the limit to 2**20 when imported; dist_mm
    puts it back, so runaway recursion still raises RecursionError."""
    code = ('import sys\n'
            'before = sys.getrecursionlimit()\n'
            'import dist_mm, mmrazor.models\n'
            'print(before, sys.getrecursionlimit())\n'
            'def f(n): return f(n + 1)\n'
            'try:\n'
            '    f(0)\n'
            'except RecursionError:\n'
            "    print('RecursionError')\n")
    out = run_python(code)
    assert out.returncode == 0, out.stderr
    limits, caught = out.stdout.split('\n')[:2]
    before, after = map(int, limits.split())
    assert before == after < 2**20 and caught == 'RecursionError'
    # what it undoes: importing dist_mm imports mmrazor's tracer, which
    # raises the limit
    out = run_python('import dist_mm, sys\nprint("mmrazor.models.task_'
                     'modules.tracer.fx_tracer" in sys.modules)')
    assert out.stdout.strip() == 'True', out.stderr


def test_only_unreadable_files_are_called_corrupt(tmp_path):
    """An unknown open-mmlab:// name, a URL that cannot be reached and a
    CUDA map_location without a GPU keep their own errors; an empty or
    truncated file is a CorruptCheckpointError."""
    from dist_mm.compat import CorruptCheckpointError
    from mmengine.runner.checkpoint import CheckpointLoader
    good = tmp_path / 'good.pth'
    torch.save(dict(state_dict=dict(w=torch.ones(2))), good)
    with pytest.raises(KeyError, match='no_such_model'):
        CheckpointLoader.load_checkpoint('open-mmlab://no_such_model')
    with pytest.raises(OSError, match='Connection refused'):  # URLError
        CheckpointLoader.load_checkpoint(
            f'http://127.0.0.1:{free_port()}/model.pth')
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match='CUDA') as err:
            CheckpointLoader.load_checkpoint(str(good), map_location='cuda')
        assert not isinstance(err.value, CorruptCheckpointError)
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(good.read_bytes()[:100])
    (tmp_path / 'empty.pth').write_bytes(b'')
    for bad in (truncated, tmp_path / 'empty.pth'):
        with pytest.raises(CorruptCheckpointError, match='truncated'):
            CheckpointLoader.load_checkpoint(str(bad))
    assert CheckpointLoader.load_checkpoint(str(good))['state_dict']


def test_quantization_backends_fail_clearly():
    from mmrazor.structures.quantization.backend_config import BackendConfigs
    with pytest.raises(RuntimeError, match='distillation only'):
        BackendConfigs['native']


def test_recorded_tensor_is_not_overwritten_by_inplace_relu():
    from dist_mm.testing import tiny_faster_rcnn
    from mmrazor.models.algorithms.base import BaseAlgorithm
    from mmrazor.models.task_modules import RecorderManager
    from mmrazor.registry import MODELS

    def recorded_stem(model, apply):
        apply(model)
        manager = RecorderManager(
            dict(bn1=dict(type='ModuleOutputs', source='backbone.bn1')))
        manager.initialize(model)
        model.eval()
        with manager, torch.no_grad():
            model.backbone(torch.randn(1, 3, 64, 64))
        return manager.get_recorder('bn1').get_record_data()

    def upstream(model):
        # called the way SingleTeacherDistill calls it (it evals `varstr`)
        holder = types.SimpleNamespace(teacher=model)
        holder.set_module_inplace_false = functools.partial(
            BaseAlgorithm._upstream_set_module_inplace_false, holder)
        holder.set_module_inplace_false(model, 'self.teacher')

    # mmrazor's own method leaves ReLU(inplace=True) on torch 2.x: the
    # recorded BatchNorm output is clobbered to be non-negative.
    model = MODELS.build(tiny_faster_rcnn())
    assert model.backbone.relu.inplace
    clobbered = recorded_stem(model, upstream)
    assert model.backbone.relu.inplace and clobbered.min() >= 0
    # dist_mm's replacement switches every in-place activation off.
    model = MODELS.build(tiny_faster_rcnn())
    kept = recorded_stem(model, set_inplace_false)
    assert not any(getattr(m, 'inplace', False) for m in model.modules())
    assert kept.min() < 0


def _toy_runner(work_dir, max_iters, resume=False, load_from=None):
    from mmengine.model import BaseModel
    from mmengine.runner import Runner

    class Toy(BaseModel):

        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(2, 1)

        def forward(self, inputs, labels=None, mode='tensor'):
            out = self.linear(inputs)
            if mode == 'loss':
                return dict(loss=((out - labels)**2).mean())
            return out

    data = [
        dict(inputs=torch.randn(2), labels=torch.randn(1)) for _ in range(8)
    ]
    return Runner(
        model=Toy(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=data,
            batch_size=2,
            sampler=dict(type='DefaultSampler', shuffle=True),
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        param_scheduler=dict(type='MultiStepLR', milestones=[3]),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=2,
                            by_epoch=False)),
        resume=resume,
        load_from=load_from,
        randomness=dict(seed=0))


def test_runner_checkpoint_needs_the_allow_list(tmp_path):
    runner = _toy_runner(tmp_path, 2)
    runner.train()
    ckpt = tmp_path / 'iter_2.pth'
    assert ckpt.exists()
    # Plain torch (weights_only=True) refuses the meta mmengine writes.
    plain = run_python(f'import torch; torch.load({str(ckpt)!r})')
    assert plain.returncode != 0 and 'Weights only load failed' in \
        plain.stderr
    with_fix = run_python(
        f'import dist_mm, torch; c = torch.load({str(ckpt)!r}); '
        "print(c['meta']['iter'])")
    assert with_fix.returncode == 0, with_fix.stderr
    assert with_fix.stdout.strip() == '2'


def test_runner_resume_works(tmp_path):
    _toy_runner(tmp_path, 2).train()
    runner = _toy_runner(tmp_path, 4, resume=True)
    runner.train()
    assert runner.iter == 4
    assert (tmp_path / 'iter_4.pth').exists()
    assert runner.message_hub.get_info('iter') is not None


class Arbitrary:
    """Not on any allow-list: unpickling it would run arbitrary code."""


def test_checkpoint_with_arbitrary_object_is_refused(tmp_path):
    from mmengine.runner import load_checkpoint
    model = torch.nn.Linear(2, 1)
    path = tmp_path / 'evil.pth'
    torch.save(
        dict(state_dict=model.state_dict(), meta=dict(x=Arbitrary())), path)
    with pytest.raises(
            UnsafeCheckpointError,
            match=r'Refusing to load checkpoint.*'
            r'test_compat\.Arbitrary.*add_safe_globals'):
        load_checkpoint(model, str(path))


CPU_LAUNCH = """
import os, sys
import torch
if {fixed}:
    import dist_mm
from mmengine.dist import init_dist, get_world_size
from mmengine.model import MMDistributedDataParallel
os.environ.update(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1',
                  MASTER_ADDR='127.0.0.1', MASTER_PORT=sys.argv[1])
init_dist('pytorch', backend='nccl')  # what the configs' env_cfg asks for
ddp = MMDistributedDataParallel(module=torch.nn.Linear(2, 2), device_ids=[0])
print('world', get_world_size(), type(ddp).__name__)
"""


@pytest.mark.slow
@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only fix')
def test_cpu_launcher_needs_the_fix_and_works_with_it():
    plain = subprocess.run(
        [PY, '-c', CPU_LAUNCH.format(fixed=False),
         str(free_port())],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300)
    assert plain.returncode != 0
    assert '_cuda_setDevice' in plain.stderr
    fixed = subprocess.run(
        [PY, '-c', CPU_LAUNCH.format(fixed=True),
         str(free_port())],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=300)
    assert fixed.returncode == 0, fixed.stderr[-2000:]
    assert 'world 1 MMDistributedDataParallel' in fixed.stdout


def test_restarted_torchrun_workers_get_a_store_prefix_of_their_attempt(
        monkeypatch):
    from dist_mm.compat.elastic_restart import _fresh_store_after_restart

    from tests.helpers import free_port
    port = free_port()
    server = torch.distributed.TCPStore(
        '127.0.0.1', port, 1, is_master=True, wait_for_workers=False)
    server.set('default_pg/0//rank_0', 'stale address of attempt 0')
    monkeypatch.setenv('MASTER_ADDR', '127.0.0.1')
    monkeypatch.setenv('MASTER_PORT', str(port))
    monkeypatch.setenv('WORLD_SIZE', '1')
    monkeypatch.setenv('RANK', '0')
    monkeypatch.setenv('TORCHELASTIC_USE_AGENT_STORE', 'True')
    seen = []
    init = _fresh_store_after_restart(
        lambda backend, **kwargs: seen.append(kwargs))
    monkeypatch.setenv('TORCHELASTIC_RESTART_COUNT', '0')
    init('gloo')  # the first attempt: unchanged
    monkeypatch.setenv('TORCHELASTIC_RESTART_COUNT', '2')
    init('gloo')
    assert seen[0] == {}
    assert seen[1]['rank'] == 0 and seen[1]['world_size'] == 1
    store = seen[1]['store']
    assert not store.check(['default_pg/0//rank_0'])  # the stale key
    store.set('default_pg/0//rank_0', 'new')
    assert server.get('dist_mm/restart_2/default_pg/0//rank_0') == b'new'
