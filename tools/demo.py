"""End-to-end DIST / DIST+ demo on CPU with synthetic COCO / Cityscapes data.

For each pair (PSPNet, RetinaNet, Faster R-CNN) it trains the teacher, then
for each seed the student alone, with DIST and with DIST+, through the
package's configs, ``tools/train.py`` and the mmengine Runner, and writes
``work_dirs/demo/results.{json,md,png}``. See docs/en/demo.md.

Usage::

    python tools/demo.py                          # all three pairs, 1 seed
    python tools/demo.py --seeds 3 --scenes streets shapes  # docs' tables
    python tools/demo.py --task seg               # PSPNet only
    python tools/demo.py --task stronger          # Mask2Former, DINO teachers
    python tools/demo.py --ablation               # + Table 12 rows
    python tools/demo.py --curve --task seg --seeds 3  # teacher-strength curve
    python tools/demo.py --curve --task det --seeds 3 --resume  # go on
    python tools/demo.py --iters 50               # a smoke run
"""
import argparse
import os.path as osp

from dist_mm.datasets.synthetic import SCENES
from dist_mm.demo import NUM_VAL, PAIRS, TASKS, DemoOptions, run_demo


def parse_args() -> DemoOptions:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--task',
        choices=TASKS,
        default='all',
        help='all: every pair but the opt-in stronger-teacher ones, which '
        'stronger runs')
    parser.add_argument(
        '--pairs',
        nargs='+',
        choices=list(PAIRS),
        help='run only these pairs (overrides --task)')
    parser.add_argument(
        '--scenes',
        nargs='+',
        default=['streets'],
        choices=sorted(SCENES),
        help='segmentation datasets')
    parser.add_argument(
        '--seeds', type=int, default=1, help='student runs per model')
    parser.add_argument(
        '--jobs',
        type=int,
        default=2,
        help='runs side by side, each with cores / N threads')
    parser.add_argument(
        '--ablation',
        action='store_true',
        help="also the paper's Table 12 rows")
    parser.add_argument(
        '--curve',
        action='store_true',
        help='instead of the tables, the teacher-strength curve (a ladder '
        'of CNN teachers and the stronger teacher, each with DIST, DIST+ '
        'and the reference methods) of the pairs that have one (pspnet, '
        'retinanet)')
    parser.add_argument(
        '--resume',
        action='store_true',
        help='with --curve: reuse the dataset and the runs (teachers '
        'included) that an earlier curve with the same options finished')
    parser.add_argument(
        '--iters',
        type=int,
        default=0,
        help='student iterations (teacher: twice as many); '
        "0 keeps the configs' schedule")
    parser.add_argument('--num-train', type=int, default=256)
    parser.add_argument(
        '--num-val',
        type=int,
        default=0,
        help='val images per dataset; 0: %s' %
        ', '.join(f'{n} ({task})' for task, n in NUM_VAL.items()))
    parser.add_argument(
        '--cwd',
        default=osp.dirname(osp.dirname(osp.abspath(__file__))),
        help='where data/ and work_dirs/ are written')
    args = parser.parse_args()
    try:
        return DemoOptions(**vars(args))
    except ValueError as err:
        parser.error(str(err))


if __name__ == '__main__':
    run_demo(parse_args())
