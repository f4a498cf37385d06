"""Benchmark dist_mm's DIST / DIST+ losses against the naive formula and
plain autograd: time of forward + backward and the peak memory it adds (see
``dist_mm.benchmarks.losses`` and docs/en/benchmarks.md).

Example::

    python tools/analysis_tools/benchmark_losses.py          # all shapes
    python tools/analysis_tools/benchmark_losses.py --quick  # small shapes
"""
import argparse

from dist_mm.benchmarks import run_loss_benchmark

if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--reps', type=int, default=3)
    parser.add_argument(
        '--quick',
        action='store_true',
        help='only the small shapes (a smoke run)')
    parser.add_argument('--threads', type=int, default=None)
    args = parser.parse_args()
    run_loss_benchmark(args.reps, args.quick, args.threads)
