"""Build the teacher and student of a distillation config."""
from typing import Union

from torch import nn

from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.runner import load_checkpoint
from mmrazor.registry import MODELS

CFG_PATH_KEYS = ('cfg_path', 'override', 'pretrained')


def build_model(model: Union[dict, nn.Module]) -> nn.Module:
    """Build a model config, return a built model as is, or build
    ``dict(cfg_path=..., override=dict(...), pretrained=False)``.

    ``cfg_path`` names an OpenMMLab config such as
    ``'mmdet::faster_rcnn/faster-rcnn_r101_fpn_2x_coco.py'``; its ``model``
    is built with ``override`` merged into it (e.g. a smaller backbone for a
    demo). ``pretrained=True`` loads the config's model-zoo checkpoint (its
    metafile's weights, as MMRazor's ``cfg_path`` models do), strictly: an
    ``override`` that changes the architecture is refused rather than
    partly loaded.
    """
    if not isinstance(model, dict):
        return model
    if 'cfg_path' not in model:
        return MODELS.build(model)
    unknown = set(model) - set(CFG_PATH_KEYS)
    if unknown:
        raise ValueError(
            f'model dict(cfg_path=...) takes only {", ".join(CFG_PATH_KEYS)}'
            f', got {sorted(unknown)}; load other weights with teacher_ckpt '
            "(teacher) or the model's init_cfg (student).")
    pretrained = bool(model.get('pretrained', False))
    full = get_config(model['cfg_path'], pretrained)
    cfg = Config(dict(model=full.model))
    cfg.merge_from_dict(dict(model=model.get('override', {})))
    scope = model['cfg_path'].split('::')[0] if '::' in model['cfg_path'] \
        else None
    if scope and '_scope_' not in cfg.model:
        cfg.model['_scope_'] = scope
    built = MODELS.build(cfg.model)
    if pretrained:
        load_checkpoint(
            built, full.model_path, map_location='cpu', strict=True)
        built._is_init = True  # keep the weights through init_weights()
    return built
