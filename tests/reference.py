"""Straightforward DIST / DIST+ formulas, written independently of dist_mm.

These follow the method spec literally: reshape dense tensors into
``[M, C]`` matrices, softmax once, and correlate rows (instances) and
columns (classes) with explicitly centred vectors.
"""
import torch

EPS = 1e-8


def pearson_rows(u, v, eps=EPS):
    u_c = u - u.mean(1, keepdim=True)
    v_c = v - v.mean(1, keepdim=True)
    return (u_c * v_c).sum(1) / (u_c.norm(dim=1) * v_c.norm(dim=1) + eps)


def to_instances(logits, num_classes=None):
    """``[N, C, H, W]`` -> ``[N*H*W, C]``; ``[R, C]`` unchanged; with
    ``num_classes=K`` anchor logits ``[N, A*K, H, W]`` -> ``[N*H*W*A, K]``
    (mmdet's own flattening of RetinaNet scores)."""
    if logits.ndim == 2:
        return logits
    c = logits.shape[1] if num_classes is None else num_classes
    return logits.permute(0, 2, 3, 1).reshape(-1, c)


def dist_loss(ls,
              lt,
              tau=1.0,
              beta=1.0,
              gamma=1.0,
              act='softmax',
              valid=None,
              num_classes=None):
    ms, mt = to_instances(ls, num_classes), to_instances(lt, num_classes)
    if act == 'softmax':
        ys, yt = (ms / tau).softmax(1), (mt / tau).softmax(1)
    else:
        ys, yt = (ms / tau).sigmoid(), (mt / tau).sigmoid()
    if valid is not None:
        keep = valid.reshape(-1)
        if num_classes is not None:
            a = ls.shape[1] // num_classes
            keep = keep.repeat_interleave(a)
        ys, yt = ys[keep], yt[keep]
    inter = (1 - pearson_rows(ys, yt)).mean()
    intra = (1 - pearson_rows(ys.t(), yt.t())).mean()
    return tau**2 * (beta * inter + gamma * intra)


def feature_loss(fs, ft, alpha=1.0, beta=1.0):
    d = fs.shape[1]
    channel = (1 - pearson_rows(
        fs.permute(0, 2, 3, 1).reshape(-1, d),
        ft.permute(0, 2, 3, 1).reshape(-1, d))).mean()
    b = fs.shape[0]
    spatial = (
        1 - pearson_rows(fs.sum(1).reshape(b, -1),
                         ft.sum(1).reshape(b, -1))).mean()
    return alpha * channel + beta * spatial


def acclimation_loss(lt,
                     ls,
                     target,
                     ignore_index=255,
                     act='softmax',
                     num_classes=None):
    """Loop over instances, dropping the target column explicitly; with
    sigmoid, label == num_classes is background (nothing dropped)."""
    mt, ms = to_instances(lt, num_classes), to_instances(ls, num_classes)
    tgt = target.reshape(-1)
    if act == 'softmax':
        pt, ps = mt.softmax(1), ms.softmax(1)
    else:
        pt, ps = mt.sigmoid(), ms.sigmoid()
    dists = []
    for i in range(mt.shape[0]):
        t = int(tgt[i])
        if t == ignore_index:
            continue
        keep = [c for c in range(mt.shape[1]) if c != t]
        e_t, e_s = pt[i, keep][None], ps[i, keep][None]
        dists.append(1 - pearson_rows(e_t, e_s)[0])
    return torch.stack(dists).mean()


def acclimation_target_loss(lt,
                            target,
                            ignore_index=255,
                            act='softmax',
                            num_classes=None):
    """Loop over instances: -log p[target] averaged (softmax), or the focal
    loss -w (1 - p_t)^2 log p_t (w = 0.25 for the one-hot target's 1, 0.75
    for its 0s) summed over classes and instances, per foreground instance
    (sigmoid, num_classes = background); also the top-1 accuracy (sigmoid:
    foreground only)."""
    mt = to_instances(lt, num_classes)
    tgt = target.reshape(-1)
    losses, hits = [], []
    for i in range(mt.shape[0]):
        t = int(tgt[i])
        if t == ignore_index:
            continue
        row = mt[i]
        if act == 'softmax':
            losses.append(-torch.log(row.exp()[t] / row.exp().sum()))
        else:
            y = torch.zeros_like(row)
            if t < row.numel():
                y[t] = 1.0
            p = row.sigmoid()
            p_t = torch.where(y > 0, p, 1 - p)
            w = torch.where(y > 0, 0.25, 0.75)
            losses.append(-(w * (1 - p_t)**2 * p_t.log()).sum())
        if act == 'softmax' or t < row.numel():
            hits.append(float(int(row.argmax()) == t))
    total = torch.stack(losses)
    task = total.mean() if act == 'softmax' else \
        total.sum() / max(len(hits), 1)
    return task, sum(hits) / len(hits)


def bounded_pearson_grad(a, b, floor):
    """Gradient of mean over rows of 1 - rho(a_i, b_i) w.r.t. ``a`` by plain
    autograd, each row scaled by min(1, ||a_c|| / (floor * ||b_c||))."""
    a = a.detach().clone().requires_grad_()
    (1 - pearson_rows(a, b)).mean().backward()
    a_c = a.detach() - a.detach().mean(1, keepdim=True)
    b_c = b - b.mean(1, keepdim=True)
    factor = (a_c.norm(dim=1) / (floor * b_c.norm(dim=1))).clamp(max=1.0)
    return a.grad * factor[:, None]
