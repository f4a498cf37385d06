"""Print the versions a dist_mm bug report needs, the OpenMMLab way.

mmengine's ``collect_env`` (Python, torch, CUDA, compilers), then mmcv and
whether its compiled ops load (and for CPU or CUDA), then mmdet, mmseg,
mmrazor and dist_mm::

    python tools/collect_env.py
"""
import importlib
from collections import OrderedDict
from typing import Dict


def mmcv_ops() -> str:
    """How mmcv's compiled ops were built, or why they do not load."""
    try:
        from mmcv.ops import get_compiling_cuda_version
        cuda = get_compiling_cuda_version()
    except (ImportError, OSError) as err:  # mmcv-lite or a broken build
        return f'not available ({type(err).__name__}: {err})'
    return 'compiled, CPU only' if cuda in ('not available', '') \
        else f'compiled, CUDA {cuda}'


def collect_env() -> Dict[str, str]:
    """mmengine's environment facts plus the OpenMMLab stack's versions."""
    from mmengine.utils.dl_utils import collect_env as mmengine_env
    env = OrderedDict(mmengine_env())
    # dist_mm first: it applies its torch 2.x fixes before mmrazor loads
    for name, module in (('dist_mm', 'dist_mm'), ('MMCV', 'mmcv'),
                         ('MMDetection', 'mmdet'),
                         ('MMSegmentation', 'mmseg'), ('MMRazor', 'mmrazor')):
        try:
            env[name] = importlib.import_module(module).__version__
        except ImportError as err:
            env[name] = f'not installed ({err})'
    env['MMCV ops'] = mmcv_ops()
    return env


def main() -> None:
    for name, value in collect_env().items():
        print(f'{name}: {value}')


if __name__ == '__main__':
    main()
