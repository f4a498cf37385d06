"""Every run of every demo experiment, side by side across pairs."""
import os
import os.path as osp
import shutil
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Callable, Dict, List, NamedTuple, Sequence, Tuple

from .data import data_options, data_root
from .pairs import ABLATION, PAIRS, WORK, ablation_options
from .training import say, train_and_evaluate

# the shortest student runs start last (DIST+ and its ablation rows first):
# with several jobs, the run left alone at the end is a short one
STARTED_LAST = {'dist': 1, 'baseline': 2}


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
        that the runs left at the end are short ones; :func:`run_all`
        starts the pair whose teacher took longest first among equals."""
        rank = -1 if self.name == 'teacher' else STARTED_LAST.get(self.name, 0)
        return rank, self.seed


def experiment_jobs(key: str,
                    scene: str,
                    seeds: int = 1,
                    ablation: bool = False) -> List[Job]:
    """The teacher (seed 0) and every student run of ``seeds`` seeds of
    the pair ``key`` on ``scene``; with ``ablation`` the Table 12 rows."""
    pair = PAIRS[key]
    configs = pair.configs()
    data = data_options(pair, scene)
    runs = [('teacher', configs['teacher'], [])]
    runs += [(name, configs[name], [])
             for name in ('baseline', 'dist', 'distplus')]
    if ablation:
        runs += [(name, configs['distplus'],
                  ablation_options(configs['distplus'], keep))
                 for name, (_, keep) in ABLATION.items()
                 if name not in ('dist', 'distplus')]
    return [
        Job(f'{key}/{scene}', name, config, data + options, seed)
        for name, config, options in runs
        for seed in (range(1) if name == 'teacher' else range(seeds))
    ]


def run_all(experiments: Sequence[Tuple[str, str]],
            finished: Callable[[str, Dict], None],
            seeds: int = 1,
            jobs: int = 2,
            iters: int = 0,
            ablation: bool = False,
            train: Callable[..., Dict] = train_and_evaluate) -> None:
    """Run every run of every experiment, ``jobs`` side by side.

    A pair's students start once its teacher is trained; the baselines,
    which need none, fill the gaps. A failed run stops its experiment, not
    the others.

    Args:
        experiments: ``(pair key, scene)`` of each experiment.
        finished: Called as each experiment completes, with its key and its
            runs by name (in the tables' order), each list by seed.
        seeds: Student runs per model.
        jobs: Runs side by side, each with cores / ``jobs`` threads.
        iters: Student iterations (0: the configs' schedule).
        ablation: Also the paper's Table 12 rows.
        train: Trains one run (:func:`train_and_evaluate`'s signature).

    Raises:
        SystemExit: after the others finished, naming the failed runs.
    """
    planned = {
        f'{key}/{scene}': experiment_jobs(key, scene, seeds, ablation)
        for key, scene in experiments
    }
    results = {
        key: {
            job.name: []
            for job in key_jobs
        }
        for key, key_jobs in planned.items()
    }
    pending = sorted(
        (job for key_jobs in planned.values() for job in key_jobs),
        key=Job.priority)
    # side by side, each process gets its share of the cores
    threads = max(1, (os.cpu_count() or 1) // jobs) if jobs > 1 else None
    teachers: Dict[str, str] = {}  # checkpoint of each trained teacher
    walls: Dict[str, float] = {}  # and its training time
    running: Dict = {}
    failed: List[str] = []
    stopped = set()  # experiments with a failed run

    def start(job: Job) -> Dict:
        key, scene = job.key.split('/')
        say(f'== {job.key}: {job.name}, seed {job.seed}')
        options = list(job.options)
        if job.needs_teacher:
            options.append(f'model.teacher_ckpt={teachers[job.key]}')
        run_dir = 'teacher' if job.name == 'teacher' else \
            f'{job.name}_seed{job.seed}'
        return train(
            PAIRS[key], job.name, job.config,
            osp.join(WORK, key, scene,
                     run_dir), iters, job.seed, options, threads,
            f'[{job.key} {job.name} seed {job.seed}] ' if threads else '')

    with ThreadPoolExecutor(jobs) as pool:
        while pending or running:
            # a pair's runs take about the time its teacher took, in
            # proportion: the longest pair's start first (Job.priority)
            ready = sorted((job for job in pending
                            if not job.needs_teacher or job.key in teachers),
                           key=lambda j: (*j.priority(), -walls.get(j.key, 0)))
            for job in ready[:jobs - len(running)]:
                pending.remove(job)
                running[pool.submit(start, job)] = job
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                job = running.pop(future)
                try:
                    result = future.result()
                except SystemExit as error:  # a tool failed (run_tool)
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
                    teachers[job.key] = osp.abspath(result['checkpoint'])
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
