"""The end-to-end demo: data, every run of every pair, the reports."""
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from .curve import CURVES, run_curves
from .data import data_root, make_data
from .pairs import PAIRS, WORK
from .report import table, write_results
from .schedule import run_all
from .training import say

TASKS = ('seg', 'det', 'all', 'stronger')


@dataclass
class DemoOptions:
    """What ``tools/demo.py`` runs; its flags carry the same names.

    Args:
        task: ``'seg'``, ``'det'``, ``'all'`` (their pairs but the opt-in
            ones) or ``'stronger'`` (the opt-in pairs: teachers of another
            family).
        pairs: Only these pairs (keys of :data:`PAIRS`; overrides ``task``).
        scenes: Segmentation datasets (``streets``, ``shapes``).
        seeds: Student runs per model (seeds 0 .. N-1).
        jobs: Runs side by side, each with cores / N threads.
        ablation: Also the paper's Table 12 rows.
        curve: Instead of the tables, the teacher-strength curve of each
            selected pair that has one (:data:`~dist_mm.demo.curve.CURVES`).
        resume: With ``curve``: reuse the runs that an earlier curve with
            the same options finished, teachers included.
        iters: Student iterations (teacher: twice as many); 0 keeps the
            configs' schedule.
        num_train: Training images per dataset.
        num_val: Val images per dataset; 0: :data:`NUM_VAL` of the task.
        cwd: Where ``data/`` and ``work_dirs/`` are written.
    """
    task: str = 'all'
    pairs: Optional[List[str]] = None
    scenes: Sequence[str] = field(default_factory=lambda: ['streets'])
    seeds: int = 1
    jobs: int = 2
    ablation: bool = False
    curve: bool = False
    resume: bool = False
    iters: int = 0
    num_train: int = 256
    num_val: int = 0
    cwd: str = '.'

    def __post_init__(self) -> None:
        from ..datasets.synthetic import SCENES
        if self.task not in TASKS:
            raise ValueError(f'task must be one of {TASKS}, got '
                             f'{self.task!r}')
        unknown = set(self.pairs or ()) - set(PAIRS)
        if unknown:
            raise ValueError(f'unknown pairs {sorted(unknown)}; the demo has '
                             f'{sorted(PAIRS)}')
        unknown = set(self.scenes) - set(SCENES)
        if unknown:
            raise ValueError(f'unknown scenes {sorted(unknown)}; the demo has '
                             f'{sorted(SCENES)}')
        if self.resume and not self.curve:
            raise ValueError('--resume goes with --curve: it reuses the runs '
                             'of a teacher-strength curve stopped part-way')
        if self.jobs < 1 or self.seeds < 1:
            raise ValueError('jobs and seeds must be 1 or more, got '
                             f'{self.jobs} and {self.seeds}')

    def experiments(self) -> List[Tuple[str, str]]:
        """``(pair key, scene)`` of every experiment, in the tables'
        order."""

        def wanted(key: str, pair) -> bool:
            if self.pairs:
                return key in self.pairs
            if self.task == 'stronger':
                return pair.opt_in
            return not pair.opt_in and self.task in ('all', pair.task)

        return [(key, scene) for key, pair in PAIRS.items()
                if wanted(key, pair)
                for scene in (self.scenes if pair.task == 'seg' else ['coco'])]


def run_demo(options: DemoOptions) -> Dict[str, Dict]:
    """Run the demo in ``options.cwd``: write the datasets, train every run
    and write ``work_dirs/demo/results.{json,md,png}`` as each experiment
    finishes.

    Returns:
        dict: The runs of each experiment (``<pair>/<scene>``), by name,
        each list by seed (:func:`train_and_evaluate`'s figures).

    Raises:
        SystemExit: naming the runs that failed, once the others finished.
    """
    os.makedirs(options.cwd, exist_ok=True)
    os.chdir(options.cwd)
    os.makedirs(WORK, exist_ok=True)
    experiments = options.experiments()
    if options.curve:
        curves = [(key, scene) for key, scene in experiments if key in CURVES]
        if not curves:
            raise SystemExit('no teacher-strength curve among the pairs run; '
                             f'the curves: {sorted(CURVES)}')
        return run_curves(curves, options.seeds, options.jobs, options.iters,
                          options.num_train, options.num_val, options.resume)
    written = set()
    for key, scene in experiments:
        root = data_root(PAIRS[key], scene)
        if root not in written:  # the detection pairs share theirs
            make_data(PAIRS[key], scene, options.num_train, options.num_val)
            written.add(root)
    everything: Dict[str, Dict] = {}
    order = [f'{key}/{scene}' for key, scene in experiments]

    def finished(key: str, results: Dict) -> None:
        everything[key] = results
        say('\n' + table(key, results) + '\n')
        # after every experiment, so that a long run stopped later keeps
        # the experiments it finished
        write_results(everything, order)

    run_all(experiments, finished, options.seeds, options.jobs, options.iters,
            options.ablation)
    print('\n\n'.join(table(key, everything[key]) for key in order))
    print(f'\nwritten: {WORK}/results.json, results.md, results.png')
    return everything
