"""Time and peak-memory measurement for the benchmark tools (CPU, Linux)."""
import ctypes
import ctypes.util
import gc
import statistics
import time
from typing import Any, Callable, Dict

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters


def _status_kib(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    raise RuntimeError(f'{field} not in /proc/self/status')


def _run_once(step: Callable[[], Any]):
    """Seconds, MiB of resident memory added at the peak, return value."""
    gc.collect()
    base = _status_kib('VmRSS')
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')  # reset the peak (VmHWM) to the current RSS
    start = time.perf_counter()
    value = step()
    seconds = time.perf_counter() - start
    return seconds, (_status_kib('VmHWM') - base) / 1024, value


def measure(step: Callable[[], Any], reps: int) -> Dict[str, Any]:
    """Run ``step`` ``reps + 1`` times (the first warms up).

    Returns:
        dict: median seconds (``time``), median MiB of resident memory the
        step added at its peak (``peak``: VmHWM reset to the current RSS
        before each run) and the last return value of ``step``
        (``value``).
    """
    runs = [_run_once(step) for _ in range(reps + 1)][1:]
    return dict(time=statistics.median(r[0] for r in runs),
                peak=statistics.median(r[1] for r in runs),
                value=runs[-1][2])


def exact_rss_peaks() -> None:
    """Make resident memory follow live allocations (glibc only).

    By default glibc keeps freed blocks for reuse, so the resident-memory
    peak a step adds depends on what earlier steps left behind. Serving
    every block above 64 KiB by ``mmap`` (returned on free) and trimming
    the heap eagerly makes it the step's own peak. It also adds page-fault
    time to every large allocation: take timings before calling this.
    """
    libc = ctypes.CDLL(ctypes.util.find_library('c'))
    libc.mallopt(M_MMAP_THRESHOLD, 64 * 1024)
    libc.mallopt(M_TRIM_THRESHOLD, 64 * 1024)


def measure_interleaved(steps: Dict[str, Callable[[], Any]],
                        reps: int) -> Dict[str, Dict[str, float]]:
    """Time several steps round-robin, then measure their memory peaks.

    Timing rounds run every step once per round (``reps`` rounds after one
    warm-up round), so that drifts of the machine's speed hit all steps
    alike; the peaks are measured afterwards under :func:`exact_rss_peaks`.

    Returns:
        dict: ``{name: dict(time=median seconds, peak=median MiB)}``.
    """
    times = {name: [] for name in steps}
    for _ in range(reps + 1):
        for name, step in steps.items():
            times[name].append(_run_once(step)[0])
    exact_rss_peaks()
    results = {}
    for name, step in steps.items():
        peaks = [_run_once(step)[1] for _ in range(3)][1:]
        results[name] = dict(time=statistics.median(times[name][1:]),
                             peak=statistics.median(peaks))
    return results
