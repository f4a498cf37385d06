"""The DIST / DIST+ relation terms: inter- and intra-class (logits),
channel and spatial (features), non-target (acclimation)."""
from typing import Optional, Tuple

import torch
from torch import Tensor

from .base import check_activation
from .pearson import pearson_distance, synced_pearson_distance
from .precision import full_precision, upcast


def class_probs(logits: Tensor, class_dim: int, tau: float,
                activation: str) -> Tensor:
    """Probabilities (float32 at least) of ``logits / tau``."""
    x = upcast(logits)
    x = x / tau if tau != 1.0 else x
    if check_activation(activation) == 'softmax':
        return x.softmax(dim=class_dim)
    return x.sigmoid()


def masked_mean(x: Tensor, valid: Optional[Tensor]) -> Tensor:
    """Mean of ``x``, over the entries where ``valid`` is true if given."""
    if valid is None:
        return x.mean()
    valid = valid.to(x.dtype).expand_as(x)
    return (x * valid).sum() / valid.sum().clamp_min(1.0)


def dist_relations(logits_s: Tensor,
                   logits_t: Tensor,
                   class_dim: int = 1,
                   tau: float = 1.0,
                   activation: str = 'softmax',
                   valid: Optional[Tensor] = None,
                   sync_intra: bool = False,
                   spread_floor: float = 0.0,
                   flat_rtol: float = 0.0) -> Tuple[Tensor, Tensor]:
    """DIST inter-class and intra-class relation losses (each x tau^2).

    Every position of every dim except ``class_dim`` is an instance: for
    ``[N, C, H, W]`` segmentation logits the instances are all N*H*W pixels,
    for ``[R, C]`` RoI logits the R RoIs.

    Args:
        logits_s: Student logits.
        logits_t: Teacher logits of the same shape (detached here).
        class_dim: The class dim.
        tau: Temperature.
        activation: ``'softmax'`` over classes or element-wise ``'sigmoid'``.
        valid: Optional bool tensor of instances to use, broadcastable to the
            logits with ``class_dim`` of size 1 (e.g. ``[N, 1, H, W]``).
        sync_intra: Take the intra-class correlations over the instances of
            all processes (:func:`synced_pearson_distance`).
        spread_floor: Bound the student's gradient where its probabilities
            are flatter than ``spread_floor`` times the teacher's (see
            :func:`pearson_distance`); 0 gives the exact gradient.
        flat_rtol: Leave out teacher slices whose relative spread is below
            this (see :func:`pearson_distance`).

    Returns:
        tuple[Tensor, Tensor]: ``(L_inter, L_intra)``.
    """
    class_dim = class_dim % logits_s.ndim
    with full_precision(logits_s):
        y_s = class_probs(logits_s, class_dim, tau, activation)
        with torch.no_grad():
            y_t = class_probs(logits_t.detach(), class_dim, tau, activation)
        inter = pearson_distance(
            y_s,
            y_t,
            class_dim,
            spread_floor=spread_floor,
            flat_rtol=flat_rtol)
        inter = masked_mean(
            inter, None if valid is None else valid.squeeze(class_dim))
        instance_dims = tuple(d for d in range(y_s.ndim) if d != class_dim)
        intra_fn = synced_pearson_distance if sync_intra else pearson_distance
        intra = intra_fn(
            y_s,
            y_t,
            instance_dims,
            weight=valid,
            spread_floor=spread_floor,
            flat_rtol=flat_rtol).mean()
    return tau**2 * inter, tau**2 * intra


def feature_relations(feat_s: Tensor, feat_t: Tensor) -> Tuple[Tensor, Tensor]:
    """DIST+ channel and spatial relation losses of ``[B, D, H, W]`` maps.

    Returns:
        tuple[Tensor, Tensor]: ``(L_cr, L_sr)``: mean over the B*H*W pixels
        of ``1 - rho`` across channels, and mean over the B images of
        ``1 - rho`` across the H*W positions of the channel-summed maps.
    """
    with full_precision(feat_s):
        f_s = upcast(feat_s)
        f_t = upcast(feat_t.detach())
        channel = pearson_distance(f_s, f_t, 1).mean()
        spatial = pearson_distance(
            f_s.sum(1).flatten(1),
            f_t.sum(1).flatten(1), 1).mean()
    return channel, spatial


def non_target_relation(logits_t: Tensor,
                        logits_s: Tensor,
                        target: Tensor,
                        class_dim: int = 1,
                        tau: float = 1.0,
                        activation: str = 'softmax',
                        ignore_index: int = 255) -> Tensor:
    """Teacher-acclimation loss: ``1 - rho`` of non-target class probabilities.

    Probabilities are taken over all classes, then the target class column
    of each instance is left out of the correlation (by a 0/1 weight, not a
    gathered copy). The student side is detached: gradients reach only
    ``logits_t``. Instances whose target is ``ignore_index`` are skipped.

    Args:
        logits_t: Teacher logits (receive gradients).
        logits_s: Student logits of the same shape (detached here).
        target: Integer targets, the logits' shape without ``class_dim``;
            with ``'sigmoid'`` the value ``num_classes`` means background
            (no class is left out).
        class_dim: The class dim.
        tau: Temperature.
        activation: ``'softmax'`` or ``'sigmoid'``.
        ignore_index: Target value of instances to skip.

    Returns:
        Tensor: Mean over valid instances of ``1 - rho(E_t, E_s)``.
    """
    class_dim = class_dim % logits_t.ndim
    num_classes = logits_t.shape[class_dim]
    valid = target != ignore_index
    # sigmoid heads have no background column: label num_classes means
    # background, and then no class is left out
    top = num_classes if activation == 'sigmoid' else num_classes - 1
    index = torch.where(valid, target, torch.zeros_like(target)).long()
    if index.numel() and (index.min() < 0 or index.max() > top):
        raise ValueError(
            f'target values must lie in [0, {top}] or equal '
            f'ignore_index={ignore_index}, got range [{int(index.min())}, '
            f'{int(index.max())}]: the targets do not fit the '
            f'{num_classes} classes of the logits.')
    foreground = index < num_classes
    index = index.clamp(max=num_classes - 1).unsqueeze(class_dim)
    with full_precision(logits_t):
        e_t = class_probs(logits_t, class_dim, tau, activation)
        with torch.no_grad():
            e_s = class_probs(logits_s.detach(), class_dim, tau, activation)
        target_column = torch.zeros_like(e_t).scatter_(
            class_dim, index,
            foreground.unsqueeze(class_dim).to(e_t.dtype))
        non_target = 1.0 - target_column
        dist = pearson_distance(e_t, e_s, class_dim, weight=non_target)
        return tau**2 * masked_mean(dist, valid)
