"""The synthetic datasets go through the real mmdet / mmseg datasets and
metrics: pycocotools' COCO evaluation and mmseg's IoU metric."""
import numpy as np
import pytest
import torch

from dist_mm.datasets import COCO_CLASSES, make_cityscapes, make_coco
from dist_mm.datasets.synthetic import SKY, VEGETATION
from mmdet.datasets import CocoDataset
from mmdet.evaluation import CocoMetric
from mmseg.datasets import CityscapesDataset
from mmseg.evaluation import IoUMetric


def test_coco_layout_loads_and_perfect_boxes_score_full_map(tmp_path):
    stats = make_coco(str(tmp_path), num_train=4, num_val=6)
    assert stats['val2017']['annotations'] >= 6
    dataset = CocoDataset(
        data_root=str(tmp_path),
        ann_file='annotations/instances_val2017.json',
        data_prefix=dict(img='val2017/'),
        metainfo=dict(classes=COCO_CLASSES),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='mmdet.LoadAnnotations', with_bbox=True)
        ])
    assert len(dataset) == 6
    sample = dataset[0]
    assert sample['img'].shape == (96, 96, 3) and len(sample['gt_bboxes'])

    metric = CocoMetric(
        ann_file=str(tmp_path / 'annotations' / 'instances_val2017.json'),
        metric='bbox')
    metric.dataset_meta = dataset.metainfo
    for i in range(len(dataset)):
        item = dataset[i]
        boxes = torch.as_tensor(item['gt_bboxes'].tensor)
        labels = torch.as_tensor(item['gt_bboxes_labels'])
        metric.process({}, [
            dict(
                img_id=item['img_id'],
                ori_shape=(96, 96),
                pred_instances=dict(
                    bboxes=boxes, labels=labels, scores=torch.ones(
                        len(boxes))))
        ])
    results = metric.evaluate(len(dataset))
    assert results['coco/bbox_mAP'] == 1.0


def test_coco_layout_with_coco_category_names_loads_with_coco_metainfo(
        tmp_path):
    """With COCO's 80 names, an unchanged COCO config's dataset (its default
    metainfo) reads the shapes as its first three classes."""
    make_coco(
        str(tmp_path),
        num_train=0,
        num_val=8,
        categories=CocoDataset.METAINFO['classes'])
    dataset = CocoDataset(
        data_root=str(tmp_path),
        ann_file='annotations/instances_val2017.json',
        data_prefix=dict(img='val2017/'),
        pipeline=[dict(type='mmdet.LoadAnnotations', with_bbox=True)])
    labels = np.concatenate(
        [dataset[i]['gt_bboxes_labels'] for i in range(len(dataset))])
    assert len(dataset) == 8 and len(dataset.metainfo['classes']) == 80
    assert set(labels) == {0, 1, 2}
    with pytest.raises(ValueError, match='at least 3 categories'):
        make_coco(str(tmp_path), categories=('person', 'car'))


def cityscapes_split(root, split):
    """mmseg's CityscapesDataset over one split of a synthetic dataset."""
    return CityscapesDataset(
        data_root=str(root),
        data_prefix=dict(
            img_path=f'leftImg8bit/{split}', seg_map_path=f'gtFine/{split}'),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='mmseg.LoadAnnotations')
        ])


def test_cityscapes_layout_loads_and_iou_metric_runs(tmp_path):
    make_cityscapes(str(tmp_path), num_train=2, num_val=3)
    dataset = cityscapes_split(tmp_path, 'val')
    assert len(dataset) == 3
    sample = dataset[0]
    labels = np.unique(sample['gt_seg_map'])
    assert set(labels) <= {0, 2, 8, 10, 11, 13, 255} and len(labels) >= 3

    metric = IoUMetric(iou_metrics=['mIoU'])
    metric.dataset_meta = dataset.metainfo
    for i in range(len(dataset)):
        gt = torch.from_numpy(dataset[i]['gt_seg_map']).long()
        metric.process({}, [
            dict(
                pred_sem_seg=dict(data=gt[None]),
                gt_sem_seg=dict(data=gt[None]))
        ])
    assert metric.evaluate(len(dataset))['mIoU'] == 100.0


def test_streets_scene_tells_sky_from_vegetation_by_texture(tmp_path):
    """Sky is plain and vegetation speckled: with both speckled the two
    differed only by a colour edge, and the students' seeds split on
    learning that (docs/en/demo.md)."""
    make_cityscapes(str(tmp_path), num_train=8, num_val=1)
    dataset = cityscapes_split(tmp_path, 'train')
    roughness = {VEGETATION: [], SKY: []}
    for i in range(len(dataset)):
        sample = dataset[i]
        image = sample['img'].astype(float).mean(axis=2)
        step = np.abs(np.diff(image, axis=1))
        labels = sample['gt_seg_map']
        # neighbours within one region only
        same = labels[:, 1:] == labels[:, :-1]
        for cls in roughness:
            roughness[cls].extend(step[same & (labels[:, 1:] == cls)])
    vegetation, sky = (np.mean(roughness[c]) for c in (VEGETATION, SKY))
    # speckle swings by 45% of its colour between pixels, plain only by the
    # noise (std 10)
    assert vegetation > 2 * sky, (vegetation, sky)


def test_shapes_scene_has_four_balanced_classes_at_random_places(tmp_path):
    """The 'shapes' scene: road + 4 shape classes (5 of 19 ids), each class
    in many images, and no class tied to a region of the image."""
    make_cityscapes(str(tmp_path), num_train=40, num_val=1, scene='shapes')
    dataset = cityscapes_split(tmp_path, 'train')
    maps = np.stack([dataset[i]['gt_seg_map'] for i in range(len(dataset))])
    assert set(np.unique(maps)) == {0, 7, 11, 13, 18}
    for cls in (7, 11, 13, 18):
        images_with = (maps == cls).any(axis=(1, 2)).sum()
        assert 10 <= images_with <= 35, (cls, images_with)
        ys, xs = np.nonzero((maps == cls).any(axis=0))
        # found in both halves of the image, horizontally and vertically
        assert xs.min() < 40 and xs.max() > 88 and ys.min() < 20 \
            and ys.max() > 44, cls
    with pytest.raises(ValueError, match="scene must be one of"):
        make_cityscapes(str(tmp_path), 1, 1, scene='forest')
