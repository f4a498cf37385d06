# DIST (logits only): PSPNet R-101-D8 teacher -> PSPNet R-18-D8 student,
# Cityscapes 512x1024, 80k iterations, 4 GPUs x 2 images. All pixels of the
# batch are instances; the decode head (weight 1) and the auxiliary FCN head
# (weight 0.4) are distilled at their native stride 8.
# To leave out ignore-label (255) pixels, add
#   gt_labels=dict(from_student=True, recorder='gt')
# to the mappings and record 'gt' as in the DIST+ config.
_base_ = ['mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py']
custom_imports = dict(imports=['dist_mm'], allow_failed_imports=False)

teacher_cfg = 'mmseg::pspnet/pspnet_r101-d8_4xb2-80k_cityscapes-512x1024.py'
teacher_ckpt = 'https://download.openmmlab.com/mmsegmentation/v0.5/pspnet/pspnet_r101-d8_512x1024_80k_cityscapes/pspnet_r101-d8_512x1024_80k_cityscapes_20200606_112211-e1e1100f.pth'  # noqa: E501

model = dict(
    _delete_=True,
    _scope_='mmrazor',
    type='DISTPlusDistill',
    architecture=_base_.model,
    teacher=dict(cfg_path=teacher_cfg),
    teacher_ckpt=teacher_ckpt,
    distiller=dict(
        type='ConfigurableDistiller',
        student_recorders=dict(
            logits=dict(type='ModuleOutputs', source='decode_head.conv_seg'),
            aux_logits=dict(
                type='ModuleOutputs', source='auxiliary_head.conv_seg')),
        teacher_recorders=dict(
            logits=dict(type='ModuleOutputs', source='decode_head.conv_seg'),
            aux_logits=dict(
                type='ModuleOutputs', source='auxiliary_head.conv_seg')),
        distill_losses=dict(
            loss_dist_decode=dict(type='DISTLogitLoss', loss_weight=1.0),
            loss_dist_aux=dict(type='DISTLogitLoss', loss_weight=0.4)),
        loss_forward_mappings=dict(
            loss_dist_decode=dict(
                preds_S=dict(from_student=True, recorder='logits'),
                preds_T=dict(from_student=False, recorder='logits')),
            loss_dist_aux=dict(
                preds_S=dict(from_student=True, recorder='aux_logits'),
                preds_T=dict(from_student=False, recorder='aux_logits')))))

find_unused_parameters = False
# mmseg configs keep a top-level data_preprocessor that the Runner would hand
# to the algorithm; unset it so the student's own one is the only one.
data_preprocessor = None
