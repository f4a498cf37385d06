"""Where the package's configs and tools are, installed or in a clone."""
import os.path as osp

PACKAGE = osp.dirname(osp.dirname(osp.abspath(__file__)))


def mim_dir(name: str) -> str:
    """``configs`` or ``tools`` of the package.

    An installed package (wheel, ``pip install .``) carries them copied into
    ``dist_mm/.mim``; an editable install links ``.mim`` to the clone's
    folders; a source tree without the links has them beside the package.
    """
    path = osp.join(PACKAGE, '.mim', name)
    return path if osp.isdir(path) else osp.join(osp.dirname(PACKAGE), name)
