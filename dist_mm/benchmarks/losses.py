"""DIST / DIST+ losses against the naive formula and plain autograd.

For each realistic shape it times forward + backward of the loss and
measures the peak resident memory it adds, in one run, for:

* ``dist_mm``: :class:`DISTLogitLoss` / :class:`DISTFeatureLoss`;
* ``naive``: the straightforward formula of the method spec, i.e. MMRazor's
  own ``DISTLoss`` on logits reshaped to ``[M, C]`` (``permute`` + ``reshape``)
  and the same Pearson helpers on ``[B*H*W, D]`` / ``[B, H*W]`` features;
* ``plain``: the same formula in plain torch ops with autograd's backward,
  reduced over the tensors' own dims (no permuted copy): the fairer anchor,
  which isolates what the hand-written backward saves.

It prints one table with the medians and the ratios naive / dist_mm and
plain / dist_mm (speed), dist_mm / naive and dist_mm / plain (peak memory),
and the max abs difference of the values.

``tools/analysis_tools/benchmark_losses.py`` prints the table.
"""
from typing import Callable, Dict, List, Optional, Tuple

import torch

from mmrazor.models.losses.dist_loss import DISTLoss, pearson_correlation

from ..losses import DISTFeatureLoss, DISTLogitLoss
from .measure import measure

RETINA = [(100, 168), (50, 84), (25, 42), (13, 21), (7, 11)]
CASES: List[Tuple[str, str, Tuple[int, ...]]] = [
    ('PSPNet logits', 'logit', (2, 19, 64, 128)),
    ('PSPNet logits full-res', 'logit', (2, 19, 512, 1024)),
] + [(f'RetinaNet P{i + 3} logits', 'sigmoid', (2, 720, h, w))
     for i, (h, w) in enumerate(RETINA)] + [
         ('FPN P2 features', 'feature', (2, 256, 200, 336)),
     ]
QUICK = {'PSPNet logits', 'RetinaNet P5 logits'}


def naive_logit(activation: str) -> Callable:
    mmrazor_dist = DISTLoss()

    def loss(s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        c = s.shape[1]
        s = s.permute(0, 2, 3, 1).reshape(-1, c)
        t = t.permute(0, 2, 3, 1).reshape(-1, c)
        if activation == 'softmax':  # MMRazor's DISTLoss as shipped
            return mmrazor_dist(s, t)
        y_s, y_t = s.sigmoid(), t.detach().sigmoid()
        inter = 1 - pearson_correlation(y_s, y_t).mean()
        intra = 1 - pearson_correlation(y_s.t(), y_t.t()).mean()
        return inter + intra

    return loss


def plain_pearson(a: torch.Tensor, b: torch.Tensor, dims) -> torch.Tensor:
    """``1 - rho`` over ``dims``, in plain autograd ops."""
    a = a - a.mean(dims, keepdim=True)
    b = b - b.mean(dims, keepdim=True)
    norms = (a * a).sum(dims).sqrt() * (b * b).sum(dims).sqrt()
    rho = (a * b).sum(dims) / (norms + 1e-8)
    return 1 - rho.mean()


def plain_logit(activation: str) -> Callable:

    def loss(s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        act = (lambda x: x.softmax(1)) if activation == 'softmax' \
            else torch.sigmoid
        y_s, y_t = act(s), act(t.detach())
        return plain_pearson(y_s, y_t, 1) + plain_pearson(y_s, y_t, (0, 2, 3))

    return loss


def plain_feature(s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    t = t.detach()
    return plain_pearson(s, t, 1) + plain_pearson(s.sum(1), t.sum(1), (1, 2))


def naive_feature(s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    t = t.detach()
    b, d = s.shape[:2]
    channel = 1 - pearson_correlation(
        s.permute(0, 2, 3, 1).reshape(-1, d),
        t.permute(0, 2, 3, 1).reshape(-1, d)).mean()
    spatial = 1 - pearson_correlation(
        s.sum(1).reshape(b, -1),
        t.sum(1).reshape(b, -1)).mean()
    return channel + spatial


def forward_backward(fn: Callable, s: torch.Tensor,
                     t: torch.Tensor) -> Callable[[], torch.Tensor]:
    """One timed step: loss forward + backward, returning the value."""

    def step() -> torch.Tensor:
        s.grad = None
        loss = fn(s, t)
        loss.backward()
        return loss.detach()

    return step


def benchmark_case(kind: str,
                   shape: Tuple[int, ...],
                   reps: int = 3) -> Dict[str, Dict]:
    """Time forward + backward of one case and measure its peak memory.

    Args:
        kind: ``'logit'`` (softmax), ``'sigmoid'`` or ``'feature'``.
        shape: ``[N, C, H, W]`` of student and teacher.
        reps: Repetitions; times and peaks are their medians.

    Returns:
        dict: ``{'dist_mm' | 'naive' | 'plain': {'time', 'peak', 'value'}}``
        (seconds, MiB, the loss value).
    """
    s = torch.randn(shape, requires_grad=True)
    t = torch.randn(shape)
    if kind == 'feature':
        losses = dict(
            dist_mm=DISTFeatureLoss(),
            naive=naive_feature,
            plain=plain_feature)
    else:
        act = 'sigmoid' if kind == 'sigmoid' else 'softmax'
        losses = dict(
            dist_mm=DISTLogitLoss(activation=act),
            naive=naive_logit(act),
            plain=plain_logit(act))
    return {
        name: measure(forward_backward(fn, s, t), reps)
        for name, fn in losses.items()
    }


def run_loss_benchmark(reps: int = 3,
                       quick: bool = False,
                       threads: Optional[int] = None) -> None:
    """Print the table of :data:`CASES` (``quick``: the small ones) with
    the speed and memory ratios to the references and the largest
    difference of the values."""
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, '
          f'CPU, fp32, median of {reps} forward+backward runs')
    header = (f'{"case":<26}{"shape":<22}{"dist_mm s":>10}{"naive s":>9}'
              f'{"speedup":>8}{"plain s":>9}{"speedup":>8}'
              f'{"dist_mm MiB":>12}{"naive MiB":>10}{"mem ratio":>10}'
              f'{"plain MiB":>10}{"mem ratio":>10}{"max|diff|":>11}')
    print(header)
    print('-' * len(header))
    for name, kind, shape in CASES:
        if quick and name not in QUICK:
            continue
        r = benchmark_case(kind, shape, reps)
        a, b, c = r['dist_mm'], r['naive'], r['plain']
        diff = max((a['value'] - x['value']).abs().item() for x in (b, c))

        def ratio(other):  # peaks below a few MiB are served from freed
            # memory the allocator keeps, so RSS cannot resolve them
            return f'{a["peak"] / other["peak"]:>9.2f}x' \
                if other['peak'] >= 16 else f'{"n/a":>10}'

        print(
            f'{name:<26}{str(list(shape)):<22}{a["time"]:>10.3f}'
            f'{b["time"]:>9.3f}{b["time"] / a["time"]:>7.2f}x'
            f'{c["time"]:>9.3f}{c["time"] / a["time"]:>7.2f}x'
            f'{a["peak"]:>12.0f}{b["peak"]:>10.0f}{ratio(b)}'
            f'{c["peak"]:>10.0f}{ratio(c)}{diff:>11.1e}',
            flush=True)
