# Demo of DIST+ through a fitted head on the pixel decoder's stride-4 mask
# features (the map the queries' mask embeddings read), the student's
# logits resized to it: distplus-head_mask2former-pspnet_demo.py otherwise.
_base_ = ['./distplus-head_mask2former-pspnet_demo.py']
mask_features = dict(
    from_student=False, recorder='pixel', data_idx=0, connector='t_head')
model = dict(
    distiller=dict(
        connectors=dict(t_head=dict(head=dict(in_index=0))),
        loss_forward_mappings=dict(
            loss_dist_decode=dict(preds_T=mask_features),
            loss_dist_aux=dict(preds_T=mask_features),
            loss_head_fit=dict(preds_T=mask_features))))
