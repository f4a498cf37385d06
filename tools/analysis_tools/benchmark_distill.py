"""What the teacher costs: one distillation training step against its limit
(student step + teacher inference), MMRazor's own algorithm and the floor;
see ``dist_mm.benchmarks.distill`` and docs/en/benchmarks.md.

Example::

    python tools/analysis_tools/benchmark_distill.py --reps 5
    python tools/analysis_tools/benchmark_distill.py --device cuda \\
        --variants mmrazor dist dist-teacher-bf16 dist-teacher-fp16
"""
import argparse

from dist_mm.benchmarks.distill import (BENCHMARK_PAIRS, VARIANT_NAMES,
                                        VARIANTS, run_distill_benchmark)

if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--reps', type=int, default=3)
    parser.add_argument(
        '--pairs',
        nargs='+',
        default=['det', 'seg'],
        choices=sorted(BENCHMARK_PAIRS))
    parser.add_argument(
        '--variants',
        nargs='+',
        default=list(VARIANT_NAMES),
        choices=list(VARIANT_NAMES) + list(VARIANTS),
        help='distillation variants to time besides the student alone (a) '
        'and the teacher inference (b), by name or by their letter in the '
        'tables (c, d, d1-d4, d+); with dist (d), also its teacher pass '
        'alone (f, fg)')
    parser.add_argument(
        '--device',
        default='cpu',
        help="'cpu' or a CUDA device such as 'cuda'")
    parser.add_argument(
        '--size',
        nargs=2,
        type=int,
        metavar=('H', 'W'),
        help="image size (default: each pair's own)")
    parser.add_argument(
        '--batch',
        type=int,
        default=2,
        help='images per training batch (default 2)')
    args = parser.parse_args()
    try:
        run_distill_benchmark(args.pairs, args.variants, args.reps,
                              args.device, args.size, args.batch)
    except RuntimeError as err:
        parser.error(str(err))
