"""The docs build and cannot drift from the code.

* ``sphinx-build -W`` (warnings as errors: a broken cross-reference, a
  missing file or a docstring the API pages cannot render fails it);
* every config shown in the docs trains 2 iterations as written, from a
  user's clone, with the CPU-sized options of ``tests/test_config_runs.py``;
* README stays a front page: short, and every docs page it links exists;
* the paths, options and error messages the docs quote exist in the code.
"""
import glob
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch

from dist_mm.datasets import make_coco
from dist_mm.utils import load_tool_config
from dist_mm.utils.student_checkpoint import convert_to_student
from mmengine.runner import Runner

from .test_config_runs import DET_SIZE, cpu_options, workspace  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DOCS = osp.join(ROOT, 'docs', 'en')
PAGES = sorted(
    osp.relpath(osp.join(d, f), DOCS) for d, _, files in os.walk(DOCS)
    for f in files if f.endswith('.md') and '_build' not in d)


def config_snippets():
    """``(page, index, text)`` of every config in the docs: a ``python``
    block that starts with ``_base_``."""
    snippets = []
    for page in PAGES:
        with open(osp.join(DOCS, page)) as f:
            blocks = re.findall(r'```python\n(.*?)```', f.read(), re.S)
        snippets += [(page, i, block) for i, block in enumerate(blocks)
                     if block.startswith('_base_')]
    return snippets


SNIPPETS = config_snippets()


@pytest.mark.slow
def test_docs_build_with_warnings_as_errors(tmp_path):
    proc = subprocess.run([
        sys.executable, '-m', 'sphinx', '-W', '--keep-going', '-q', '-b',
        'html', DOCS,
        str(tmp_path / 'html')
    ],
                          text=True,
                          capture_output=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-5000:]
    html = (tmp_path / 'html' / 'api.html').read_text()
    # the API pages carry the public classes' docstrings
    for name in ('DISTLogitLoss', 'DISTPlusDistill', 'TeacherGuardHook',
                 'DemoOptions', 'run_loss_benchmark'):
        assert f'id="dist_mm.{name}' in html or name in html, name


def test_docs_show_configs_of_each_kind():
    pages = {page for page, _, _ in SNIPPETS}
    assert 'user_guides/config.md' in pages
    assert len(SNIPPETS) >= 3


@pytest.mark.slow
@pytest.mark.parametrize(
    'snippet', SNIPPETS, ids=[f'{p}:{i}' for p, i, _ in SNIPPETS])
def test_docs_config_trains_as_written(
        snippet,
        workspace,  # noqa: F811
        teacher_ckpts,
        monkeypatch):
    """The config, saved where the docs say (``my_configs/`` of a clone),
    trains (2 iterations, or an epoch of 4 images) with finite distillation
    losses; the student of
    its checkpoint converts to a plain checkpoint that loads strictly."""
    page, index, text = snippet
    monkeypatch.chdir(workspace)
    os.makedirs(workspace / 'my_configs', exist_ok=True)
    path = workspace / 'my_configs' / f'{page.replace("/", "_")}_{index}.py'
    path.write_text(text)
    cfg = load_tool_config(str(path))
    root = cfg.train_dataloader.dataset.data_root
    if not osp.isdir(root):  # a dataset of the user's: the docs' layout
        classes = cfg.train_dataloader.dataset.metainfo['classes']
        make_coco(
            root,
            4,
            2,
            size=DET_SIZE,
            object_size=(24, 64),
            categories=classes)
    cfg.merge_from_dict(cpu_options(cfg, teacher_ckpts))
    cfg.work_dir = str(workspace / 'work_dirs' / path.stem)
    runner = Runner.from_cfg(cfg)
    runner.train()
    losses = {
        k: v.current()
        for k, v in runner.message_hub.log_scalars.items()
        if k.startswith('train/') and 'loss' in k
    }
    assert runner.iter > 0
    assert any('distill' in k for k in losses), sorted(losses)
    assert all(torch.isfinite(torch.tensor(v)) for v in losses.values())
    with open(osp.join(cfg.work_dir, 'last_checkpoint')) as f:
        ckpt = torch.load(f.read().strip(), map_location='cpu')
    student = convert_to_student(ckpt)['state_dict']
    runner.model.architecture.load_state_dict(student, strict=True)


def test_readme_is_a_front_page():
    with open(osp.join(ROOT, 'README.md')) as f:
        readme = f.read()
    assert len(readme.splitlines()) <= 250
    links = re.findall(r'\]\((docs/en/[^)#]+)', readme)
    assert links
    for link in links:
        assert osp.isfile(osp.join(ROOT, link)), link


def test_citation_and_setup_name_this_version():
    import dist_mm
    with open(osp.join(ROOT, 'CITATION.cff')) as f:
        assert f'\nversion: {dist_mm.__version__}\n' in f.read()
    assert osp.isfile(osp.join(ROOT, 'LICENSE'))


# --- what the docs quote exists in the code --------------------------------

QUOTING = sorted(
    [osp.join(DOCS, page) for page in PAGES] +
    [osp.join(ROOT, 'README.md'),
     osp.join(ROOT, 'CONTRIBUTING.md')] +
    glob.glob(osp.join(ROOT, 'configs', '*', 'README.md')))
# options of upstream tools the docs quote, and the module that defines each
UPSTREAM_OPTIONS = {
    '--logdir': 'tensorboard.plugins.core.core_plugin',
    '--max-restarts': 'torch.distributed.run',
    '--srun-args': 'mim.commands.train',
}


def quoted(pattern=r'`([^`\n]+)`'):
    """``(page, text)`` of every inline code span of the docs."""
    for page in QUOTING:
        with open(page) as f:
            for text in re.findall(pattern, f.read()):
                yield osp.relpath(page, ROOT), text


def our_code():
    """dist_mm's and the tools' sources, adjacent string literals joined
    (messages are split over lines) and escaped quotes unescaped."""
    paths = glob.glob(osp.join(ROOT, 'dist_mm', '**', '*.py'), recursive=True)
    paths += glob.glob(osp.join(ROOT, 'tools', '**', '*.*'), recursive=True)
    text = ''
    for path in paths + [osp.join(ROOT, '.ci', 'run')]:
        with open(path, errors='ignore') as f:
            text += f.read() + '\n'
    text = re.sub(r"""(['"])\s*\n\s*[fr]?(['"])""", '', text)
    return text.replace("\\'", "'")


def expand_braces(path):
    match = re.search(r'\{([^{}]*)\}', path)
    if not match:
        return [path]
    return [
        p for alt in match.group(1).split(',')
        for p in expand_braces(path[:match.start()] + alt + path[match.end():])
    ]


def test_paths_the_docs_quote_exist():
    created = set()  # what the guides tell a contributor to create
    for guide in glob.glob(osp.join(DOCS, 'advanced_guides', '*.md')):
        with open(guide) as f:
            created |= set(re.findall(r'# (?:file|add to): (\S+)', f.read()))
    missing = [(page, text) for page, text in quoted() if re.fullmatch(
        r'(dist_mm|configs|tools|tests|docs|\.ci)/'
        r'[\w./{},*-]+', text) and '...' not in text and text not in created
               and not any(
                   glob.glob(osp.join(ROOT, p)) for p in expand_braces(text))]
    assert not missing, missing


def test_options_the_docs_quote_exist():
    import importlib
    code = our_code()
    missing = []
    for page, text in quoted():
        for option in re.findall(r'(?<![\w-])(--[a-z][\w-]+)', text):
            if option in UPSTREAM_OPTIONS:
                module = importlib.import_module(UPSTREAM_OPTIONS[option])
                with open(module.__file__) as f:
                    found = option in f.read()
            else:
                found = f"'{option}" in code or f'"{option}' in code or \
                    f' {option}' in code
            if not found:
                missing.append((page, option))
    assert not missing, missing


def test_errors_the_faq_quotes_are_raised_by_the_code():
    """Each error the FAQ quotes is a message of the code (a field of the
    message, ``{...}``, may stand for one word: the value shown)."""
    code = our_code()
    heads = [
        text for _, text in quoted(r'\n\*\*`([^`]+)`') if _.endswith('faq.md')
    ]
    assert len(heads) >= 5
    missing = []
    for head in heads:
        error = re.match(r'(\w+Error): ', head)
        if error:
            assert f'{error.group(1)}(' in code, head
            head = head[error.end():]
        for part in re.split(r'\(?\.\.\.\)?', head):
            words = part.strip(" '.,").split()
            if sum(map(len, words)) < 8:
                continue
            # literally, or with one word the value of a field
            patterns = [[re.escape(w) for w in words]]
            patterns += [
                patterns[0][:i] + [r'\{[^}]*\}'] + patterns[0][i + 1:]
                for i in range(len(words))
            ]
            if not any(re.search(r'\s*'.join(p), code) for p in patterns):
                missing.append((head, part))
    assert not missing, missing
