"""End-to-end DIST / DIST+ demo on CPU with synthetic Cityscapes data.

Runs what a user runs, through the package's configs, ``tools/train.py``,
``tools/test.py`` and the mmengine Runner:

1. writes a synthetic dataset in the exact Cityscapes layout
   (``data/synthetic_cityscapes``: leftImg8bit / gtFine labelTrainIds);
2. trains the teacher (``configs/demo/pspnet-r50_teacher_demo.py``);
3. trains the student baseline (``configs/demo/pspnet-r18_student_demo.py``);
4. trains the student with DIST and with DIST+ from that teacher
   (``configs/demo/{dist,distplus}_pspnet_demo.py``, which inherit the real
   Cityscapes distillation configs);
5. evaluates every model with mmseg's IoU metric and prints one table.

Usage::

    python tools/demo.py                 # ~15 min on 2 CPU cores
    python tools/demo.py --iters 100     # a quick smoke run
"""
import argparse
import glob
import json
import os
import os.path as osp
import shutil
import statistics
import subprocess
import sys
import time
from typing import Dict, List

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO = osp.join(ROOT, 'configs', 'demo')
DATA = 'data/synthetic_cityscapes'
WORK = 'work_dirs/demo'
RUNS = [  # name, config, what it is
    ('teacher', 'pspnet-r50_teacher_demo.py', 'PSPNet R-50 (w16) teacher'),
    ('baseline', 'pspnet-r18_student_demo.py', 'PSPNet R-18 (w16) student'),
    ('dist', 'dist_pspnet_demo.py', 'student + DIST'),
    ('distplus', 'distplus_pspnet_demo.py', 'student + DIST+'),
]


def run(cmd: List[str], log: str) -> None:
    """Run a tool, streaming its training progress lines, logging all."""
    print('$', ' '.join(cmd), flush=True)
    with open(log, 'w') as f:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            f.write(line)
            if 'Iter(train)' in line or 'mIoU' in line or 'Error' in line:
                print('   ', line.split(' - ')[-1].strip()[:150], flush=True)
    if proc.wait():
        raise SystemExit(f'{cmd[1]} failed (exit {proc.returncode}); see '
                         f'{log}')


def seconds_per_iter(work_dir: str) -> float:
    """Median 'time' of the logged training iterations (mmengine's
    vis_data/scalars.json)."""
    times = []
    for path in glob.glob(osp.join(work_dir, '*', 'vis_data',
                                   'scalars.json')):
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                if 'loss' in record and 'time' in record:
                    times.append(record['time'])
    return statistics.median(times) if times else float('nan')


def train_and_test(name: str, config: str, iters: int) -> Dict:
    work_dir = osp.join(WORK, name)
    shutil.rmtree(osp.join(ROOT, work_dir), ignore_errors=True)
    os.makedirs(osp.join(ROOT, work_dir))
    options = []
    if iters:
        total = iters * (2 if name == 'teacher' else 1)
        options = ['--cfg-options', f'train_cfg.max_iters={total}',
                   f'train_cfg.val_interval={total}',
                   f'param_scheduler.0.end={total}',
                   f'default_hooks.checkpoint.interval={total}']
    start = time.time()
    run([sys.executable, 'tools/train.py', config, '--work-dir', work_dir]
        + options, osp.join(ROOT, work_dir, 'train.out'))
    wall = time.time() - start
    with open(osp.join(ROOT, work_dir, 'last_checkpoint')) as f:
        ckpt = f.read().strip()
    if name == 'teacher':
        shutil.copy(ckpt, osp.join(ROOT, WORK, 'teacher.pth'))
    metrics_file = osp.join(ROOT, work_dir, 'metrics.json')
    run([sys.executable, 'tools/test.py', config, ckpt, '--work-dir',
         work_dir, '--dump-metrics', metrics_file],
        osp.join(ROOT, work_dir, 'test.out'))
    with open(metrics_file) as f:
        metrics = json.load(f)
    return dict(mIoU=metrics['mIoU'], aAcc=metrics['aAcc'],
                sec_per_iter=seconds_per_iter(osp.join(ROOT, work_dir)),
                wall=wall)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iters', type=int, default=0,
                        help='student iterations (teacher: twice as many); '
                        '0 keeps the configs\' schedule')
    parser.add_argument('--num-train', type=int, default=256)
    parser.add_argument('--num-val', type=int, default=64)
    args = parser.parse_args()
    sys.path.insert(0, ROOT)
    from dist_mm.datasets import make_cityscapes

    print(f'[1/5] synthetic Cityscapes-layout data in {DATA}', flush=True)
    shutil.rmtree(osp.join(ROOT, DATA), ignore_errors=True)
    make_cityscapes(osp.join(ROOT, DATA), args.num_train, args.num_val)
    results = {}
    for step, (name, config, _) in enumerate(RUNS, start=2):
        print(f'[{min(step, 5)}/5] {name}', flush=True)
        results[name] = train_and_test(name, osp.join('configs', 'demo',
                                                      config), args.iters)
    base = results['baseline']['mIoU']
    print('\nDemo results (synthetic Cityscapes val, '
          f'{args.num_val} images, mmseg IoUMetric)')
    print('| model | mIoU | vs baseline | aAcc | s/iter (train) |')
    print('|---|---|---|---|---|')
    for name, _, what in RUNS:
        r = results[name]
        delta = '' if name in ('teacher', 'baseline') else \
            f'{r["mIoU"] - base:+.2f}'
        print(f'| {what} | {r["mIoU"]:.2f} | {delta} | {r["aAcc"]:.2f} | '
              f'{r["sec_per_iter"]:.3f} |')
    with open(osp.join(ROOT, WORK, 'results.json'), 'w') as f:
        json.dump(results, f, indent=1)


if __name__ == '__main__':
    main()
