"""Pearson-relation kernels of DIST / DIST+ for dense tensors (pure torch).

Every function here works on the tensors' natural layout (``[N, C, H, W]``
logits, ``[R, C]`` RoI logits, ``[B, D, H, W]`` features): the correlation is
reduced over the requested dims, so no permuted or transposed copy is ever
made. :class:`PearsonDistance` computes ``1 - rho`` with centred statistics
by reductions and recomputes the centred tensors in backward instead of
keeping them alive, so the autograd graph holds only the two inputs.

All statistics are computed in float32, also under fp16/bf16 autocast, and
``rho = <u_c, v_c> / (||u_c|| * ||v_c|| + eps)`` stays finite for
zero-variance vectors, where it is 0 and its gradient is taken as 0 (also
when the variance is only float rounding noise of the mean, or, for the
reference ``b``, when its relative spread is below ``flat_rtol``).
"""
import math
from typing import Optional, Sequence, Tuple, Union

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

EPS = 1e-8
ROUNDING_RTOL = 1e-5  # std / |mean| of a slice that is only rounding noise
Dims = Union[int, Sequence[int]]


def _as_dims(dim: Dims, ndim: int) -> Tuple[int, ...]:
    dims = (dim, ) if isinstance(dim, int) else tuple(dim)
    return tuple(sorted(d % ndim for d in dims))


def _centre(x: Tensor, dims: Tuple[int, ...],
            weight: Optional[Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
    """``x`` minus its (weighted) mean over ``dims``, zero where weight 0.

    Returns:
        tuple: the centred tensor, the mean and the entry count (keepdim).
    """
    if weight is None:
        count = x.new_tensor(float(math.prod(x.shape[d] for d in dims)))
        mean = x.mean(dims, keepdim=True)
        return x - mean, mean, count
    count = weight.sum(dims, keepdim=True)
    for d in dims:  # entries the weight broadcasts over count too
        if weight.shape[d] == 1:
            count = count * x.shape[d]
    mean = (x * weight).sum(dims, keepdim=True) / count.clamp_min(1.0)
    return (x - mean).mul_(weight), mean, count


def _sum_of_products(x: Tensor, y: Tensor, dims: Tuple[int, ...],
                     buffer: Tensor) -> Tensor:
    """``(x * y).sum(dims)`` through a reusable buffer (``vector_norm`` over
    non-innermost dims is an order of magnitude slower on CPU)."""
    return torch.mul(x, y, out=buffer).sum(dims, keepdim=True)


def _near_constant(sq_norm_c: Tensor,
                   mean: Tensor,
                   count: Tensor,
                   rtol: float = ROUNDING_RTOL) -> Tensor:
    """Slices whose centred norm is at most ``rtol`` of their magnitude
    (``||x||^2 = ||x_c||^2 + count * mean^2``); the default is float
    rounding noise. For ``rtol << 1`` this is ``std / |mean| <= rtol``."""
    return sq_norm_c <= rtol**2 * (sq_norm_c + count * mean.square())


class PearsonDistance(torch.autograd.Function):
    """``1 - rho(a, b)`` over ``dims``, memory-lean forward and backward.

    ``weight`` (0/1, broadcastable to ``a``) selects the entries that take
    part in each correlation; masked entries get zero gradient.
    """

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor, dims: Tuple[int, ...],
                weight: Optional[Tensor], eps: float, spread_floor: float,
                flat_rtol: float) -> Tensor:
        # Two full-size temporaries at a time: <a_c, b_c> is computed as
        # <a_c, b> - mean_b * sum(a_c), so b is centred only for its norm.
        a_c, mean_a, count = _centre(a, dims, weight)
        buffer = torch.empty_like(a_c)
        sq_a = _sum_of_products(a_c, a_c, dims, buffer)
        cov = _sum_of_products(a_c, b, dims, buffer)
        sum_a_c = a_c.sum(dims, keepdim=True)  # rounding noise, kept exact
        del a_c
        b_c, mean_b, _ = _centre(b, dims, weight)
        sq_b = _sum_of_products(b_c, b_c, dims, buffer)
        del b_c, buffer
        cov = cov - mean_b * sum_a_c
        norm_a, norm_b = sq_a.sqrt(), sq_b.sqrt()
        denom = norm_a * norm_b + eps
        # Zero-variance slices (up to float rounding of the mean), reference
        # slices flatter than flat_rtol, or slices where eps dominates the
        # denominator: rho is 0 by convention, and its derivative, ~1/eps
        # times rounding noise that would overflow fp16, is taken as 0 too.
        degenerate = _degenerate(norm_a, norm_b, eps, sq_a, sq_b, mean_a,
                                 mean_b, count, flat_rtol)
        rho = (cov / denom).masked_fill_(degenerate, 0.0)
        ctx.dims, ctx.spread_floor = dims, spread_floor
        ctx.save_for_backward(a, b, weight, mean_a, mean_b, norm_a, norm_b,
                              denom, rho, degenerate)
        return (1.0 - rho).squeeze(dims)

    @staticmethod
    @once_differentiable  # the hand-written backward is not differentiable
    def backward(ctx, grad_out: Tensor):
        (a, b, weight, mean_a, mean_b, norm_a, norm_b, denom, rho,
         degenerate) = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad[:2]
        # d(1 - rho)/da = -(b_c - rho * norm_b / norm_a * a_c) / denom,
        # expanded as b * s1 + a * s2 + s3 with per-slice factors so that no
        # centred copy is materialised; degenerate slices get zero gradient.
        scale = (-grad_out.reshape(rho.shape) / denom).masked_fill_(
            degenerate, 0.0)
        tiny = torch.finfo(rho.dtype).tiny

        def grad(x, y, mean_x, mean_y, norm_x, norm_y, scale):
            coef = -rho * norm_y / norm_x.clamp_min(tiny) * scale
            g = torch.mul(y, scale).addcmul_(x, coef)
            g.sub_(scale * mean_y + coef * mean_x)
            return g if weight is None else g.mul_(weight)

        grad_a = grad_b = None
        if need_a:
            grad_a = grad(
                a, b, mean_a, mean_b, norm_a, norm_b,
                scale * _spread_damping(norm_a, norm_b, ctx.spread_floor))
        if need_b:
            grad_b = grad(b, a, mean_b, mean_a, norm_b, norm_a, scale)
        return grad_a, grad_b, None, None, None, None, None


def _degenerate(norm_a: Tensor, norm_b: Tensor, eps: float, sq_a: Tensor,
                sq_b: Tensor, mean_a: Tensor, mean_b: Tensor, count: Tensor,
                flat_rtol: float) -> Tensor:
    """Slices whose ``rho`` is taken as 0 with zero gradient.

    Either vector is constant up to float rounding, the reference ``b`` has
    a relative spread (``std / |mean|``) below ``flat_rtol``, or ``eps``
    dominates the denominator. A reference that flat holds no relation to
    learn: the gradient of ``1 - rho`` towards it grows like
    ``1 / ||a - mean||`` and chases its noise (e.g. a teacher's nearly
    equal logits for the 2-8 instances of a 1x1 FPN level).
    """
    return (norm_a * norm_b <= eps) | _near_constant(sq_a, mean_a, count) | \
        _near_constant(sq_b, mean_b, count, max(flat_rtol, ROUNDING_RTOL))


def _spread_damping(norm_a: Tensor, norm_b: Tensor,
                    spread_floor: float) -> Union[Tensor, float]:
    """Per-slice factor ``||a_c|| / max(||a_c||, floor * ||b_c||)`` for the
    gradient of ``1 - rho(a, b)`` with respect to ``a``.

    That gradient has norm ``sqrt(1 - rho^2) / ||a_c||``: it grows without
    bound as ``a`` flattens. Scaled by this factor it is the gradient ``a``
    would get if its spread were at least ``floor`` times that of ``b``
    (bounded by ``1 / (floor * ||b_c||)``), in the same direction; slices
    with ``||a_c|| >= floor * ||b_c||`` are untouched, and so are the loss
    value and its minima. 1 when ``spread_floor`` is 0.
    """
    if spread_floor <= 0:
        return 1.0
    floor = (spread_floor * norm_b).clamp_min(torch.finfo(norm_a.dtype).tiny)
    return norm_a / torch.maximum(norm_a, floor)


def pearson_distance(a: Tensor,
                     b: Tensor,
                     dim: Dims,
                     weight: Optional[Tensor] = None,
                     eps: float = EPS,
                     spread_floor: float = 0.0,
                     flat_rtol: float = 0.0) -> Tensor:
    """``1 - rho`` between ``a`` and ``b`` along ``dim`` (float32 inputs).

    Args:
        a, b: Tensors of the same shape.
        dim: Dim or dims the correlation is taken over.
        weight: Optional 0/1 tensor broadcastable to ``a``; entries with
            weight 0 are left out of the correlation.
        eps: Added to the product of the norms.
        spread_floor: Bound the gradient with respect to ``a`` of slices
            whose centred norm is below ``spread_floor`` times that of
            ``b`` (see :func:`_spread_damping`); 0 leaves it exact. The
            value is never changed.
        flat_rtol: Slices where ``b``'s std is below ``flat_rtol`` times
            its ``|mean|`` get ``rho = 0`` and zero gradient (see
            :func:`_degenerate`); 0 only catches float rounding noise.

    Returns:
        Tensor: ``1 - rho`` with ``dim`` reduced away.
    """
    if weight is not None:
        weight = weight.to(a.dtype)
    return PearsonDistance.apply(a, b, _as_dims(dim, a.ndim), weight, eps,
                                 spread_floor, flat_rtol)


def synced_pearson_distance(a: Tensor,
                            b: Tensor,
                            dim: Dims,
                            weight: Optional[Tensor] = None,
                            eps: float = EPS,
                            spread_floor: float = 0.0,
                            flat_rtol: float = 0.0) -> Tensor:
    """``1 - rho`` along ``dim`` with the statistics of all processes.

    Like :func:`pearson_distance`, but the correlation is taken over the
    entries of every process of the default group, as if their tensors were
    concatenated along ``dim``: counts and sums, then the centred second
    moments, are summed by two differentiable all-reduces of ``3 x`` (the
    reduced shape) values each. Every process gets the same result; the
    gradient with respect to the local entries is ``world_size`` times that
    of the concatenated computation, which DDP's gradient averaging turns
    into exactly the concatenated gradient. Without an initialised process
    group it equals :func:`pearson_distance`.
    """
    import torch.distributed as dist
    if not (dist.is_available() and dist.is_initialized()) or \
            dist.get_world_size() == 1:
        return pearson_distance(a, b, dim, weight, eps, spread_floor,
                                flat_rtol)
    from torch.distributed.nn.functional import all_reduce
    dims = _as_dims(dim, a.ndim)
    w = torch.ones_like(a) if weight is None else weight.to(a.dtype) \
        .expand_as(a)

    def summed(*terms: Tensor) -> Tensor:
        return all_reduce(
            torch.stack([t.sum(dims, keepdim=True) for t in terms]))

    count, sum_a, sum_b = summed(w, a * w, b * w)
    mean_a = sum_a / count.clamp_min(1.0)
    mean_b = sum_b / count.clamp_min(1.0)
    a_c, b_c = (a - mean_a) * w, (b - mean_b) * w
    sq_a, sq_b, cov = summed(a_c * a_c, b_c * b_c, a_c * b_c)
    tiny = torch.finfo(sq_a.dtype).tiny
    norm_a, norm_b = sq_a.clamp_min(tiny).sqrt(), sq_b.clamp_min(tiny).sqrt()
    degenerate = _degenerate(norm_a, norm_b, eps, sq_a, sq_b, mean_a, mean_b,
                             count, flat_rtol)
    rho = torch.where(degenerate, torch.zeros_like(cov),
                      cov / (norm_a * norm_b + eps))
    if spread_floor > 0:  # same value, gradient scaled per slice
        damp = _spread_damping(norm_a, norm_b, spread_floor).detach()
        rho = damp * rho + (1.0 - damp) * rho.detach()
    return (1.0 - rho).squeeze(dims)
