"""End-to-end DIST / DIST+ demo on CPU with synthetic COCO / Cityscapes data.

Runs what a user runs, through the package's configs, ``tools/train.py``
and the mmengine Runner, for each pair (``--task``):

* ``seg``: PSPNet R-50 -> R-18 on synthetic Cityscapes-layout data
  (``data/synthetic_cityscapes``: leftImg8bit / gtFine labelTrainIds), one
  dataset per ``--scenes`` entry (``streets``, the default: road, sky,
  buildings, vegetation, cars, persons; ``shapes``: four shape classes at
  random positions on a textured road, 14 of the 19 classes absent; scenes
  other than ``streets`` in ``data/synthetic_cityscapes_<scene>``); mmseg's
  IoU metric;
* ``det``: RetinaNet and Faster R-CNN R-50 -> R-18 on synthetic COCO-layout
  data (``data/synthetic_coco``: squares, discs and triangles);
  pycocotools' COCO evaluation.

For each pair it trains the teacher (seed 0; ``configs/demo/<pair>-r50_
teacher_demo.py``), and for each seed the student baseline
(``<pair>-r18_student_demo.py``) and, once the teacher is trained, the
student with DIST and with DIST+ from that teacher
(``{dist,distplus}_<pair>_demo.py``, which inherit the real COCO /
Cityscapes distillation configs), and with ``--ablation`` the paper's
Table 12 rows (DIST+ with some of its terms switched off). ``--jobs`` runs
train side by side, across pairs. Every
run's metrics are its last validation on the val split (its last
checkpoint); the acclimated teacher's own metric at the end of each DIST+
run is read from the same validation loop. It writes
``work_dirs/demo/results.{json,md}`` (mean +- std over the seeds) and
``work_dirs/demo/results.png`` (bars with error bars, validation curves).

Usage::

    python tools/demo.py                          # all three pairs, 1 seed
    python tools/demo.py --seeds 3 --scenes streets shapes  # README tables
    python tools/demo.py --task seg               # PSPNet only
    python tools/demo.py --ablation               # + Table 12 rows
    python tools/demo.py --jobs 1                 # one run at a time
    python tools/demo.py --iters 50               # a smoke run
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
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Callable, Dict, List, NamedTuple, Optional

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(ROOT, 'configs', 'demo')
WORK = 'work_dirs/demo'
# mmengine's log lines worth showing (not the config dump)
PROGRESS = re.compile(r' - mmengine - \w+ - (Iter|Epoch)\(|Error|Traceback')
_CONFIG_LOCK = threading.Lock()
_PRINT_LOCK = threading.Lock()


class Pair(NamedTuple):
    """A teacher / student pair of the demo."""
    task: str  # 'seg' or 'det'
    config: str  # configs/demo/{<config>-r50_teacher,<config>-r18_student}
    title: str  # of the models, e.g. 'PSPNet'
    metric: str  # the tables' metric, a key of tools/test.py's metrics
    teacher_ckpt: str  # where the distillation demo configs read it
    student: str = 'R-18 (w16)'  # the student's backbone, for the tables

    @property
    def data(self) -> str:
        """Where the demo configs read the pair's data."""
        return SEG_DATA if self.task == 'seg' else DET_DATA

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
# val images per dataset (--num-val): the box mAP of 64 images of 1-4
# objects is as noisy as a seed (the same three Faster R-CNN baselines: 63.7
# / 62.1 / 58.2 on 64 images, 61.1 / 61.5 / 59.0 on 256, 60.6 / 61.8 / 58.5
# on 1024); mIoU counts every pixel
NUM_VAL = dict(seg=64, det=256)
DEFAULT_SCENE = 'streets'  # written to SEG_DATA, where the configs read it
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
# with --jobs, the run left alone at the end is a short one (Job.priority)
STARTED_LAST = {'dist': 1, 'baseline': 2}


def say(*parts: str) -> None:
    """Print a line whole, flushed: runs side by side print at once."""
    with _PRINT_LOCK:
        print(*parts, flush=True)


def run(cmd: List[str],
        log: str,
        tag: str = '',
        threads: Optional[int] = None) -> None:
    """Run a tool, streaming its progress lines (after ``tag``), logging
    all; ``threads``: its torch / OpenMP threads (default: all cores)."""
    say(f'{tag}$', ' '.join(cmd))
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
                say(f'   {tag}', line.split(' - ')[-1].strip()[:150])
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


def train_and_evaluate(pair: Pair,
                       name: str,
                       config: str,
                       work_dir: str,
                       iters: int,
                       seed: int,
                       options: List[str] = (),
                       threads: Optional[int] = None,
                       tag: str = '') -> Dict:
    """Train ``config`` with ``options`` into ``work_dir``: its metrics are
    those of its last validation, on the last checkpoint (``tools/test.py``
    gives the same; a test checks it); ``threads``: per process, for runs
    side by side (``--jobs``); ``tag``: of its progress lines."""
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
    # five points of the validation curve, the last at the end
    schedule.append(f'train_cfg.val_interval={max(total // 5, 1)}')
    start = time.time()
    run([
        sys.executable,
        osp.join(ROOT, 'tools', 'train.py'), path, '--work-dir', work_dir,
        '--cfg-options', f'randomness.seed={seed}', *schedule, *options
    ], osp.join(work_dir, 'train.out'), tag, threads)
    wall = time.time() - start
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        ckpt = f.read().strip()
    records = logged_scalars(work_dir)
    times = [r['time'] for r in records if 'loss' in r and 'time' in r]
    curve = [(r['step'], _percent(pair, r[pair.metric])) for r in records
             if pair.metric in r]
    teacher = [
        r[f'teacher.{pair.metric}'] for r in records
        if f'teacher.{pair.metric}' in r
    ]
    last = [r for r in records if r.get('step') == total and pair.metric in r]
    metrics = {
        k: v
        for k, v in (last[-1] if last else {}).items()
        if k not in ('step', 'time',
                     'data_time') and not k.startswith('teacher.')
    }
    if not metrics:
        # mmdet's CocoMetric returns nothing when nothing was detected
        say(f'    {tag}no {pair.metric} at iteration {total} (nothing '
            'detected): 0')
    return dict(
        seed=seed,
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


def data_root(pair: Pair, scene: str) -> str:
    """Where a dataset is written: the default scene where the demo configs
    read it, every other beside it, so experiments can run side by side."""
    return pair.data if scene in (DEFAULT_SCENE, 'coco') \
        else f'{pair.data}_{scene}'


def make_data(pair: Pair, scene: str, args: argparse.Namespace) -> None:
    """Write the pair's dataset; the detection demo configs name the image
    and object sizes."""
    from dist_mm.datasets import make_cityscapes, make_coco
    from mmengine.config import Config
    root = data_root(pair, scene)
    num_val = args.num_val or NUM_VAL[pair.task]
    shutil.rmtree(root, ignore_errors=True)
    if pair.task == 'seg':
        make_cityscapes(root, args.num_train, num_val, scene=scene)
    else:
        cfg = Config.fromfile(osp.join(CONFIGS, pair.configs()['teacher']))
        make_coco(
            root,
            args.num_train,
            num_val,
            size=cfg.demo_image_size,
            object_size=cfg.demo_object_size)


def data_options(pair: Pair, scene: str) -> List[str]:
    """``--cfg-options`` pointing a demo config at the scene's dataset."""
    root = data_root(pair, scene)
    options = [
        f'{split}_dataloader.dataset.data_root={root}'
        for split in ('train', 'val', 'test')
    ]
    if pair.task == 'det':
        options += [
            f'{split}_evaluator.ann_file={root}/annotations/'
            'instances_val2017.json' for split in ('val', 'test')
        ]
    return options


class Job(NamedTuple):
    """One training run of an experiment (``key``: ``<pair>/<scene>``)."""
    key: str
    name: str  # teacher, baseline, dist, distplus or an ablation row
    config: str
    options: List[str]
    seed: int

    @property
    def needs_teacher(self) -> bool:
        return self.name not in ('teacher', 'baseline')

    def priority(self) -> tuple:
        """Teachers first (their students wait for them), then the longest
        student runs (DIST+ and its ablation rows, DIST, the baselines), so
        that the runs left at the end are short ones; ``run_all`` starts
        the pair whose teacher took longest first among equals."""
        rank = -1 if self.name == 'teacher' else STARTED_LAST.get(self.name, 0)
        return rank, self.seed


def experiment_jobs(key: str, scene: str,
                    args: argparse.Namespace) -> List[Job]:
    """The teacher (seed 0) and every student run of every seed."""
    pair = PAIRS[key]
    configs = pair.configs()
    data = data_options(pair, scene)
    runs = [('teacher', configs['teacher'], [])]
    runs += [(name, configs[name], [])
             for name in ('baseline', 'dist', 'distplus')]
    if args.ablation:
        runs += [(name, configs['distplus'],
                  ablation_options(configs['distplus'], keep))
                 for name, (_, keep) in ABLATION.items()
                 if name not in ('dist', 'distplus')]
    return [
        Job(f'{key}/{scene}', name, config, data + options, seed)
        for name, config, options in runs
        for seed in (range(1) if name == 'teacher' else range(args.seeds))
    ]


def run_all(experiments: List[tuple], args: argparse.Namespace,
            finished: Callable[[str, Dict], None]) -> None:
    """Every run of every experiment, ``--jobs`` side by side across
    experiments (a pair's students start once its teacher is trained; the
    baselines, which need none, fill the gaps); ``finished(key, results)``
    is called as each experiment completes, with its runs by name (in the
    tables' order), each list by seed. A failed run stops its experiment,
    not the others; the demo then exits with the failed runs named."""
    jobs = {
        f'{key}/{scene}': experiment_jobs(key, scene, args)
        for key, scene in experiments
    }
    results = {
        key: {
            job.name: []
            for job in key_jobs
        }
        for key, key_jobs in jobs.items()
    }
    pending = sorted((job for key_jobs in jobs.values() for job in key_jobs),
                     key=Job.priority)
    # side by side, each process gets its share of the cores
    threads = max(1, (os.cpu_count() or 1) // args.jobs) \
        if args.jobs > 1 else None
    teachers: Dict[str, str] = {}  # checkpoint of each trained teacher
    walls: Dict[str, float] = {}  # and its training time
    running: Dict = {}
    failed: List[str] = []
    stopped = set()  # experiments with a failed run

    def train(job: Job) -> Dict:
        key, scene = job.key.split('/')
        say(f'== {job.key}: {job.name}, seed {job.seed}')
        options = list(job.options)
        if job.needs_teacher:
            options.append(f'model.teacher_ckpt={teachers[job.key]}')
        run_dir = 'teacher' if job.name == 'teacher' else \
            f'{job.name}_seed{job.seed}'
        return train_and_evaluate(
            PAIRS[key], job.name, job.config,
            osp.join(WORK, key, scene,
                     run_dir), args.iters, job.seed, options, threads,
            f'[{job.key} {job.name} seed {job.seed}] ' if threads else '')

    with ThreadPoolExecutor(args.jobs) as pool:
        while pending or running:
            # a pair's runs take about the time its teacher took, in
            # proportion: the longest pair's start first (Job.priority)
            ready = sorted((job for job in pending
                            if not job.needs_teacher or job.key in teachers),
                           key=lambda j: (*j.priority(), -walls.get(j.key, 0)))
            for job in ready[:args.jobs - len(running)]:
                pending.remove(job)
                running[pool.submit(train, job)] = job
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                job = running.pop(future)
                try:
                    result = future.result()
                except SystemExit as error:  # a tool failed (run)
                    # its experiment stops, the others go on
                    failed.append(f'{job.key} {job.name} seed {job.seed}: '
                                  f'{error}')
                    say(f'!! {failed[-1]}; the other runs of {job.key} '
                        'are dropped')
                    pending = [j for j in pending if j.key != job.key]
                    stopped.add(job.key)
                    continue
                results[job.key][job.name].append(result)
                if job.name == 'teacher':
                    teachers[job.key] = result['checkpoint']
                    walls[job.key] = result['wall']
                    key, scene = job.key.split('/')
                    pair = PAIRS[key]
                    if data_root(pair, scene) == pair.data:
                        # where the demo configs read it, beside their
                        # data: they run by hand after the demo
                        shutil.copy(result['checkpoint'], pair.teacher_ckpt)
                if job.key not in stopped and all(
                        j.key != job.key
                        for j in pending + list(running.values())):
                    for runs in results[job.key].values():
                        runs.sort(key=lambda r: r['seed'])
                    finished(job.key, results[job.key])
    if failed:
        raise SystemExit('failed runs (the finished experiments are in the '
                         'results):\n' + '\n'.join(failed))


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    sys.path.insert(0, ROOT)
    from dist_mm.datasets.synthetic import SCENES
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--task', choices=['seg', 'det', 'all'], default='all')
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
        help='runs side by side, each with cores / N threads, across pairs '
        '(students once their teacher is trained; s/iter then includes the '
        "sharing; README's figures: 2 on 2 cores)")
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
    parser.add_argument(
        '--num-val',
        type=int,
        default=0,
        help='val images per dataset; 0: %s' %
        ', '.join(f'{n} ({task})' for task, n in NUM_VAL.items()))
    parser.add_argument(
        '--cwd', default=ROOT, help='where data/ and work_dirs/ are written')
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f'--jobs must be 1 or more, got {args.jobs}')
    return args


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    os.chdir(args.cwd)
    os.makedirs(WORK, exist_ok=True)
    experiments = [
        (key, scene) for key, pair in PAIRS.items()
        if (key in args.pairs if args.pairs else args.task in ('all',
                                                               pair.task))
        for scene in (args.scenes if pair.task == 'seg' else ['coco'])
    ]
    written = set()
    for key, scene in experiments:
        root = data_root(PAIRS[key], scene)
        if root not in written:  # the detection pairs share theirs
            make_data(PAIRS[key], scene, args)
            written.add(root)
    everything = {}
    order = [f'{key}/{scene}' for key, scene in experiments]

    def finished(key: str, results: Dict) -> None:
        everything[key] = results
        say('\n' + table(key, results) + '\n')
        # after every experiment, so that a long run stopped later keeps
        # the experiments it finished
        write_results(everything, order)

    run_all(experiments, args, finished)
    print('\n\n'.join(table(key, everything[key]) for key in order))
    print(f'\nwritten: {WORK}/results.json, results.md, results.png')


def table(key: str, results: Dict) -> str:
    pair, scene = key.split('/')
    return summary(PAIRS[pair], scene, results)


def write_results(everything: Dict, order: List[str]) -> None:
    """``results.{json,md,png}`` of the finished experiments, in ``order``."""
    done = {key: everything[key] for key in order if key in everything}
    with open(osp.join(WORK, 'results.json'), 'w') as f:
        json.dump(done, f, indent=1)
    with open(osp.join(WORK, 'results.md'), 'w') as f:
        f.write('\n\n'.join(table(k, r) for k, r in done.items()) + '\n')
    plot(done, osp.join(WORK, 'results.png'))


if __name__ == '__main__':
    main()
