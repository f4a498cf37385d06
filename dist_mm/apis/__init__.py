"""What the train and test tools run, as functions (``tools/train.py``,
``tools/test.py`` and ``mim train`` / ``mim test`` parse no more than
this)."""
from .test import parse_test_args, test
from .train import build_train_config, parse_train_args, train

__all__ = [
    'parse_train_args', 'build_train_config', 'train', 'parse_test_args',
    'test'
]
