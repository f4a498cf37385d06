"""The versions a dist_mm bug report needs, the OpenMMLab way.

mmengine's ``collect_env`` (Python, torch, CUDA, compilers), then mmcv and
whether its compiled ops load (and for CPU or CUDA), then mmdet, mmseg,
mmrazor and dist_mm; ``tools/misc/collect_env.py`` prints them.
"""
import importlib
import signal
import subprocess
import sys
from collections import OrderedDict
from typing import Dict

# Run in a child process: a mis-built ``_ext`` can crash the interpreter.
# mmcv 2.1.0 built against CUDA 13 (nvcc 13.0, torch 2.11+cu130) runs its
# kernels but segfaults in ``get_compiling_cuda_version()``; the report must
# still come out, so the kernels are probed first and the version last.
PROBE = """
import torch
from mmcv.ops import get_compiling_cuda_version, nms
boxes, scores = torch.tensor([[0., 0., 2., 2.]]), torch.tensor([1.])
devices = ['CPU']
nms(boxes, scores, 0.5)
if torch.cuda.is_available():
    try:
        nms(boxes.cuda(), scores.cuda(), 0.5)
        devices.append('CUDA')
    except RuntimeError:
        pass
print('compiled, kernels run on ' + ' + '.join(devices), flush=True)
print('built with CUDA ' + get_compiling_cuda_version(), flush=True)
"""


def mmcv_ops() -> str:
    """Where mmcv's compiled ops run, or why they do not load."""
    proc = subprocess.run([sys.executable, '-c', PROBE],
                          text=True,
                          capture_output=True)
    lines = proc.stdout.splitlines()
    if not lines:  # mmcv-lite or a broken build
        error = (proc.stderr.strip().splitlines() or ['no output'])[-1]
        return f'not available ({error})'
    if proc.returncode < 0:
        lines.append(f'get_compiling_cuda_version() crashed with '
                     f'{signal.Signals(-proc.returncode).name}')
    return ', '.join(lines)


def collect_env() -> Dict[str, str]:
    """mmengine's environment facts plus the OpenMMLab stack's versions."""
    from mmengine.utils.dl_utils import collect_env as mmengine_env
    env = OrderedDict(mmengine_env())
    # dist_mm first: it applies its torch 2.x fixes before mmrazor loads
    for name, module in (('dist_mm', 'dist_mm'), ('MMCV', 'mmcv'),
                         ('MMDetection', 'mmdet'), ('MMSegmentation', 'mmseg'),
                         ('MMRazor', 'mmrazor')):
        try:
            env[name] = importlib.import_module(module).__version__
        except ImportError as err:
            env[name] = f'not installed ({err})'
    env['MMCV ops'] = mmcv_ops()
    return env
