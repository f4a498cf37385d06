"""Time and peak-memory measurement for the benchmark tools (CPU, Linux)."""
import gc
import statistics
import time
from typing import Any, Callable, Dict


def _status_kib(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    raise RuntimeError(f'{field} not in /proc/self/status')


def measure(step: Callable[[], Any], reps: int) -> Dict[str, Any]:
    """Run ``step`` ``reps + 1`` times (the first warms up).

    Returns:
        dict: median seconds (``time``), median MiB of resident memory the
        step added at its peak (``peak``: VmHWM reset to the current RSS
        before each run) and the last return value of ``step``
        (``value``).
    """
    times, peaks, value = [], [], None
    for _ in range(reps + 1):
        gc.collect()
        base = _status_kib('VmRSS')
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')  # reset the peak (VmHWM) to the current RSS
        start = time.perf_counter()
        value = step()
        times.append(time.perf_counter() - start)
        peaks.append((_status_kib('VmHWM') - base) / 1024)
    return dict(time=statistics.median(times[1:]),
                peak=statistics.median(peaks[1:]), value=value)
