"""Speed and memory of dist_mm against its references, in one run: the
losses against the naive formula and plain autograd, a distillation step
against the student step + teacher inference and MMRazor's algorithm."""
from .losses import benchmark_case, run_loss_benchmark
from .measure import exact_rss_env, measure, measure_peaks, time_interleaved

__all__ = [
    'benchmark_case', 'run_loss_benchmark', 'measure', 'measure_peaks',
    'time_interleaved', 'exact_rss_env'
]
