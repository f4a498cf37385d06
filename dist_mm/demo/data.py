"""The demo's datasets: where each is written and how a config reads it."""
import json
import os.path as osp
import shutil
from typing import List

from .pairs import CONFIG_DIR, DEFAULT_SCENE, NUM_VAL, Pair


def data_root(pair: Pair, scene: str) -> str:
    """Where a dataset is written: the default scene where the demo configs
    read it, every other beside it, so experiments can run side by side."""
    return pair.data if scene in (DEFAULT_SCENE, 'coco') \
        else f'{pair.data}_{scene}'


# written last into a dataset's root: the options it was made with
DATA_MARKER = 'demo_data.json'


def make_data(pair: Pair,
              scene: str,
              num_train: int = 256,
              num_val: int = 0,
              reuse: bool = False) -> None:
    """Write the pair's dataset (``num_val`` 0: :data:`NUM_VAL` of its
    task); the detection demo configs name the image and object sizes.

    With ``reuse``, a dataset that an earlier call finished with the same
    options (for detection, the same sizes too) is kept as it is (the data
    are generated deterministically), so that runs still reading it are not
    disturbed; any other is written anew.
    """
    from mmengine.config import Config

    from ..datasets import make_cityscapes, make_coco
    from ..engine import atomic_write_bytes
    root = data_root(pair, scene)
    num_val = num_val or NUM_VAL[pair.task]
    made = dict(scene=scene, num_train=num_train, num_val=num_val)
    if pair.task == 'det':
        cfg = Config.fromfile(osp.join(CONFIG_DIR, pair.configs()['teacher']))
        made.update(
            size=list(cfg.demo_image_size),
            object_size=list(cfg.demo_object_size))
    marker = osp.join(root, DATA_MARKER)
    if reuse and osp.exists(marker):
        with open(marker) as f:
            if json.load(f) == made:
                return
    shutil.rmtree(root, ignore_errors=True)
    if pair.task == 'seg':
        make_cityscapes(root, num_train, num_val, scene=scene)
    else:
        make_coco(
            root,
            num_train,
            num_val,
            size=made['size'],
            object_size=made['object_size'])
    # whole or absent, so that a killed write reads as no marker
    atomic_write_bytes(json.dumps(made).encode(), marker)


def data_options(pair: Pair, scene: str) -> List[str]:
    """``--cfg-options`` pointing a demo config at the scene's dataset."""
    root = data_root(pair, scene)
    options = [
        f'{split}_dataloader.dataset.data_root={root}'
        for split in ('train', 'val', 'test')
    ]
    if pair.task == 'det':
        options += [
            f'{split}_evaluator.ann_file={root}/annotations/'
            'instances_val2017.json' for split in ('val', 'test')
        ]
    return options
