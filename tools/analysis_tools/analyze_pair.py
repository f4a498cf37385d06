"""Measure what a DIST / DIST+ config's teacher target carries beyond the
label and how its loss terms balance, on a few batches, before a long job
(see ``dist_mm.analysis`` and docs/en/user_guides/analyze_pair.md).

Example::

    python tools/analysis_tools/analyze_pair.py CONFIG --picture pair.png
    python tools/analysis_tools/analyze_pair.py CONFIG --checkpoint END.pth
"""
import argparse
import json

import dist_mm  # noqa: F401  (the compat fixes and registries)
from dist_mm.analysis import analyze_pair
from mmengine.config import DictAction

if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument(
        '--checkpoint',
        help='a distillation checkpoint: measure the end of training '
        '(default: the start, the student as initialised)')
    parser.add_argument('--batches', type=int, default=4)
    parser.add_argument('--split', choices=('val', 'train'), default='val')
    parser.add_argument('--picture', help='PNG of targets and predictions')
    parser.add_argument('--out', help='also write the figures as JSON')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    result = analyze_pair(args.config, args.checkpoint, args.batches,
                          args.split, args.picture, args.cfg_options)
    for group, values in result.items():
        print(group)
        for key, value in values.items():
            print(f'  {key:40s} {value:.4f}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=1)
