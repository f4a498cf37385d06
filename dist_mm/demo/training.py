"""One demo run: ``tools/train.py`` in a process of its own, and the figures
of its last validation."""
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
from typing import Dict, List, Optional, Sequence

from ..utils.paths import mim_dir
from .pairs import CONFIG_DIR, Pair

# mmengine's log lines worth showing (not the config dump)
PROGRESS = re.compile(r' - mmengine - \w+ - (Iter|Epoch)\(|Error|Traceback')
_CONFIG_LOCK = threading.Lock()
_PRINT_LOCK = threading.Lock()


def say(*parts: str) -> None:
    """Print a line whole, flushed: runs side by side print at once."""
    with _PRINT_LOCK:
        print(*parts, flush=True)


def run_tool(cmd: List[str],
             log: str,
             tag: str = '',
             threads: Optional[int] = None) -> None:
    """Run a tool, streaming its progress lines (after ``tag``) and logging
    all of its output to ``log``.

    Args:
        cmd: The command.
        log: File that receives the whole output.
        tag: Prefix of the progress lines shown.
        threads: Its torch / OpenMP threads (default: all cores).

    Raises:
        SystemExit: when the tool fails, naming its log.
    """
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


def percent(pair: Pair, value: float) -> float:
    """mmseg reports percentages, pycocotools fractions: tables use %."""
    return round(value * (100 if pair.task == 'det' else 1), 2)


def train_and_evaluate(pair: Pair,
                       name: str,
                       config: str,
                       work_dir: str,
                       iters: int,
                       seed: int,
                       options: Sequence[str] = (),
                       threads: Optional[int] = None,
                       tag: str = '') -> Dict:
    """Train a demo config and return the figures of its last validation.

    The last validation evaluates the last checkpoint: ``tools/test.py``
    on it gives the same metrics.

    Args:
        pair: The pair the run belongs to.
        name: ``teacher``, ``baseline``, ``dist``, ``distplus`` or an
            ablation row.
        config: The demo config, relative to ``configs/demo``.
        work_dir: Emptied, then written by the run.
        iters: Student iterations (teacher: twice as many); 0 keeps the
            config's schedule.
        seed: ``randomness.seed``.
        options: More ``--cfg-options``.
        threads: Threads of the process, for runs side by side.
        tag: Prefix of its progress lines.

    Returns:
        dict: ``seed``, ``metric`` (the pair's, in %), ``metrics`` (all of
        the last validation), ``curve`` (``(iteration, metric)`` of every
        validation), ``teacher_at_end`` (the acclimated teacher's metric at
        the last validation, DIST+ only), ``sec_per_iter``, ``wall`` and
        ``checkpoint`` (relative to the working directory).
    """
    from mmengine.config import Config
    shutil.rmtree(work_dir, ignore_errors=True)
    os.makedirs(work_dir)
    path = osp.join(CONFIG_DIR, config)
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
    run_tool([
        sys.executable,
        osp.join(mim_dir('tools'), 'train.py'), path, '--work-dir', work_dir,
        '--cfg-options', f'randomness.seed={seed}', *schedule, *options
    ], osp.join(work_dir, 'train.out'), tag, threads)
    wall = time.time() - start
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        ckpt = f.read().strip()
    records = logged_scalars(work_dir)
    times = [r['time'] for r in records if 'loss' in r and 'time' in r]
    curve = [(r['step'], percent(pair, r[pair.metric])) for r in records
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
        metric=percent(pair, metrics.get(pair.metric, 0.0)),
        metrics=metrics,
        curve=curve,
        teacher_at_end=percent(pair, teacher[-1]) if teacher else None,
        sec_per_iter=statistics.median(times) if times else None,
        wall=wall,
        checkpoint=osp.relpath(ckpt))
