"""End-to-end DIST / DIST+ demo on CPU with synthetic Cityscapes data.

Runs what a user runs, through the package's configs, ``tools/train.py``,
``tools/test.py`` and the mmengine Runner, for each scene:

1. writes a synthetic dataset in the exact Cityscapes layout
   (``data/synthetic_cityscapes``: leftImg8bit / gtFine labelTrainIds);
   ``streets``: road, sky, buildings, vegetation, cars, persons;
   ``shapes``: four shape classes at random positions on a textured road,
   14 of the 19 classes absent;
2. trains the teacher (``configs/demo/pspnet-r50_teacher_demo.py``, seed 0);
3. for each seed, trains the student baseline
   (``configs/demo/pspnet-r18_student_demo.py``) and the student with DIST
   and with DIST+ from that teacher (``configs/demo/{dist,distplus}_pspnet_
   demo.py``, which inherit the real Cityscapes distillation configs);
4. evaluates every model with mmseg's IoU metric, reads the acclimated
   teacher's own mIoU at the end of each DIST+ run (its validation loop
   evaluates the teacher too), and prints one table per scene: mean +- std
   over the seeds.

Usage::

    python tools/demo.py                                # streets, 1 seed
    python tools/demo.py --scenes streets shapes --seeds 3   # README table
    python tools/demo.py --iters 100                    # a quick smoke run
"""
import argparse
import glob
import json
import os
import os.path as osp
import re
import shutil
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DATA = 'data/synthetic_cityscapes'
WORK = 'work_dirs/demo'
TEACHER = ('teacher', 'pspnet-r50_teacher_demo.py',
           'PSPNet R-50 (w16) teacher')
STUDENTS = [  # name, config, what it is
    ('baseline', 'pspnet-r18_student_demo.py', 'PSPNet R-18 (w16) student'),
    ('dist', 'dist_pspnet_demo.py', 'student + DIST'),
    ('distplus', 'distplus_pspnet_demo.py', 'student + DIST+'),
]
# mmengine's log lines worth showing (not the config dump)
PROGRESS = re.compile(r' - mmengine - \w+ - (Iter|Epoch)\(|Error|Traceback')


def run(cmd: List[str], log: str) -> None:
    """Run a tool, streaming its progress lines, logging all."""
    print('$', ' '.join(cmd), flush=True)
    with open(log, 'w') as f:
        # unbuffered: python block-buffers a piped stdout, which held the
        # progress lines back until the run ended
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True,
                                env=dict(os.environ, PYTHONUNBUFFERED='1'))
        for line in proc.stdout:
            f.write(line)
            if PROGRESS.search(line):
                print('   ', line.split(' - ')[-1].strip()[:150], flush=True)
    if proc.wait():
        raise SystemExit(f'{cmd[1]} failed (exit {proc.returncode}); see '
                         f'{log}')


def logged_scalars(work_dir: str) -> List[Dict]:
    """The records of mmengine's ``vis_data/scalars.json``."""
    records = []
    for path in glob.glob(osp.join(work_dir, '*', 'vis_data',
                                   'scalars.json')):
        with open(path) as f:
            records += [json.loads(line) for line in f]
    return records


def train_and_test(name: str, config: str, work_dir: str, iters: int,
                   seed: int) -> Dict:
    """Train ``config`` into ``work_dir``, test its last checkpoint."""
    shutil.rmtree(osp.join(ROOT, work_dir), ignore_errors=True)
    os.makedirs(osp.join(ROOT, work_dir))
    options = ['--cfg-options', f'randomness.seed={seed}']
    if iters:
        total = iters * (2 if name == 'teacher' else 1)
        options += [f'train_cfg.max_iters={total}',
                    f'train_cfg.val_interval={total}',
                    f'param_scheduler.0.end={total}',
                    f'default_hooks.checkpoint.interval={total}']
    config = osp.join('configs', 'demo', config)
    start = time.time()
    run([sys.executable, 'tools/train.py', config, '--work-dir', work_dir]
        + options, osp.join(ROOT, work_dir, 'train.out'))
    wall = time.time() - start
    with open(osp.join(ROOT, work_dir, 'last_checkpoint')) as f:
        ckpt = f.read().strip()
    metrics_file = osp.join(ROOT, work_dir, 'metrics.json')
    run([sys.executable, 'tools/test.py', config, ckpt, '--work-dir',
         work_dir, '--dump-metrics', metrics_file],
        osp.join(ROOT, work_dir, 'test.out'))
    with open(metrics_file) as f:
        metrics = json.load(f)
    records = logged_scalars(osp.join(ROOT, work_dir))
    times = [r['time'] for r in records if 'loss' in r and 'time' in r]
    teacher = [r['teacher.mIoU'] for r in records if 'teacher.mIoU' in r]
    return dict(mIoU=metrics['mIoU'], aAcc=metrics['aAcc'],
                sec_per_iter=statistics.median(times) if times else None,
                teacher_mIoU=teacher[-1] if teacher else None,
                wall=wall, checkpoint=ckpt)


def mean_std(values: List[float]) -> str:
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return f'{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}'


def summary(scene: str, results: Dict) -> str:
    """Markdown table of one scene: mean +- std over the seeds."""
    teacher = results['teacher'][0]['mIoU']
    base = statistics.mean(r['mIoU'] for r in results['baseline'])
    seeds = len(results['baseline'])
    lines = [
        f'Scene `{scene}` (synthetic Cityscapes val, mmseg IoUMetric, '
        f'{seeds} seed{"s" * (seeds > 1)}; teacher: seed 0)', '',
        '| model | mIoU | vs baseline | gap recovered | teacher at end '
        '| s/iter |', '|---|---|---|---|---|---|',
        f'| {TEACHER[2]} | {teacher:.2f} | | | | '
        f'{results["teacher"][0]["sec_per_iter"]:.3f} |'
    ]
    for name, _, what in STUDENTS:
        runs = results[name]
        miou = [r['mIoU'] for r in runs]
        gain = gap = end = ''
        if name != 'baseline':
            delta = statistics.mean(miou) - base
            gain = f'{delta:+.2f}'
            gap = f'{100 * delta / (teacher - base):.0f} %'
        ends = [r['teacher_mIoU'] for r in runs
                if r['teacher_mIoU'] is not None]
        if ends:
            end = mean_std(ends)
        spi = statistics.median(r['sec_per_iter'] for r in runs)
        lines.append(f'| {what} | {mean_std(miou)} | {gain} | {gap} | {end} '
                     f'| {spi:.3f} |')
    return '\n'.join(lines)


def run_scene(scene: str, args: argparse.Namespace) -> Dict:
    from dist_mm.datasets import make_cityscapes
    print(f'== scene {scene}: synthetic Cityscapes-layout data in {DATA}',
          flush=True)
    shutil.rmtree(osp.join(ROOT, DATA), ignore_errors=True)
    make_cityscapes(osp.join(ROOT, DATA), args.num_train, args.num_val,
                    scene=scene)
    work = osp.join(WORK, scene)
    print(f'== {scene}: teacher', flush=True)
    results = {'teacher': [train_and_test(
        'teacher', TEACHER[1], osp.join(work, 'teacher'), args.iters, 0)]}
    # the demo configs read the teacher from here
    shutil.copy(results['teacher'][0]['checkpoint'],
                osp.join(ROOT, WORK, 'teacher.pth'))
    for seed in range(args.seeds):
        for name, config, _ in STUDENTS:
            print(f'== {scene}: {name}, seed {seed}', flush=True)
            results.setdefault(name, []).append(train_and_test(
                name, config, osp.join(work, f'{name}_seed{seed}'),
                args.iters, seed))
    return results


def main(argv: Optional[List[str]] = None) -> None:
    sys.path.insert(0, ROOT)
    from dist_mm.datasets.synthetic import SCENES
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--scenes', nargs='+', default=['streets'],
                        choices=sorted(SCENES))
    parser.add_argument('--seeds', type=int, default=1,
                        help='student runs per model (seeds 0..N-1)')
    parser.add_argument('--iters', type=int, default=0,
                        help='student iterations (teacher: twice as many); '
                        '0 keeps the configs\' schedule')
    parser.add_argument('--num-train', type=int, default=256)
    parser.add_argument('--num-val', type=int, default=64)
    args = parser.parse_args(argv)
    os.makedirs(osp.join(ROOT, WORK), exist_ok=True)
    everything, tables = {}, []
    for scene in args.scenes:
        everything[scene] = run_scene(scene, args)
        tables.append(summary(scene, everything[scene]))
        print('\n' + tables[-1] + '\n', flush=True)
    with open(osp.join(ROOT, WORK, 'results.json'), 'w') as f:
        json.dump(everything, f, indent=1)
    with open(osp.join(ROOT, WORK, 'results.md'), 'w') as f:
        f.write('\n\n'.join(tables) + '\n')
    print('\n\n'.join(tables))
    print(f'\nwritten: {WORK}/results.json, {WORK}/results.md')


if __name__ == '__main__':
    main()
