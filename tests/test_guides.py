"""The extension guides run as written: their code blocks, applied to a copy
of the package, give a loss and a teacher pass whose tests pass and whose
configs train.

A guide's block whose first line is ``# file: <path>`` is that file; one whose
first line is ``# add to: <path>`` is appended to it.
"""
import json
import os
import os.path as osp
import pickle
import re
import shutil
import subprocess
import sys

import pytest

from mmengine.config import Config

from .test_config_runs import cpu_options, workspace  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
GUIDES = ['add_loss.md', 'add_model_family.md']
BLOCK = re.compile(r'```python\n# (file|add to): (\S+)\n(.*?)```', re.S)

# trains a config in a process that imports the package copy
TRAIN = '''
import json, pickle, sys
import dist_mm
from mmengine.config import Config
from mmengine.runner import Runner
cfg = Config.fromfile(sys.argv[1])
with open(sys.argv[2], 'rb') as f:
    cfg.merge_from_dict(pickle.load(f))
cfg.work_dir = sys.argv[3]
runner = Runner.from_cfg(cfg)
runner.train()
print(json.dumps({k: float(v.current()) for k, v in
                  runner.message_hub.log_scalars.items()
                  if k.startswith('train/') and 'loss' in k}))
'''


def guide_blocks(page):
    with open(osp.join(ROOT, 'docs', 'en', 'advanced_guides', page)) as f:
        return BLOCK.findall(f.read())


def apply(blocks, repo):
    """Write the guide's files into ``repo``; the paths written."""
    for kind, path, text in blocks:
        target = osp.join(repo, path)
        os.makedirs(osp.dirname(target), exist_ok=True)
        if kind == 'add to':
            assert osp.exists(target), f'{path}: the guide adds to a file ' \
                'that does not exist'
            text = '\n' + text
        with open(target, 'a' if kind == 'add to' else 'w') as f:
            f.write(text)
    return [path for _, path, _ in blocks]


@pytest.mark.slow
@pytest.mark.parametrize('page', GUIDES)
def test_guide_runs_as_written(
        page,
        tmp_path,
        workspace,  # noqa: F811
        teacher_ckpts):
    blocks = guide_blocks(page)
    kinds = {path.split('/')[0] for _, path, _ in blocks}
    assert kinds == {'dist_mm', 'my_configs', 'tests'}, kinds
    repo = tmp_path / 'repo'
    shutil.copytree(
        osp.join(ROOT, 'dist_mm'),
        repo / 'dist_mm',
        ignore=shutil.ignore_patterns('__pycache__', '.mim'))
    paths = apply(blocks, str(repo))
    env = dict(os.environ, PYTHONPATH=str(repo))

    # the test the guide adds passes against the package copy
    tests = [str(repo / p) for p in paths if p.startswith('tests/')]
    proc = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider'] +
        tests,
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert ' passed' in proc.stdout and 'skipped' not in proc.stdout

    # the config the guide writes trains 2 iterations with its new class
    config, = [repo / p for p in paths if p.startswith('my_configs/')]
    options = tmp_path / 'options.pkl'
    options.write_bytes(
        pickle.dumps(cpu_options(Config.fromfile(str(config)), teacher_ckpts)))
    proc = subprocess.run([
        sys.executable, '-c', TRAIN,
        str(config),
        str(options),
        str(tmp_path / 'work_dir')
    ],
                          cwd=workspace,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    losses = json.loads(proc.stdout.strip().splitlines()[-1])
    assert any('distill' in k for k in losses), sorted(losses)
