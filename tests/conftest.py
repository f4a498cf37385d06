"""Tests build models through MMRazor's registry, as configs with
``default_scope = 'mmrazor'`` do (a Runner in an earlier test may have left
another scope current)."""
import pytest

import dist_mm  # noqa: F401  (torch 2.x fixes before mmrazor is imported)
from mmengine.registry import DefaultScope


@pytest.fixture(autouse=True)
def mmrazor_scope():
    with DefaultScope.overwrite_default_scope('mmrazor'):
        yield
