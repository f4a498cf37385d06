"""Small helpers shared by the test modules."""
import re
import socket


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


LOSS = re.compile(r'(loss\w*|distill\.\w+): (\S+)')


def logged_losses(log: str):
    """All loss values of the ``Iter(train)`` lines of a log."""
    lines = [line for line in log.splitlines() if 'Iter(train)' in line]
    return [float(v) for line in lines for _, v in LOSS.findall(line)]
