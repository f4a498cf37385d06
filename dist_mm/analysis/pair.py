"""What a teacher / student pair's DIST target carries, and how its loss
terms balance, measured on a few batches before (or after) a long job."""
import math
from collections import defaultdict
from typing import Dict, List, Optional

import torch
from torch import Tensor

from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope
from mmengine.runner import Runner, load_checkpoint

from ..losses import RelationLoss
from ..losses.labels import resize_labels


def target_statistics(logits_t: Tensor,
                      labels: Tensor,
                      tau: float = 1.0,
                      ignore_index: int = 255) -> Dict[str, float]:
    """What a dense softmax target carries beyond the label.

    Over the pixels whose label is not ``ignore_index`` (labels
    nearest-resized to the logits), of ``p = softmax(logits_t / tau)``:

    * ``acc``: how often the target's top class is the label;
    * ``p_label``: mean probability of the label;
    * ``entropy``: mean entropy of ``p`` over ``log C`` (0: one-hot,
      1: uniform);
    * ``non_target_structure``: mean of ``1 - H(q) / log(C - 1)``, ``q`` the
      non-label classes' probabilities renormalised: 0 when they are
      uniform (a one-hot target smoothed by a floor or a temperature tells
      nothing beyond the label), 1 when one class takes all of them. It is
      what the inter-class relations can transfer beyond the label.

    Args:
        logits_t: ``[N, C, H, W]`` target logits.
        labels: ``[N, H', W']`` or ``[N, 1, H', W']`` label map.
        tau: The loss's temperature.
        ignore_index: Label of ignored pixels.
    """
    n, c = logits_t.shape[:2]
    labels = resize_labels(labels, logits_t.shape[-2:])
    valid = labels != ignore_index
    p = (logits_t.double() / tau).softmax(1).movedim(1, -1)[valid]
    target = labels[valid].long().clamp(max=c - 1)
    if not len(p):
        raise ValueError('target_statistics: every pixel is ignore_index.')
    plogp = -(p * p.clamp_min(1e-300).log()).sum(-1)
    p_label = p.gather(1, target[:, None])[:, 0]
    q = p.scatter(1, target[:, None], 0.0)
    q = q / q.sum(-1, keepdim=True).clamp_min(1e-300)
    q_entropy = -(q * q.clamp_min(1e-300).log()).sum(-1)
    return dict(
        acc=(p.argmax(-1) == target).double().mean().item(),
        p_label=p_label.mean().item(),
        entropy=(plogp / math.log(c)).mean().item(),
        non_target_structure=(1 - q_entropy / math.log(c - 1)).mean().item())


class _LossInputs:
    """Forward hooks that keep each dist_mm loss's inputs of the last
    call."""

    def __init__(self, losses: Dict[str, torch.nn.Module]) -> None:
        self.inputs: Dict[str, dict] = {}
        self.handles = [
            loss.register_forward_hook(self._keep(name), with_kwargs=True)
            for name, loss in losses.items() if isinstance(loss, RelationLoss)
        ]

    def _keep(self, name: str):

        def hook(module, args, kwargs, output):
            self.inputs[name] = dict(kwargs)

        return hook

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


def analyze_pair(config: str,
                 checkpoint: Optional[str] = None,
                 batches: int = 4,
                 split: str = 'val',
                 picture: Optional[str] = None,
                 cfg_options: Optional[dict] = None) -> Dict:
    """Run a DIST / DIST+ config's algorithm on a few batches, without
    training, and measure its targets and loss terms.

    For each loss with a softmax activation comparing dense student and
    teacher logits (``preds_S``, ``preds_T``), given the label map:
    :func:`target_statistics` of the teacher's target and of the student's
    logits at the loss's temperature. For every loss: its weighted value
    against the student's task loss (the balance of the first steps), and
    the unweighted relation terms.

    Args:
        config: A dist_mm config.
        checkpoint: A distillation checkpoint (the algorithm's state: the
            student, connectors and fitted heads at the end of training);
            None measures the start (the student as initialised).
        batches: Batches of the dataloader to measure.
        split: ``'val'`` or ``'train'``: whose dataloader.
        picture: A PNG path: labels, teacher target and student predictions
            of the first batch's images.
        cfg_options: Config overrides.

    Returns:
        dict: ``losses``: the mean of each key of the algorithm's loss dict
        (weighted losses, ``rel.*`` unweighted terms, ``teacher.train_acc``)
        and ``student``, the sum of the student's task losses;
        ``targets.<loss>``: the mean :func:`target_statistics` of teacher
        (``teacher.*``) and student (``student.*``).
    """
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.setdefault('default_scope', 'mmrazor')
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(cfg.model)
        model.init_weights()  # as the Runner does (the teacher stays loaded)
        if checkpoint:
            load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
        loader = Runner.build_dataloader(cfg[f'{split}_dataloader'])
    losses = model.distiller.distill_losses
    keep = _LossInputs(losses)
    sums: Dict[str, Dict[str,
                         List[float]]] = defaultdict(lambda: defaultdict(list))
    shown = None
    # the training step's graph without dropout; a trained model's batch
    # norms use their running statistics, as at validation
    model.train()
    frozen = (torch.nn.Dropout, torch.nn.modules.batchnorm._BatchNorm) \
        if checkpoint else (torch.nn.Dropout, )
    for module in model.modules():
        if isinstance(module, frozen):
            module.eval()
    try:
        with torch.no_grad():
            for i, batch in enumerate(loader):
                if i == batches:
                    break
                data = model.data_preprocessor(batch, training=True)
                values = model.loss(data['inputs'], data['data_samples'])
                _add_losses(sums['losses'], values)
                labels = batch_labels(data['data_samples'])
                for name, kwargs in keep.inputs.items():
                    stats = _logit_stats(losses[name], kwargs, labels)
                    for key, value in stats.items():
                        sums[f'targets.{name}'][key].append(value)
                if shown is None and picture:
                    shown = (data, dict(keep.inputs))
    finally:
        keep.remove()
    result = {
        group: {
            k: sum(v) / len(v)
            for k, v in values.items()
        }
        for group, values in sums.items()
    }
    if picture and shown:
        write_picture(picture, *shown)
    return result


def _add_losses(sums: Dict[str, List[float]], values: Dict[str,
                                                           Tensor]) -> None:
    student = 0.0
    for key, value in values.items():
        value = value.sum() if isinstance(value, Tensor) else sum(value)
        if key.startswith('student.') and 'loss' in key:
            student += float(value)
        sums[key].append(float(value))
    sums['student'].append(student)


def batch_labels(samples) -> Optional[Tensor]:
    """The ``[N, H, W]`` label maps of a segmentation batch (None for
    other tasks)."""
    if not samples or 'gt_sem_seg' not in samples[0]:
        return None
    return torch.stack([s.gt_sem_seg.data[0] for s in samples])


def _logit_stats(loss: RelationLoss, kwargs: dict,
                 labels: Optional[Tensor]) -> Dict[str, float]:
    """Teacher and student :func:`target_statistics` of one DIST logit
    loss's inputs (softmax dense logits; the loss's ``gt_labels``, else the
    batch's label maps)."""
    preds_s, preds_t = kwargs.get('preds_S'), kwargs.get('preds_T')
    if kwargs.get('gt_labels') is not None:
        labels = kwargs['gt_labels']
    if labels is None or preds_s is None or preds_t is None or \
            preds_t.ndim != 4 or \
            getattr(loss, 'activation', None) != 'softmax':
        return {}
    out = {}
    for who, logits in (('teacher', preds_t), ('student', preds_s)):
        if logits.shape[-2:] != preds_t.shape[-2:]:
            logits = torch.nn.functional.interpolate(
                logits, preds_t.shape[-2:], mode='bilinear')
        stats = target_statistics(logits, labels, loss.tau, loss.ignore_index)
        out.update({f'{who}.{k}': v for k, v in stats.items()})
    return out


def write_picture(path: str,
                  data: dict,
                  inputs: Dict[str, dict],
                  images: int = 4) -> None:
    """Label map, teacher target and student prediction (top class) of the
    first ``images`` images, for each DIST logit loss, as a PNG."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    rows = []
    for name, kwargs in inputs.items():
        labels = kwargs.get('gt_labels')
        if labels is None:
            labels = batch_labels(data['data_samples'])
        if labels is None or kwargs.get('preds_S') is None or \
                kwargs.get('preds_T') is None or kwargs['preds_T'].ndim != 4:
            continue
        labels = labels[:, 0] if labels.ndim == 4 else labels
        rows.append((f'{name}: labels', labels))
        rows.append((f'{name}: teacher', kwargs['preds_T'].argmax(1)))
        rows.append((f'{name}: student', kwargs['preds_S'].argmax(1)))
    count = min(images, data['inputs'].shape[0])
    fig, axes = plt.subplots(
        len(rows) + 1,
        count,
        figsize=(3 * count, 1.6 * (len(rows) + 1)),
        squeeze=False)
    for j in range(count):
        image = data['inputs'][j].float()
        image = (image - image.min()) / (image.max() - image.min() + 1e-6)
        axes[0][j].imshow(image.permute(1, 2, 0).numpy())
        axes[0][j].set_title('image', fontsize=7)
        for i, (title, maps) in enumerate(rows, 1):
            shown = maps[j].float().numpy()
            shown[shown == 255] = float('nan')
            axes[i][j].imshow(
                shown, cmap='tab20', vmin=0, vmax=19, interpolation='nearest')
            axes[i][j].set_title(title, fontsize=7)
    for ax in axes.flat:
        ax.axis('off')
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
