"""End-to-end DIST / DIST+ demo on CPU with synthetic COCO / Cityscapes data.

Runs what a user runs, through the package's configs, ``tools/train.py``,
``tools/test.py`` and the mmengine Runner, for each pair (``--task``):

* ``seg``: PSPNet R-50 -> R-18 on synthetic Cityscapes-layout data
  (``data/synthetic_cityscapes``: leftImg8bit / gtFine labelTrainIds), one
  dataset per ``--scenes`` entry (``streets``: road, sky, buildings,
  vegetation, cars, persons; ``shapes``: four shape classes at random
  positions on a textured road, 14 of the 19 classes absent); mmseg's IoU
  metric;
* ``det``: RetinaNet and Faster R-CNN R-50 -> R-18 on synthetic COCO-layout
  data (``data/synthetic_coco``: squares, discs and triangles);
  pycocotools' COCO evaluation.

For each pair it trains the teacher (seed 0; ``configs/demo/<pair>-r50_
teacher_demo.py``), then for each seed the student baseline
(``<pair>-r18_student_demo.py``) and the student with DIST and with DIST+
from that teacher (``{dist,distplus}_<pair>_demo.py``, which inherit the
real COCO / Cityscapes distillation configs), and with ``--ablation`` the
paper's Table 12 rows (DIST+ with some of its terms switched off). Every
model is tested on the val split; the acclimated teacher's own metric at
the end of each DIST+ run is read from its validation loop. It writes
``work_dirs/demo/results.{json,md}`` (mean +- std over the seeds) and
``work_dirs/demo/results.png`` (bars with error bars, validation curves).

Usage::

    python tools/demo.py                          # PSPNet, streets, 1 seed
    python tools/demo.py --seeds 3 --scenes streets shapes  # README tables
    python tools/demo.py --task all               # + RetinaNet, Faster R-CNN
    python tools/demo.py --ablation               # + Table 12 rows
    python tools/demo.py --jobs 1                 # one student run at a time
    python tools/demo.py --iters 50                       # a smoke run
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
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, NamedTuple, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(ROOT, 'configs', 'demo')
WORK = 'work_dirs/demo'
# mmengine's log lines worth showing (not the config dump)
PROGRESS = re.compile(r' - mmengine - \w+ - (Iter|Epoch)\(|Error|Traceback')
_CONFIG_LOCK = threading.Lock()


class Pair(NamedTuple):
    """A teacher / student pair of the demo."""
    task: str  # 'seg' or 'det'
    config: str  # configs/demo/{<config>-r50_teacher,<config>-r18_student}
    title: str  # of the models, e.g. 'PSPNet'
    metric: str  # the tables' metric, a key of tools/test.py's metrics
    teacher_ckpt: str  # where the distillation demo configs read it
    student: str = 'R-18 (w16)'  # the student's backbone, for the tables

    def configs(self) -> Dict[str, str]:
        """Demo config of each run, by run name."""
        return dict(
            teacher=f'{self.config}-r50_teacher_demo.py',
            baseline=f'{self.config}-r18_student_demo.py',
            dist=f'dist_{self.config}_demo.py',
            distplus=f'distplus_{self.config}_demo.py')


PAIRS = {
    'pspnet':
    Pair('seg', 'pspnet', 'PSPNet', 'mIoU', f'{WORK}/teacher.pth'),
    'retinanet':
    Pair('det', 'retinanet', 'RetinaNet', 'coco/bbox_mAP',
         f'{WORK}/retinanet_teacher.pth'),
    'faster-rcnn':
    Pair('det', 'faster-rcnn', 'Faster R-CNN', 'coco/bbox_mAP',
         f'{WORK}/faster_rcnn_teacher.pth', 'R-18 (w8)'),
}
SEG_DATA, DET_DATA = 'data/synthetic_cityscapes', 'data/synthetic_coco'
WHAT = dict(
    teacher='R-50 (w16) teacher',
    baseline='{student} student',
    dist='student + DIST',
    distplus='student + DIST+')
# the paper's Table 12 rows: which DIST+ terms stay on
ABLATION = {
    'dist': ('DIST', ()),
    'cr': ('DIST + L_cr', ('channel', )),
    'sr': ('DIST + L_sr', ('spatial', )),
    'cr_sr': ('DIST + L_cr + L_sr', ('channel', 'spatial')),
    'ta': ('DIST + L_ta', ('acclimation', )),
    'distplus': ('DIST+ (all)', ('channel', 'spatial', 'acclimation')),
}

# the shortest student runs start last (DIST+ and its ablation rows first):
# with --jobs, the run left alone at the end is a short one
STARTED_LAST = {'dist': 1, 'baseline': 2}


def run(cmd: List[str],
        log: str,
        tag: str = '',
        threads: Optional[int] = None) -> None:
    """Run a tool, streaming its progress lines (after ``tag``), logging
    all; ``threads``: its torch / OpenMP threads (default: all cores)."""
    print(f'{tag}$', ' '.join(cmd), flush=True)
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    with open(log, 'w') as f:
        # unbuffered: python block-buffers a piped stdout, which held the
        # progress lines back until the run ended
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env)
        for line in proc.stdout:
            f.write(line)
            if PROGRESS.search(line):
                print(
                    f'   {tag}',
                    line.split(' - ')[-1].strip()[:150],
                    flush=True)
    if proc.wait():
        raise SystemExit(f'{cmd[1]} failed (exit {proc.returncode}); see '
                         f'{log}')


def logged_scalars(work_dir: str) -> List[Dict]:
    """The records of mmengine's ``vis_data/scalars.json``."""
    records = []
    for path in glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')):
        with open(path) as f:
            records += [json.loads(line) for line in f]
    return records


def ablation_options(config: str, keep: tuple) -> List[str]:
    """``--cfg-options`` switching off the DIST+ terms not in ``keep``."""
    from mmengine.config import Config
    losses = Config.fromfile(osp.join(CONFIGS, config)).model.distiller \
        .distill_losses
    options = []
    for name, loss in losses.items():
        prefix = f'model.distiller.distill_losses.{name}'
        if loss.type == 'DISTFeatureLoss':
            options += [
                f'{prefix}.{term}_weight=0' for term in ('channel', 'spatial')
                if term not in keep
            ]
        elif loss.type == 'TeacherAcclimationLoss' and \
                'acclimation' not in keep:
            # no gradient, and the teacher has no weight decay: it stays
            options.append(f'{prefix}.loss_weight=0')
    return options


def train_and_test(pair: Pair,
                   name: str,
                   config: str,
                   work_dir: str,
                   iters: int,
                   seed: int,
                   options: List[str] = (),
                   threads: Optional[int] = None) -> Dict:
    """Train ``config`` into ``work_dir``, test its last checkpoint;
    ``threads``: per process, for runs side by side (``--jobs``)."""
    from mmengine.config import Config
    shutil.rmtree(work_dir, ignore_errors=True)
    os.makedirs(work_dir)
    path = osp.join(CONFIGS, config)
    with _CONFIG_LOCK:  # mmengine's Config imports modules while parsing
        cfg = Config.fromfile(path)
    total = cfg.train_cfg.max_iters
    schedule = []
    if iters:
        total = iters * (2 if name == 'teacher' else 1)
        # the last scheduler is the one that spans the run
        last = len(cfg.param_scheduler) - 1
        schedule = [
            f'train_cfg.max_iters={total}',
            f'param_scheduler.{last}.end={total}',
            f'default_hooks.checkpoint.interval={total}'
        ]
    # five points of the validation curve
    schedule.append(f'train_cfg.val_interval={max(total // 5, 1)}')
    tools = osp.join(ROOT, 'tools')
    tag = f'[{name} seed {seed}] ' if threads else ''
    start = time.time()
    run([
        sys.executable,
        osp.join(tools, 'train.py'), path, '--work-dir', work_dir,
        '--cfg-options', f'randomness.seed={seed}', *schedule, *options
    ], osp.join(work_dir, 'train.out'), tag, threads)
    wall = time.time() - start
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        ckpt = f.read().strip()
    metrics_file = osp.join(work_dir, 'metrics.json')
    run([
        sys.executable,
        osp.join(tools, 'test.py'), path, ckpt, '--work-dir', work_dir,
        '--dump-metrics', metrics_file
    ], osp.join(work_dir, 'test.out'), tag, threads)
    with open(metrics_file) as f:
        metrics = json.load(f)
    records = logged_scalars(work_dir)
    times = [r['time'] for r in records if 'loss' in r and 'time' in r]
    curve = [(r['step'], _percent(pair, r[pair.metric])) for r in records
             if pair.metric in r]
    teacher = [
        r[f'teacher.{pair.metric}'] for r in records
        if f'teacher.{pair.metric}' in r
    ]
    if pair.metric not in metrics:
        # mmdet's CocoMetric returns nothing when nothing was detected
        print(
            f'    no {pair.metric} in {metrics_file} (nothing detected): '
            '0',
            flush=True)
    return dict(
        metric=_percent(pair, metrics.get(pair.metric, 0.0)),
        metrics=metrics,
        curve=curve,
        teacher_at_end=_percent(pair, teacher[-1]) if teacher else None,
        sec_per_iter=statistics.median(times) if times else None,
        wall=wall,
        checkpoint=ckpt)


def _percent(pair: Pair, value: float) -> float:
    """mmseg reports percentages, pycocotools fractions: tables use %."""
    return round(value * (100 if pair.task == 'det' else 1), 2)


def mean_std(values: List[float]) -> str:
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return f'{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}'


def summary(pair: Pair, data: str, results: Dict) -> str:
    """Markdown table of one experiment: mean +- std over the seeds."""
    teacher = results['teacher'][0]['metric']
    base = [r['metric'] for r in results['baseline']]
    seeds = len(base)
    metric = pair.metric.split('/')[-1]
    lines = [
        f'{pair.title}, `{data}` (synthetic val, {metric}, {seeds} '
        f'seed{"s" * (seeds > 1)}; teacher: seed 0)', '',
        f'| model | {metric} | vs baseline | gap recovered | teacher at end '
        '| s/iter |', '|---|---|---|---|---|---|'
    ]
    for name, runs in results.items():
        values = [r['metric'] for r in runs]
        gain = gap = end = ''
        if name not in ('teacher', 'baseline'):
            delta = statistics.mean(values) - statistics.mean(base)
            gain = f'{delta:+.2f}'
            headroom = teacher - statistics.mean(base)
            gap = f'{100 * delta / headroom:.0f} %' if headroom > 0 \
                else 'n/a'  # the teacher is not better
        ends = [
            r['teacher_at_end'] for r in runs
            if r['teacher_at_end'] is not None
        ]
        if ends:
            end = mean_std(ends)
        spi = statistics.median(r['sec_per_iter'] for r in runs)
        what = WHAT.get(name) or ABLATION[name][0]
        if name in ('teacher', 'baseline'):
            what = f'{pair.title} {what.format(student=pair.student)}'
        lines.append(f'| {what} | {mean_std(values)} | {gain} | {gap} '
                     f'| {end} | {spi:.3f} |')
    return '\n'.join(lines)


def plot(everything: Dict, path: str) -> None:
    """Bars (mean, std error bars) and validation curves, one row per
    experiment."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    rows = list(everything.items())
    fig, axes = plt.subplots(
        len(rows), 2, figsize=(11, 3.2 * len(rows)), squeeze=False)
    for (key, results), (bars, curves) in zip(rows, axes):
        pair = PAIRS[key.split('/')[0]]
        names = list(results)
        values = [[r['metric'] for r in results[n]] for n in names]
        bars.bar(
            range(len(names)), [statistics.mean(v) for v in values],
            yerr=[statistics.stdev(v) if len(v) > 1 else 0 for v in values],
            capsize=4,
            color=['#777777', '#bbbbbb'] + ['#4c72b0'] * len(names))
        bars.set_xticks(range(len(names)), names, rotation=20, fontsize=8)
        low = min(min(v) for v in values)
        bars.set_ylim(max(0, low - 10), None)
        bars.set_title(f'{key}: {pair.metric} (mean ± std)', fontsize=9)
        for name in names:
            for i, run_ in enumerate(results[name]):
                if run_['curve']:
                    steps, ys = zip(*run_['curve'])
                    curves.plot(
                        steps,
                        ys,
                        color=f'C{names.index(name)}',
                        label=name if i == 0 else None,
                        alpha=0.8)
        curves.set_xlabel('iteration', fontsize=8)
        curves.set_title(f'{key}: validation {pair.metric}', fontsize=9)
        curves.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def make_data(pair: Pair, scene: str, args: argparse.Namespace) -> None:
    """Write the pair's dataset; the detection demo configs name the image
    and object sizes."""
    from dist_mm.datasets import make_cityscapes, make_coco
    from mmengine.config import Config
    root = SEG_DATA if pair.task == 'seg' else DET_DATA
    shutil.rmtree(root, ignore_errors=True)
    if pair.task == 'seg':
        make_cityscapes(root, args.num_train, args.num_val, scene=scene)
    else:
        cfg = Config.fromfile(osp.join(CONFIGS, pair.configs()['teacher']))
        make_coco(
            root,
            args.num_train,
            args.num_val,
            size=cfg.demo_image_size,
            object_size=cfg.demo_object_size)


def run_experiment(key: str, scene: str, args: argparse.Namespace) -> Dict:
    """Teacher, then every student run of every seed, of one pair."""
    pair = PAIRS[key]
    print(f'== {key}, data `{scene}`', flush=True)
    work = osp.join(WORK, key, scene)
    configs = pair.configs()
    results = {
        'teacher': [
            train_and_test(pair, 'teacher', configs['teacher'],
                           osp.join(work, 'teacher'), args.iters, 0)
        ]
    }
    shutil.copy(results['teacher'][0]['checkpoint'], pair.teacher_ckpt)
    runs = [(name, configs[name], [])
            for name in ('baseline', 'dist', 'distplus')]
    if args.ablation:
        runs += [(name, configs['distplus'],
                  ablation_options(configs['distplus'], keep))
                 for name, (_, keep) in ABLATION.items()
                 if name not in ('dist', 'distplus')]
    results.update({name: [] for name, _, _ in runs})  # the tables' order
    jobs = sorted([(name, config, options, seed) for seed in range(args.seeds)
                   for name, config, options in runs],
                  key=lambda job: STARTED_LAST.get(job[0], 0))
    # side by side, each process gets its share of the cores
    threads = max(1, (os.cpu_count() or 1) // args.jobs) \
        if args.jobs > 1 else None

    def student(job):
        name, config, options, seed = job
        print(f'== {key}, {scene}: {name}, seed {seed}', flush=True)
        return train_and_test(pair, name, config,
                              osp.join(work, f'{name}_seed{seed}'), args.iters,
                              seed, options, threads)

    with ThreadPoolExecutor(args.jobs) as pool:
        for (name, *_), result in zip(jobs, pool.map(student, jobs)):
            results[name].append(result)
    return results


def main(argv: Optional[List[str]] = None) -> None:
    sys.path.insert(0, ROOT)
    from dist_mm.datasets.synthetic import SCENES
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    # seg by default: the detection pairs run, but their schedule is not
    # tuned yet to fit the main command's 30 minutes (README, Demo)
    parser.add_argument('--task', choices=['seg', 'det', 'all'], default='seg')
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
        '--seeds',
        type=int,
        default=1,
        help='student runs per model (seeds 0..N-1)')
    parser.add_argument(
        '--jobs',
        type=int,
        default=2,
        help='student runs side by side, each with cores / N threads '
        '(the teacher runs alone first; s/iter then includes the sharing; '
        "README's figures: 2 on 2 cores)")
    parser.add_argument(
        '--ablation',
        action='store_true',
        help="also the paper's Table 12 rows")
    parser.add_argument(
        '--iters',
        type=int,
        default=0,
        help='student iterations (teacher: twice as many); '
        '0 keeps the configs\' schedule')
    parser.add_argument('--num-train', type=int, default=256)
    parser.add_argument('--num-val', type=int, default=64)
    parser.add_argument(
        '--cwd', default=ROOT, help='where data/ and work_dirs/ are written')
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f'--jobs must be 1 or more, got {args.jobs}')
    os.chdir(args.cwd)
    os.makedirs(WORK, exist_ok=True)
    experiments = [
        (key, scene) for key, pair in PAIRS.items()
        if (key in args.pairs if args.pairs else args.task in ('all',
                                                               pair.task))
        for scene in (args.scenes if pair.task == 'seg' else ['coco'])
    ]
    everything, tables, on_disk = {}, [], None
    for key, scene in experiments:
        data = (PAIRS[key].task, scene)
        if data != on_disk:  # the detection pairs share theirs
            make_data(PAIRS[key], scene, args)
            on_disk = data
        results = run_experiment(key, scene, args)
        everything[f'{key}/{scene}'] = results
        tables.append(summary(PAIRS[key], scene, results))
        print('\n' + tables[-1] + '\n', flush=True)
        # after every experiment, so that a long run stopped later keeps
        # the experiments it finished
        with open(osp.join(WORK, 'results.json'), 'w') as f:
            json.dump(everything, f, indent=1)
        with open(osp.join(WORK, 'results.md'), 'w') as f:
            f.write('\n\n'.join(tables) + '\n')
        plot(everything, osp.join(WORK, 'results.png'))
    print('\n\n'.join(tables))
    print(f'\nwritten: {WORK}/results.json, results.md, results.png')


if __name__ == '__main__':
    main()
