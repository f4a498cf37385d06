"""Config loading and input checks shared by ``tools/train.py`` and
``tools/test.py``: bad paths fail before anything is built or written."""
import os
import os.path as osp
import tempfile
from typing import Any, Dict, Iterator, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.hub import get_config


def load_tool_config(config: str,
                     launcher: str = 'none',
                     cfg_options: Optional[Dict] = None,
                     work_dir: Optional[str] = None) -> Config:
    """Load ``config`` with a tool's command-line overrides applied.

    ``config`` is a file or a config of an installed package
    (``mmdet::faster_rcnn/faster-rcnn_r50_fpn_2x_coco.py``, e.g. to test a
    converted student). ``work_dir`` defaults to the config's own, else
    ``./work_dirs/<config name>`` (the OpenMMLab convention).
    """
    # Config.fromfile reads files only; mmengine resolves 'pkg::' paths in
    # _base_ lists and through get_config
    cfg = get_config(config) if '::' in config else Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    return cfg


def _data_roots(node: Any, key: str) -> Iterator[Tuple[str, str]]:
    """``(config key, data_root)`` of every dataset under ``node``
    (dataset wrappers such as ConcatDataset / RepeatDataset included)."""
    if isinstance(node, dict):
        if node.get('data_root'):
            yield f'{key}.data_root', node['data_root']
        for name, value in node.items():
            if name in ('dataset', 'datasets'):
                yield from _data_roots(value, f'{key}.{name}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _data_roots(value, f'{key}.{i}')


def check_data_roots(cfg: Config, dataloaders: Sequence[str]) -> None:
    """Every dataset ``data_root`` of the named dataloaders must exist.

    Raises:
        FileNotFoundError: naming the config key, the path and the fix.
    """
    for loader in dataloaders:
        if not cfg.get(loader):
            continue
        for key, root in _data_roots(cfg[loader].get('dataset'),
                                     f'{loader}.dataset'):
            if '://' in str(root) or osp.isdir(root):
                continue
            raise FileNotFoundError(
                f'{key} = {root!r} does not exist (looked in '
                f'{osp.abspath(root)}). Put the dataset there in its usual '
                f'layout, or point the config at it with '
                f'--cfg-options {key}=/path/to/data.')


def check_work_dir(work_dir: str) -> None:
    """Create ``work_dir`` if needed and make sure files can be written.

    Raises:
        PermissionError: naming the directory and the fix.
    """
    try:
        os.makedirs(work_dir, exist_ok=True)
        with tempfile.TemporaryFile(dir=work_dir):
            pass
    except OSError as err:
        raise PermissionError(
            f'work_dir {work_dir!r} is not writable ({err.strerror or err}); '
            'logs and checkpoints could not be saved. Pass --work-dir with '
            'a directory you can write to.') from err
