"""The end-to-end DIST / DIST+ demo on synthetic COCO / Cityscapes data.

``tools/demo.py`` parses its flags into :class:`DemoOptions` and calls
:func:`run_demo`; each run goes through the package's configs,
``tools/train.py`` and the mmengine Runner, as a user's run does.
"""
from .data import DATA_MARKER, data_options, data_root, make_data
from .pairs import ABLATION, NUM_VAL, PAIRS, WORK, Pair, ablation_options
from .report import mean_std, summary, table, write_results
from .run import TASKS, DemoOptions, run_demo
from .schedule import Job, experiment_jobs, run_all
from .training import PROGRESS, run_tool, train_and_evaluate

__all__ = [
    'DemoOptions', 'TASKS', 'run_demo', 'Pair', 'PAIRS', 'NUM_VAL', 'ABLATION',
    'WORK', 'ablation_options', 'DATA_MARKER', 'data_root', 'data_options',
    'make_data', 'Job', 'experiment_jobs', 'run_all', 'run_tool',
    'train_and_evaluate', 'PROGRESS', 'mean_std', 'summary', 'table',
    'write_results'
]
