"""Config loading shared by ``tools/train.py`` and ``tools/test.py``."""
import os.path as osp
from typing import Dict, Optional

from mmengine.config import Config


def load_tool_config(config: str,
                     launcher: str = 'none',
                     cfg_options: Optional[Dict] = None,
                     work_dir: Optional[str] = None) -> Config:
    """Load ``config`` with a tool's command-line overrides applied.

    ``work_dir`` defaults to the config's own, else
    ``./work_dirs/<config name>`` (the OpenMMLab convention).
    """
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    return cfg
