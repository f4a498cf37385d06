# Research option: DIST+ from the Mask2Former teacher with each class's mask
# logit as the DIST target (MaskClassificationLogits(target='mask_logits')),
# instead of the log of mmseg's per-pixel mixture
# (docs/en/user_guides/teacher_strength.md).
_base_ = './distplus_mask2former-pspnet_demo.py'
model = dict(
    distiller=dict(
        connectors=dict(
            t_logits=dict(
                type='MaskClassificationLogits', target='mask_logits'))))
