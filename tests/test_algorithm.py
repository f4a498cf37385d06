"""DISTPlusDistill with real tiny mmdet / mmseg pairs through the Runner."""
import pytest
import torch

from dist_mm.testing import NUM_CLASSES
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner, load_checkpoint
from mmrazor.registry import MODELS

from . import distill_cfgs
from .distill_cfgs import PAIRS


def train_runner(model_cfg, batch, work_dir, iters=2):
    items = [
        dict(inputs=i, data_samples=s)
        for i, s in zip(batch['inputs'], batch['data_samples'])
    ]
    return Runner(
        model=model_cfg,
        work_dir=str(work_dir),
        default_scope='mmrazor',
        train_dataloader=dict(
            dataset=items,
            batch_size=2,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='pseudo_collate')),
        optim_wrapper=dict(
            optimizer=dict(type='SGD', lr=0.02, momentum=0.9),
            paramwise_cfg=dict(custom_keys={'teacher.': dict(lr_mult=0.5)})),
        train_cfg=dict(by_epoch=False, max_iters=iters),
        default_hooks=dict(
            checkpoint=dict(
                type='CheckpointHook', interval=iters, by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        randomness=dict(seed=0))


def snapshot(module):
    return {k: v.detach().clone() for k, v in module.named_parameters()}


def with_teacher_ckpt(cfg, tmp_path):
    """Save a teacher checkpoint of the right architecture and use it."""
    teacher = MODELS.build(cfg['teacher'])
    path = tmp_path / 'teacher.pth'
    torch.save(dict(state_dict=teacher.state_dict()), path)
    return dict(cfg, teacher_ckpt=str(path))


def test_acclimation_of_every_head_logs_its_terms_and_teacher_accuracy(
        tmp_path):
    """RoI softmax (Faster R-CNN), per-anchor sigmoid (RetinaNet) and
    per-pixel (PSPNet) acclimation: both terms and the teacher's accuracy
    are logged, finite, and the accuracy is a fraction."""
    cases = dict(
        faster_rcnn=(distill_cfgs.faster_rcnn(), 'ta'),
        retinanet=(distill_cfgs.retinanet(acclimate=True), 'ta0'),
        pspnet=(distill_cfgs.pspnet(), 'ta'))
    for name, (cfg, loss) in cases.items():
        work = tmp_path / name
        runner = train_runner(
            with_teacher_ckpt(cfg, tmp_path), PAIRS[name][1](), work)
        runner.train()
        hub = runner.message_hub
        for key in (f'rel.{loss}.nontarget', f'rel.{loss}.target'):
            value = hub.get_scalar(f'train/{key}').current()
            assert torch.isfinite(torch.tensor(value)), (name, key)
        accuracy = hub.get_scalar('train/teacher.train_acc').current()
        assert 0.0 <= accuracy <= 1.0, name


@pytest.mark.parametrize('name', sorted(PAIRS))
def test_pair_trains_through_runner(name, tmp_path):
    make_cfg, make_batch = PAIRS[name]
    cfg = with_teacher_ckpt(make_cfg(), tmp_path)
    runner = train_runner(cfg, make_batch(), tmp_path)
    model = runner.model
    student0, teacher0 = snapshot(model.student), snapshot(model.teacher)
    acclimated = set(model.acclimated_params)
    runner.train()

    hub = runner.message_hub
    total = hub.get_scalar('train/loss').current()
    assert torch.isfinite(torch.tensor(total))
    distill_keys = [
        k for k in hub.log_scalars if k.startswith('train/distill.')
    ]
    assert distill_keys
    for key in distill_keys:
        assert torch.isfinite(torch.tensor(hub.get_scalar(key).current())), key
    assert any(k.startswith('train/rel.') for k in hub.log_scalars)

    changed = [
        k for k, v in model.student.named_parameters()
        if not torch.equal(v, student0[k])
    ]
    assert len(changed) > len(student0) // 2
    for key, value in model.teacher.named_parameters():
        if key in acclimated:
            continue
        assert torch.equal(value, teacher0[key]), f'frozen {key} changed'
    if acclimated:
        assert any(not torch.equal(
            dict(model.teacher.named_parameters())[k], teacher0[k])
                   for k in acclimated)
        # acclimated teacher parts are saved with the checkpoint
        # ... with their own learning rate (paramwise custom_keys) ...
        params = dict(model.teacher.named_parameters())
        groups = runner.optim_wrapper.optimizer.param_groups
        for key in acclimated:
            group = next(
                g for g in groups
                if any(p is params[key] for p in g['params']))
            assert group['lr'] == pytest.approx(0.01)
        # ... and saved with the checkpoint and restored from it
        fresh = MODELS.build(cfg)
        load_checkpoint(fresh, str(tmp_path / 'iter_2.pth'), strict=True)
        for key in acclimated:
            torch.testing.assert_close(
                dict(fresh.teacher.named_parameters())[key], params[key])
    assert not model.teacher.training
    assert not any(m.training for m in model.teacher.modules())


def _build(cfg):
    return MODELS.build(cfg)


def _count_calls(obj, name, counter):
    original = getattr(obj, name)

    def wrapped(*args, **kwargs):
        counter[name] = counter.get(name, 0) + 1
        return original(*args, **kwargs)

    setattr(obj, name, wrapped)


def test_teacher_scores_the_students_rois_and_computes_no_losses():
    torch.manual_seed(0)
    model = _build(distill_cfgs.faster_rcnn())
    model.train()
    seen = {}
    for side in ('student', 'teacher'):
        extractor = getattr(model, side).roi_head.bbox_roi_extractor
        extractor.register_forward_pre_hook(
            lambda m, args, side=side: seen.__setitem__(side, args[1]))
    student_calls, teacher_calls = {}, {}
    for model_, calls in ((model.student, student_calls), (model.teacher,
                                                           teacher_calls)):
        for obj, name in ((model_.rpn_head,
                           'loss_and_predict'), (model_.roi_head, 'loss'),
                          (model_.roi_head.bbox_head, 'loss_and_target'),
                          (model_.roi_head.bbox_assigner,
                           'assign'), (model_.roi_head.bbox_sampler, 'sample'),
                          (model_.rpn_head, 'predict_by_feat')):
            _count_calls(obj, name, calls)
    optim = OptimWrapper(
        torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                        lr=0.01))
    model.train_step(distill_cfgs.det_batch(), optim)

    assert student_calls['loss'] == 1 and student_calls['assign'] > 0
    assert teacher_calls == {}, teacher_calls
    # same RoIs, in the same order, for both heads
    assert torch.equal(seen['student'], seen['teacher'])
    s_cls = model.distiller.get_record('cls', True)
    t_cls = model.distiller.get_record('cls', False)
    assert s_cls.shape == t_cls.shape and s_cls.shape[0] == \
        seen['student'].shape[0]
    labels = model.distiller.get_record('labels', True, data_idx=0)
    assert labels.shape == (s_cls.shape[0], )


def test_anchor_classes_num_classes_is_the_students_class_count():
    model = _build(distill_cfgs.retinanet(acclimate=True))
    assert {
        loss.anchor_classes
        for name, loss in model.distiller.distill_losses.items()
        if name.startswith('loss_ta')
    } == {NUM_CLASSES}


def test_acclimated_modules_take_negative_indices():
    """'cls_convs.-1' is the last stacked conv whatever the depth."""
    from dist_mm.algorithms.module_names import param_names_under
    teacher = MODELS.build(distill_cfgs.retinanet()['teacher'])
    last = len(teacher.bbox_head.cls_convs) - 1
    assert param_names_under(teacher, ['bbox_head.cls_convs.-1']) == \
        param_names_under(teacher, [f'bbox_head.cls_convs.{last}'])
    with pytest.raises(ValueError, match='not found'):
        param_names_under(teacher, ['bbox_head.cls_convs.-9'])


def test_bad_recorder_source_lists_close_module_names():
    cfg = distill_cfgs.faster_rcnn(acclimate=False)
    cfg['distiller']['student_recorders']['fpn0'] = distill_cfgs.rec(
        'neck.fpn_conv.0.conv')
    with pytest.raises(
            ValueError,
            match=r"student recorder 'fpn0'.*"
            r"'neck.fpn_conv.0.conv'.*neck.fpn_convs.0.conv"):
        _build(cfg)


def test_class_count_mismatch_is_refused():
    cfg = distill_cfgs.faster_rcnn(acclimate=False, num_classes=4)
    with pytest.raises(
            ValueError, match=r'teacher predicts 3 classes but '
            r'the student 4'):
        _build(cfg)


def test_teacher_checkpoint_is_loaded_strictly(tmp_path):
    good = _build(distill_cfgs.faster_rcnn(acclimate=False))
    path = tmp_path / 'teacher.pth'
    torch.save(dict(state_dict=good.teacher.state_dict()), path)
    cfg = distill_cfgs.faster_rcnn(acclimate=False)
    cfg['teacher_ckpt'] = str(path)
    loaded = _build(cfg)
    for key, value in good.teacher.state_dict().items():
        assert torch.equal(loaded.teacher.state_dict()[key], value)

    # a checkpoint of another architecture (the student's) is refused
    other = tmp_path / 'other.pth'
    torch.save(dict(state_dict=good.student.state_dict()), other)
    cfg['teacher_ckpt'] = str(other)
    with pytest.raises(
            RuntimeError,
            match=r'(?s)does not fit the teacher.*'
            r'size mismatch.*more'):
        _build(cfg)
    # so is one with a missing key
    partial = dict(good.teacher.state_dict())
    partial.pop('roi_head.bbox_head.fc_cls.weight')
    torch.save(dict(state_dict=partial), other)
    with pytest.raises(
            RuntimeError,
            match=r'(?s)does not fit.*missing keys.*fc_cls\.weight'):
        _build(cfg)
    # and one that fits but holds NaN or inf (a diverged teacher)
    diverged = dict(good.teacher.state_dict())
    diverged['roi_head.bbox_head.fc_cls.bias'] = torch.full_like(
        diverged['roi_head.bbox_head.fc_cls.bias'], float('nan'))
    diverged['backbone.bn1.running_var'][0] = float('inf')
    torch.save(dict(state_dict=diverged), other)
    with pytest.raises(
            ValueError,
            match=r"other\.pth' holds NaN or inf in "
            r'roi_head\.bbox_head\.fc_cls\.bias, backbone\.bn1\.running_var:'):
        _build(cfg)


def test_channel_mismatch_without_connector_names_the_connector():
    cfg = distill_cfgs.pspnet()
    maps = cfg['distiller']['loss_forward_mappings']
    maps['loss_feat']['preds_S'].pop('connector')
    model = _build(cfg)
    model.train()
    optim = OptimWrapper(
        torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                        lr=0.01))
    with pytest.raises(
            ValueError, match=r'64 channels, teacher 128.*'
            r'ConvModuleConnector'):
        model.train_step(distill_cfgs.seg_batch(), optim)


def test_acclimation_grads_reach_only_acclimated_teacher_params():
    torch.manual_seed(0)
    model = _build(distill_cfgs.pspnet())
    model.train()
    batch = model.data_preprocessor(distill_cfgs.seg_batch(), True)
    losses = model.loss(batch["inputs"], batch["data_samples"])
    losses['distill.loss_ta'].backward()
    for name, param in model.teacher.named_parameters():
        if name in model.acclimated_params:
            assert param.grad is not None
        else:
            assert param.grad is None and not param.requires_grad
    assert all(p.grad is None for p in model.student.parameters())
    model.zero_grad()
    student_only = sum(v for k, v in losses.items()
                       if 'loss' in k and k != 'distill.loss_ta')
    student_only.backward()
    assert all(p.grad is None for p in model.teacher.parameters())


def test_non_finite_loss_stops_before_the_optimizer_step():
    torch.manual_seed(0)
    model = _build(distill_cfgs.retinanet())
    model.train()
    optim_wrapper = OptimWrapper(
        torch.optim.SGD(model.student.parameters(), lr=0.02))
    batch = distill_cfgs.det_batch()
    model.train_step(batch, optim_wrapper)  # finite: the step is taken
    with torch.no_grad():  # one diverged weight of the classifier
        model.student.bbox_head.retina_cls.bias[0] = float('nan')
    before = snapshot(model.student)
    with pytest.raises(FloatingPointError) as err:
        model.train_step(batch, optim_wrapper)
    message = str(err.value)
    assert 'student.loss_cls=nan' in message
    assert 'distill.loss_cls0=nan' in message
    assert 'clip_grad' in message
    after = snapshot(model.student)
    for name, value in before.items():  # no parameter was updated
        torch.testing.assert_close(
            after[name], value, equal_nan=True, msg=name)
