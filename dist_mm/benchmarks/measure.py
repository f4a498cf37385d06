"""Time and peak-memory measurement for the benchmark tools.

On CPU (Linux) the peak is the resident memory a step adds; on CUDA it is
the device memory PyTorch's allocator hands out at the step's peak above
what was allocated before it, and timings wait for the device.
"""
import gc
import os
import statistics
import time
from typing import Any, Callable, Dict

import torch


def _status_kib(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    raise RuntimeError(f'{field} not in /proc/self/status')


def _run_once(step: Callable[[], Any], device: str = 'cpu'):
    """Seconds, MiB of memory added at the peak, return value."""
    gc.collect()
    cuda = device.startswith('cuda')
    if cuda:
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
    else:
        base = _status_kib('VmRSS') * 1024
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')  # reset the peak (VmHWM) to the current RSS
    start = time.perf_counter()
    value = step()
    if cuda:
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated(device) if cuda else \
        _status_kib('VmHWM') * 1024
    return seconds, (peak - base) / 2**20, value


def measure(step: Callable[[], Any],
            reps: int,
            device: str = 'cpu') -> Dict[str, Any]:
    """Run ``step`` ``reps + 1`` times (the first warms up).

    Returns:
        dict: median seconds (``time``), median MiB of memory the step
        added at its peak (``peak``: resident memory on CPU, VmHWM reset to
        the current RSS before each run; allocated memory on CUDA) and the
        last return value of ``step`` (``value``).
    """
    runs = [_run_once(step, device) for _ in range(reps + 1)][1:]
    return dict(
        time=statistics.median(r[0] for r in runs),
        peak=statistics.median(r[1] for r in runs),
        value=runs[-1][2])


def exact_rss_env() -> Dict[str, str]:
    """The environment of a process whose resident memory follows its live
    allocations (glibc).

    By default glibc keeps freed blocks for reuse, so the resident-memory
    peak a step adds depends on what earlier steps left behind. Serving
    every block above 64 KiB by ``mmap`` (returned on free) and trimming
    the heap eagerly makes it the step's own peak. It must hold from the
    process's first allocation (blocks freed into the heap before would be
    reused without showing), so it is set for a new process; it adds
    page-fault time to every large allocation: take no timings there.
    """
    return dict(
        os.environ,
        GLIBC_TUNABLES=':'.join([
            os.environ.get('GLIBC_TUNABLES',
                           ''), 'glibc.malloc.mmap_threshold=65536',
            'glibc.malloc.trim_threshold=65536'
        ]).lstrip(':'))


def time_interleaved(steps: Dict[str, Callable[[], Any]],
                     reps: int,
                     device: str = 'cpu') -> Dict[str, float]:
    """Median seconds of each step, timed round-robin.

    Every round runs each step once (``reps`` rounds after one warm-up
    round), so that drifts of the machine's speed hit all steps alike.
    """
    times = {name: [] for name in steps}
    for _ in range(reps + 1):
        for name, step in steps.items():
            times[name].append(_run_once(step, device)[0])
    return {name: statistics.median(t[1:]) for name, t in times.items()}


def measure_peaks(steps: Dict[str, Callable[[], Any]],
                  device: str = 'cpu') -> Dict[str, float]:
    """Median MiB each step adds at its peak (two runs after a warm-up).

    On CPU, call it in a process started with :func:`exact_rss_env`.
    """
    return {
        name: statistics.median([_run_once(step, device)[1]
                                 for _ in range(3)][1:])
        for name, step in steps.items()
    }
