"""Small helpers shared by the test modules."""
import re
import socket

import torch


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


LOSS = re.compile(r'(loss\w*|distill\.\w+): (\S+)')


def logged_losses(log: str):
    """All loss values of the ``Iter(train)`` lines of a log."""
    lines = [line for line in log.splitlines() if 'Iter(train)' in line]
    return [float(v) for line in lines for _, v in LOSS.findall(line)]


def assert_same_tree(a, b, where=''):
    """Recursively equal: tensors exactly, other leaves by ==."""
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), f'{where} differs'
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same_tree(a[key], b[key], f'{where}.{key}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_tree(x, y, f'{where}[{i}]')
    else:
        assert a == b, f'{where}: {a!r} != {b!r}'


def calls_of(module, names):
    """Names of the submodules of ``module`` that ran, in order; the first
    part of a name may be an attribute (``student.backbone`` of a
    distillation algorithm)."""
    ran = []
    for name in names:
        head, _, rest = name.partition('.')
        sub = getattr(module, head)
        sub = sub.get_submodule(rest) if rest else sub
        sub.register_forward_hook(lambda m, i, o, name=name: ran.append(name))
    return ran
