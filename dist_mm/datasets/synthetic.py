"""Small synthetic datasets in the exact COCO and Cityscapes layouts.

They let the real mmdet / mmseg datasets, pipelines and metrics (pycocotools'
COCO evaluation, mmseg's IoU metric) run where COCO and Cityscapes cannot be
downloaded. The visual task needs capacity: object classes differ by shape
and texture, not by colour (colours are random), and images carry clutter
and noise, so a larger model learns it better than a smaller one.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import numpy as np
from PIL import Image, ImageDraw

# Cityscapes train ids used by the synthetic scenes.
ROAD, BUILDING, TRAFFIC_SIGN, VEGETATION, SKY, PERSON, CAR, BICYCLE = \
    0, 2, 7, 8, 10, 11, 13, 18
# The 'shapes' scene: four shape classes on a textured road (5 of 19 ids).
SHAPE_CLASSES = {
    'square': CAR,
    'disc': PERSON,
    'triangle': TRAFFIC_SIGN,
    'cross': BICYCLE
}
# texture tells squares, discs and the rest apart, shape the rest
SHAPE_TEXTURES = {
    'square': 'checks',
    'disc': 'stripes',
    'triangle': 'plain',
    'cross': 'plain'
}
COCO_CLASSES = ('square', 'disc', 'triangle')


def _texture(rng: np.random.Generator, h: int, w: int, kind: str,
             color: np.ndarray) -> np.ndarray:
    """An ``[h, w, 3]`` float image: stripes, checks, speckle or plain."""
    yy, xx = np.mgrid[0:h, 0:w]
    period = rng.integers(3, 7)
    if kind == 'plain':
        pattern = np.ones((h, w))
    elif kind == 'stripes':
        pattern = ((xx + yy) // period) % 2
    elif kind == 'checks':
        pattern = ((xx // period) + (yy // period)) % 2
    else:
        pattern = rng.random((h, w)) > 0.5
    shade = 0.55 + 0.45 * pattern[..., None]
    return color[None, None, :] * shade


def _polygon(shape: str, x0: float, y0: float, size: float) -> List:
    if shape == 'triangle':
        return [(x0, y0 + size), (x0 + size / 2, y0), (x0 + size, y0 + size)]
    return [(x0, y0), (x0 + size, y0 + size)]


def _draw_shape(canvas: np.ndarray, shape: str, box: Tuple[float, float,
                                                           float],
                texture: np.ndarray) -> np.ndarray:
    """Paint ``texture`` into ``canvas`` inside ``shape``; return its mask."""
    x0, y0, size = box
    h, w = canvas.shape[:2]
    single = Image.new('L', (w, h), 0)
    draw = ImageDraw.Draw(single)
    if shape == 'square':
        draw.rectangle(_polygon(shape, x0, y0, size), fill=1)
    elif shape == 'cross':
        bar = size / 3
        draw.rectangle([x0 + bar, y0, x0 + 2 * bar, y0 + size], fill=1)
        draw.rectangle([x0, y0 + bar, x0 + size, y0 + 2 * bar], fill=1)
    elif shape == 'disc':
        draw.ellipse(_polygon(shape, x0, y0, size), fill=1)
    else:
        draw.polygon(_polygon(shape, x0, y0, size), fill=1)
    inside = np.asarray(single, dtype=bool)
    canvas[inside] = texture[inside]
    return inside


def _to_uint8(image: np.ndarray, rng: np.random.Generator,
              noise: float) -> np.ndarray:
    image = image + rng.normal(0, noise, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def make_coco(
    root: str,
    num_train: int = 64,
    num_val: int = 16,
    size: Tuple[int, int] = (96, 96),
    seed: int = 0,
    object_size: Tuple[float, float] = (16, 36),
    categories: Sequence[str] = COCO_CLASSES,
) -> Dict:
    """Write ``root/{train2017,val2017}`` JPEGs and
    ``root/annotations/instances_{train,val}2017.json``.

    Each image (``size``: w, h) holds 1-4 objects: squares, discs and
    triangles with random colours and random textures on a cluttered
    background, ``object_size`` (min, max) pixels wide.

    ``categories`` are the annotation files' category names (ids 1, 2, ...):
    the three shapes are the first three. The default names them by shape;
    COCO's 80 names make a dataset that an unchanged COCO config reads (the
    shapes are then 'person', 'bicycle' and 'car').

    Returns:
        dict: number of images and annotations per split.
    """
    if len(categories) < len(COCO_CLASSES):
        raise ValueError(f'make_coco needs at least {len(COCO_CLASSES)} '
                         f'categories, one per shape; got {list(categories)}')
    rng = np.random.default_rng(seed)
    w, h = size
    stats = {}
    for split, count in (('train2017', num_train), ('val2017', num_val)):
        os.makedirs(osp.join(root, split), exist_ok=True)
        images, annotations = [], []
        for image_id in range(1, count + 1):
            canvas = _texture(rng, h, w, 'speckle',
                              rng.uniform(60, 200, 3)).astype(np.float64)
            for _ in range(rng.integers(1, 5)):
                label = int(rng.integers(len(COCO_CLASSES)))
                shape = COCO_CLASSES[label]
                s = float(rng.uniform(*object_size))
                x0 = float(rng.uniform(0, w - s - 1))
                y0 = float(rng.uniform(0, h - s - 1))
                texture = _texture(rng, h, w,
                                   str(rng.choice(['stripes', 'checks'])),
                                   rng.uniform(0, 255, 3))
                inside = _draw_shape(canvas, shape, (x0, y0, s), texture)
                ys, xs = np.nonzero(inside)
                bbox = [
                    float(xs.min()),
                    float(ys.min()),
                    float(xs.max() - xs.min() + 1),
                    float(ys.max() - ys.min() + 1)
                ]
                annotations.append(
                    dict(
                        id=len(annotations) + 1,
                        image_id=image_id,
                        category_id=label + 1,  # the label-th category
                        bbox=bbox,
                        area=float(len(xs)),
                        iscrowd=0,
                        segmentation=[]))
            name = f'{image_id:012d}.jpg'
            Image.fromarray(_to_uint8(canvas, rng, 12.0)).save(
                osp.join(root, split, name), quality=95)
            images.append(dict(id=image_id, file_name=name, width=w, height=h))
        os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
        category_list = [
            dict(id=i + 1, name=n, supercategory='shape')
            for i, n in enumerate(categories)
        ]
        with open(
                osp.join(root, 'annotations', f'instances_{split}.json'),
                'w') as f:
            json.dump(
                dict(
                    images=images,
                    annotations=annotations,
                    categories=category_list), f)
        stats[split] = dict(images=len(images), annotations=len(annotations))
    return stats


def _street_scene(rng: np.random.Generator, h: int,
                  w: int) -> Tuple[np.ndarray, np.ndarray]:
    """One image and its labelTrainIds map."""
    label = np.full((h, w), 255, dtype=np.uint8)
    image = np.zeros((h, w, 3))
    horizon = int(h * rng.uniform(0.35, 0.55))
    # a plain sky: vegetation is the speckled class above the horizon
    regions = [(SKY, slice(0, horizon), 'plain'),
               (ROAD, slice(horizon, h), 'stripes')]
    for cls, rows, kind in regions:
        tex = _texture(rng, h, w, kind, rng.uniform(40, 220, 3))
        image[rows] = tex[rows]
        label[rows] = cls
    # buildings and vegetation along the horizon: same colours, different
    # textures (checks vs speckle), so texture decides the class
    x = 0
    while x < w:
        width = int(rng.integers(w // 8, w // 3))
        top = int(rng.integers(horizon // 4, horizon))
        cls, kind = (BUILDING, 'checks') if rng.random() < 0.5 else \
            (VEGETATION, 'speckle')
        tex = _texture(rng, h, w, kind, rng.uniform(40, 220, 3))
        image[top:horizon, x:x + width] = tex[top:horizon, x:x + width]
        label[top:horizon, x:x + width] = cls
        x += width
    # cars (wide rectangles) and persons (tall discs) on the road: shape
    # decides the class
    for _ in range(int(rng.integers(1, 5))):
        cls = CAR if rng.random() < 0.5 else PERSON
        s = float(rng.uniform(h * 0.12, h * 0.3))
        y0 = float(rng.uniform(horizon - s * 0.3, h - s))
        x0 = float(rng.uniform(0, w - 2 * s))
        mask = Image.new('L', (w, h), 0)
        tex = _texture(rng, h, w, 'stripes', rng.uniform(0, 255, 3))
        draw = ImageDraw.Draw(mask)
        if cls == CAR:
            draw.rectangle([x0, y0 + s * 0.4, x0 + 2 * s, y0 + s], fill=1)
        else:
            draw.ellipse([x0, y0, x0 + s * 0.45, y0 + s], fill=1)
        inside = np.asarray(mask, dtype=bool)
        image[inside] = tex[inside]
        label[inside] = cls
    return _to_uint8(image, rng, 10.0), label


def _shapes_scene(rng: np.random.Generator, h: int,
                  w: int) -> Tuple[np.ndarray, np.ndarray]:
    """One image of 1-4 shapes (classes drawn uniformly, random sizes,
    positions and colours) on a speckled road, and its label map. Texture
    tells squares, discs and the other two apart, shape triangles from
    crosses; 14 of the 19 classes never occur."""
    image = _texture(rng, h, w, 'speckle', rng.uniform(40, 220, 3))
    label = np.full((h, w), ROAD, dtype=np.uint8)
    names = list(SHAPE_CLASSES)
    for _ in range(int(rng.integers(1, 5))):
        shape = names[int(rng.integers(len(names)))]
        s = float(rng.uniform(h * 0.3, h * 0.6))
        x0 = float(rng.uniform(0, w - s - 1))
        y0 = float(rng.uniform(0, h - s - 1))
        texture = _texture(rng, h, w, SHAPE_TEXTURES[shape],
                           rng.uniform(0, 255, 3))
        inside = _draw_shape(image, shape, (x0, y0, s), texture)
        label[inside] = SHAPE_CLASSES[shape]
    return _to_uint8(image, rng, 10.0), label


SCENES = {'streets': _street_scene, 'shapes': _shapes_scene}


def make_cityscapes(root: str,
                    num_train: int = 64,
                    num_val: int = 16,
                    size: Tuple[int, int] = (128, 64),
                    seed: int = 0,
                    city: str = 'synthtown',
                    scene: str = 'streets') -> Dict:
    """Write ``root/leftImg8bit/{train,val}/<city>/*_leftImg8bit.png`` and
    ``root/gtFine/{train,val}/<city>/*_gtFine_labelTrainIds.png`` scenes
    (255 = unlabeled pixels nowhere, so every pixel counts).

    ``scene='streets'``: road, sky, buildings and vegetation (told apart by
    texture), cars and persons (told apart by shape). ``scene='shapes'``:
    squares (car), discs (person), triangles (traffic sign) and crosses
    (bicycle) at random positions on a speckled road, so that 14 of the 19
    Cityscapes classes are absent and no class has a fixed place.

    Returns:
        dict: number of images per split.
    """
    if scene not in SCENES:
        raise ValueError(f'scene must be one of {sorted(SCENES)}, got '
                         f'{scene!r}')
    rng = np.random.default_rng(seed)
    w, h = size
    stats = {}
    for split, count in (('train', num_train), ('val', num_val)):
        img_dir = osp.join(root, 'leftImg8bit', split, city)
        ann_dir = osp.join(root, 'gtFine', split, city)
        os.makedirs(img_dir, exist_ok=True)
        os.makedirs(ann_dir, exist_ok=True)
        for i in range(count):
            image, label = SCENES[scene](rng, h, w)
            stem = f'{city}_{i:06d}_000019'
            Image.fromarray(image).save(
                osp.join(img_dir, f'{stem}_leftImg8bit.png'))
            Image.fromarray(label).save(
                osp.join(ann_dir, f'{stem}_gtFine_labelTrainIds.png'))
        stats[split] = dict(images=count)
    return stats
