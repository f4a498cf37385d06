"""The teacher-strength curve: the student's metric against its teacher's,
one line per distillation method (``tools/demo.py --curve``).

The teachers are a ladder of CNN teachers of rising accuracy (checkpoints
of the demo CNN teacher's one run, at :data:`LADDER` of its schedule) and
the stronger teacher of another family that teaches the same student. Each
teacher teaches the student with every method of the curve, ``seeds``
times; the baseline (no teacher) is the curve's floor.
"""
import json
import os
import os.path as osp
import statistics
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from mmengine.config import Config

from .data import data_options, make_data
from .pairs import CONFIG_DIR, PAIRS, WHAT, WORK
from .report import mean_std
from .training import say, train_and_evaluate

#: the CNN teacher's checkpoints on the curve, as fractions of its schedule
LADDER = (0.25, 0.5, 1.0)
METHOD_TITLES = dict(
    dist='DIST', distplus='DIST+', kd='KD (pixel-wise)', cwd='CWD', pkd='PKD')


class Curve(NamedTuple):
    """A teacher-strength curve: the CNN pair whose teacher is laddered,
    the pair of the stronger teacher (same student) and the methods."""
    pair: str
    stronger: str
    methods: Tuple[str, ...]

    @staticmethod
    def config(pair_key: str, method: str) -> str:
        """The demo config of ``method`` with the teacher of ``pair_key``:
        the pair's own DIST / DIST+ configs, ``<method>_<pair>_demo.py``
        for the reference methods."""
        pair = PAIRS[pair_key]
        if method in ('dist', 'distplus'):
            return pair.configs()[method]
        return pair.dist.replace('dist_', f'{method}_', 1)


CURVES = {
    'pspnet': Curve('pspnet', 'mask2former',
                    ('dist', 'distplus', 'kd', 'cwd')),
    'retinanet': Curve('retinanet', 'dino', ('dist', 'distplus', 'pkd')),
}


def teacher_iters(pair_key: str, iters: int = 0) -> int:
    """The teacher's iterations (``iters``: the student's, as the demo
    runs take them; 0: the teacher config's schedule)."""
    if iters:
        return 2 * iters
    path = osp.join(CONFIG_DIR, PAIRS[pair_key].teacher)
    return Config.fromfile(path).train_cfg.max_iters


def ladder_options(total: int) -> Tuple[List[str], List[int]]:
    """``--cfg-options`` that keep and validate the teacher's checkpoint at
    each :data:`LADDER` step, and those steps."""
    interval = max(int(total * LADDER[0]), 1)
    steps = [max(int(round(total * f)), 1) for f in LADDER]
    if any(step % interval for step in steps):
        raise ValueError(f'the ladder {LADDER} does not fall on multiples of '
                         f'{interval} iterations of {total}')
    return [
        f'default_hooks.checkpoint.interval={interval}',
        f'train_cfg.val_interval={interval}'
    ], steps


def ladder(result: Dict, steps: Sequence[int], title: str) -> List[Dict]:
    """The rungs of a ladder teacher's run: name, metric and checkpoint of
    each step."""
    # (a detector that detects nothing at a validation has no point there)
    metrics = dict(result['curve'])
    work_dir = osp.dirname(result['checkpoint'])
    return [
        dict(
            name=f'{title} @ {step} it',
            metric=metrics.get(step, 0.0),
            checkpoint=osp.abspath(osp.join(work_dir, f'iter_{step}.pth')))
        for step in steps
    ]


class CurveRun:
    """Every run of one curve, ``jobs`` side by side; ``curve.{json,md,png}``
    under ``work_dirs/demo/curve/<pair>_<scene>`` rewritten as each
    finishes.

    Each run's figures are kept in ``result.json`` in its work directory.
    With ``resume``, a run that an earlier curve of the same options
    finished is read from there instead of trained again, so that a curve
    stopped part-way (its teachers included) goes on where it stopped.
    """

    def __init__(self,
                 key: str,
                 scene: str,
                 seeds: int = 3,
                 jobs: int = 2,
                 iters: int = 0,
                 resume: bool = False) -> None:
        self.curve = CURVES[key]
        self.scene, self.seeds, self.jobs, self.iters = (scene, seeds, jobs,
                                                         iters)
        self.resume = resume
        self.out = osp.join(WORK, 'curve', f'{key}_{scene}')
        self.threads = max(1, (os.cpu_count() or 1) // jobs) \
            if jobs > 1 else None
        self.results: Dict = dict(
            teachers=[], baseline=[], runs={}, methods=self.curve.methods)
        self._lock = threading.Lock()

    def train(self,
              pair_key: str,
              name: str,
              config: str,
              run_dir: str,
              seed: int,
              options: Sequence[str] = ()) -> Dict:
        pair = PAIRS[pair_key]
        done = osp.join(self.out, run_dir, 'result.json')
        if self.resume and osp.exists(done):
            say(f'[curve {run_dir} seed {seed}] finished before: {done}')
            with open(done) as f:
                return json.load(f)
        result = train_and_evaluate(
            pair, name, config, osp.join(self.out, run_dir), self.iters, seed,
            [*data_options(pair, self.scene), *options], self.threads,
            f'[curve {run_dir} seed {seed}] ' if self.threads else '')
        with open(done, 'w') as f:
            json.dump(result, f, indent=1)
        return result

    def teachers(self) -> List[Dict]:
        """Train the ladder teacher and the stronger teacher side by side;
        the teachers of the curve, weakest first."""
        cnn, strong = (PAIRS[self.curve.pair], PAIRS[self.curve.stronger])
        options, steps = ladder_options(
            teacher_iters(self.curve.pair, self.iters))
        with ThreadPoolExecutor(self.jobs) as pool:
            laddered = pool.submit(self.train, self.curve.pair, 'teacher',
                                   cnn.teacher, 'teacher_ladder', 0, options)
            stronger = pool.submit(self.train, self.curve.stronger, 'teacher',
                                   strong.teacher, 'teacher_stronger', 0)
            rungs = ladder(laddered.result(), steps,
                           f'{cnn.title} {WHAT["teacher"]}')
            top = stronger.result()
        rungs.append(
            dict(
                name=strong.teacher_title or strong.teacher,
                metric=top['metric'],
                checkpoint=osp.abspath(top['checkpoint']),
                stronger=True))
        return rungs

    def run(self) -> Dict:
        """Train every run; the results (also in ``curve.json``)."""
        os.makedirs(self.out, exist_ok=True)
        teachers = self.teachers()
        self.results['teachers'] = teachers
        student = PAIRS[self.curve.pair]
        jobs = [(self.curve.pair, 'baseline', student.baseline, None, seed)
                for seed in range(self.seeds)]
        for i, teacher in enumerate(teachers):
            pair_key = self.curve.stronger if teacher.get('stronger') \
                else self.curve.pair
            jobs += [(pair_key, method, Curve.config(pair_key,
                                                     method), i, seed)
                     for method in self.curve.methods
                     for seed in range(self.seeds)]
        # seed by seed: a curve stopped early has its first seeds whole
        jobs.sort(key=lambda job: job[-1])
        with ThreadPoolExecutor(self.jobs) as pool:
            futures = [pool.submit(self._student, *job) for job in jobs]
            for future in as_completed(futures):
                if future.exception() is not None:
                    # a failed run stops the curve: the runs in flight end,
                    # those not started are dropped
                    pool.shutdown(cancel_futures=True)
                    future.result()
        say('\n' + curve_table(self.results))
        return self.results

    def _student(self, pair_key: str, method: str, config: str,
                 teacher: Optional[int], seed: int) -> None:
        options = []
        run_dir = f'{method}_seed{seed}'
        if teacher is not None:
            ckpt = self.results['teachers'][teacher]['checkpoint']
            options.append(f'model.teacher_ckpt={ckpt}')
            run_dir = f't{teacher}_{run_dir}'
        result = self.train(pair_key, method, config, run_dir, seed, options)
        with self._lock:
            runs = self.results['baseline'] if teacher is None else \
                self.results['runs'].setdefault(str(teacher), {}).setdefault(
                    method, [])
            runs.append(result)
            runs.sort(key=lambda run: run['seed'])
            write_curve(self.results, self.out)


def curve_table(results: Dict) -> str:
    """Markdown table of a curve: a row per teacher, a column per method
    (student's metric, mean ± std over the seeds)."""
    methods = results['methods']
    base = [r['metric'] for r in results['baseline']]
    lines = [
        '| teacher | teacher metric | ' +
        ' | '.join(METHOD_TITLES.get(m, m) for m in methods) + ' |',
        '|---|---|' + '---|' * len(methods),
        f'| none (baseline) | | {mean_std(base) if base else ""} |' + ' |' *
        (len(methods) - 1)
    ]
    for i, teacher in enumerate(results['teachers']):
        runs = results['runs'].get(str(i), {})
        cells = [
            mean_std([r['metric'] for r in runs[m]]) if runs.get(m) else ''
            for m in methods
        ]
        lines.append(f'| {teacher["name"]} | {teacher["metric"]:.2f} | ' +
                     ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def plot_curve(results: Dict, path: str) -> None:
    """The student's metric against the teacher's, one line per method
    (mean, std error bars), the baseline dashed; written to ``path``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    teachers = results['teachers']
    for j, method in enumerate(results['methods']):
        points = [(t['metric'], [
            r['metric']
            for r in results['runs'].get(str(i), {}).get(method, [])
        ]) for i, t in enumerate(teachers)]
        points = [(x, ys) for x, ys in points if ys]
        if not points:
            continue
        ax.errorbar([x for x, _ in points],
                    [statistics.mean(ys) for _, ys in points],
                    yerr=[
                        statistics.stdev(ys) if len(ys) > 1 else 0
                        for _, ys in points
                    ],
                    marker='o',
                    capsize=3,
                    color=f'C{j}',
                    label=METHOD_TITLES.get(method, method))
    base = [r['metric'] for r in results['baseline']]
    if base:
        ax.axhline(
            statistics.mean(base),
            color='gray',
            linestyle='--',
            label='baseline')
    for teacher in teachers:
        if teacher.get('stronger'):
            ax.axvline(teacher['metric'], color='gray', linestyle=':')
    ax.set_xlabel('teacher metric')
    ax.set_ylabel('student metric')
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_curve(results: Dict, out: str) -> None:
    """``curve.json``, ``curve.md`` and ``curve.png`` in ``out``."""
    with open(osp.join(out, 'curve.json'), 'w') as f:
        json.dump(results, f, indent=1)
    with open(osp.join(out, 'curve.md'), 'w') as f:
        f.write(curve_table(results) + '\n')
    plot_curve(results, osp.join(out, 'curve.png'))


def run_curves(experiments: Sequence[Tuple[str, str]],
               seeds: int = 3,
               jobs: int = 2,
               iters: int = 0,
               num_train: int = 256,
               num_val: int = 0,
               resume: bool = False) -> Dict[str, Dict]:
    """Write the data and run the curve of each ``(pair key, scene)`` whose
    pair has one (in the working directory); with ``resume``, reuse the
    dataset and the runs an earlier curve finished (:class:`CurveRun`)."""
    everything = {}
    for key, scene in experiments:
        make_data(PAIRS[CURVES[key].pair], scene, num_train, num_val, resume)
        everything[f'{key}/{scene}'] = CurveRun(key, scene, seeds, jobs, iters,
                                                resume).run()
    return everything
