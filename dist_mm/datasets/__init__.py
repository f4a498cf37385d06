"""Synthetic datasets in the COCO and Cityscapes layouts (tests, demo)."""
from .synthetic import COCO_CLASSES, make_cityscapes, make_coco

__all__ = ['COCO_CLASSES', 'make_coco', 'make_cityscapes']
