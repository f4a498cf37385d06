"""Smoke run: a few DIST+ distillation steps with tiny real mmdet models,
a check of the whole installed stack in under a minute::

    python tools/misc/smoke_distill.py [--iters 5]
"""
import argparse

from dist_mm.testing.smoke import smoke_run

if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iters', type=int, default=5)
    smoke_run(parser.parse_args().iters)
