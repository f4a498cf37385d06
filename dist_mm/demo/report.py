"""The demo's tables, ``results.json`` and plot."""
import json
import os.path as osp
import statistics
from typing import Dict, List

from .pairs import ABLATION, PAIRS, WHAT, WORK, Pair


def mean_std(values: List[float]) -> str:
    """``'mean ± std'`` of ``values`` (the value alone for one)."""
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return f'{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}'


def summary(pair: Pair, data: str, results: Dict) -> str:
    """Markdown table of one experiment: mean ± std over the seeds, the
    gain over the baseline and the share of the teacher-student gap it
    recovers."""
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
        if name == 'teacher' and pair.teacher_title:
            what = pair.teacher_title
        lines.append(f'| {what} | {mean_std(values)} | {gain} | {gap} '
                     f'| {end} | {spi:.3f} |')
    return '\n'.join(lines)


def table(key: str, results: Dict) -> str:
    """:func:`summary` of the experiment ``key`` (``<pair>/<scene>``)."""
    pair, scene = key.split('/')
    return summary(PAIRS[pair], scene, results)


def plot(everything: Dict, path: str) -> None:
    """Bars (mean, std error bars) and validation curves, one row per
    experiment, written to ``path`` (PNG)."""
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


def write_results(everything: Dict, order: List[str]) -> None:
    """``results.{json,md,png}`` of the finished experiments, in ``order``,
    under ``work_dirs/demo``."""
    done = {key: everything[key] for key in order if key in everything}
    with open(osp.join(WORK, 'results.json'), 'w') as f:
        json.dump(done, f, indent=1)
    with open(osp.join(WORK, 'results.md'), 'w') as f:
        f.write('\n\n'.join(table(k, r) for k, r in done.items()) + '\n')
    plot(done, osp.join(WORK, 'results.png'))
