"""What the teacher costs: one distillation training step against its
limit.

In one run, on the same models and batch, it times a full training
iteration (forward + backward + optimizer step; forward only for the
teacher) and measures the peak memory it adds for:

* (a) the student alone,
* (b) the teacher forward alone in inference mode,
* (d) the package's DIST config of the pair (``configs/<pair>/dist_*.py``:
  ``DISTPlusDistill`` with ``DISTLogitLoss`` on its logit recorders), with
  its defaults; then (d1) without teacher truncation, (d2) / (d4) with the
  teacher under bf16 / fp16 autocast, (d3) with the teacher in
  channels_last, and (d+) the package's DIST+ config (``distplus_*.py``:
  logits, feature relations, teacher acclimation);
* (c) the same DIST config run by MMRazor: its ``SingleTeacherDistill``
  with its ``DISTLoss`` on the same recorders, weights and tau (its
  teacher runs ``mode='loss'``);
* (f) the teacher work d cannot skip: the truncated forward-only teacher
  pass of d alone, in inference mode, on d's inputs (a two-stage teacher
  scores the student's RoIs of d's last step). ``a + f`` is the floor of
  d at the teacher's precision, and ``(a + f) / c`` the lowest d / c that
  any algorithm running this teacher can reach; (fg) is f with the
  teacher's feature extractor frozen into a TorchScript graph optimised for
  inference (BatchNorm folded into convolutions, oneDNN weights packed
  once), to show what fp32 graph optimisation would save. TorchScript is
  deprecated in torch 2.x: this is measured, not offered as an option.

All models are built first and timed round-robin (one iteration of each
per round, so that the machine's speed drifts hit all alike); peak memory
is measured in a second process (on CPU one started with glibc serving
large blocks by ``mmap``, so that resident memory follows live tensors).
It prints medians over ``--reps`` rounds and the ratios d / (a + b) (the
physical limit is 1.0) and d / c, for a detection pair (Faster R-CNN
R-101 -> R-50, ``configs/faster-rcnn``) and a segmentation pair (PSPNet
R-101-D8 -> R-18-D8, ``configs/pspnet``) at resolutions scaled to fit a
CPU, with random weights. Each pair runs in its own process.
``--device cuda`` runs it on a GPU (the detection pair needs mmcv built
with CUDA ops).

``tools/analysis_tools/benchmark_distill.py`` runs it from the command line.
"""
import copy
import json
import os.path as osp
import subprocess
import sys
import warnings
from typing import Callable, Dict, List, Optional, Sequence

import torch

from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmengine.registry import DefaultScope
from mmrazor.registry import MODELS

from ..algorithms import build_model, build_teacher_pass
from ..utils.paths import mim_dir
from .measure import exact_rss_env, measure_peaks, time_interleaved

BN = dict(type='BN', requires_grad=True)
# the package's configs of each pair ({method}: dist or distplus), built with
# their student and teacher at benchmark size and with random weights
CONFIG_DIR = mim_dir('configs')
# the segmentation student: BN for SyncBN; the preprocessor pads training
# batches to its crop size: make that the benchmark size, so that every
# variant sees the same pixels
PSPNET_R18 = dict(
    pretrained=None,
    backbone=dict(norm_cfg=BN),
    decode_head=dict(norm_cfg=BN),
    auxiliary_head=dict(norm_cfg=BN),
    data_preprocessor=dict(size=(256, 512)))
BENCHMARK_PAIRS = {
    'det':
    dict(
        config='faster-rcnn/{method}_faster-rcnn_r101-fpn_faster-rcnn_r50-'
        'fpn_2x_coco.py',
        student='mmdet::faster_rcnn/faster-rcnn_r50_fpn_2x_coco.py',
        override=dict(backbone=dict(init_cfg=None)),
        size=(384, 640)),
    'seg':
    dict(
        config='pspnet/{method}_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_'
        'cityscapes-512x1024.py',
        student='mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py',
        override=PSPNET_R18,
        size=(256, 512)),
    # stronger teachers of other families (docs/en/user_guides/
    # stronger_teachers.md): a query-based and a DETR-family teacher
    'mask2former':
    dict(
        config='pspnet/{method}_mask2former_swin-l_pspnet_r18-d8_4xb2-80k_'
        'cityscapes-512x1024.py',
        student='mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py',
        override=PSPNET_R18,
        # Swin-L and the pixel decoder keep their LN / GN; the teacher's
        # preprocessor pads to its crop size too
        teacher_override=dict(
            backbone=dict(init_cfg=None),
            data_preprocessor=dict(size=(256, 512))),
        size=(256, 512),
        # MMRazor's DISTLoss compares logits of one shape: it cannot meet
        # the teacher's stride-4 target with the student's stride-8 logits
        mmrazor=False),
    'dino':
    dict(
        config='retinanet/{method}_dino-5scale_swin-l_retinanet_r50-fpn_2x_'
        'coco.py',
        student='mmdet::retinanet/retinanet_r50_fpn_2x_coco.py',
        override=dict(backbone=dict(init_cfg=None)),
        size=(384, 640),
        # MMRazor's teacher runs DINO's loss, whose pre_decoder calls the
        # recorded classifier once on the flattened memory of all levels:
        # its records are not the per-level maps the losses read
        mmrazor=False),
}


def batch_for(kind: str, size, num_images: int = 2) -> Dict:
    """A synthetic training batch of ``num_images`` at ``size`` (CPU
    tensors; each model's data preprocessor moves them to its device)."""
    if kind in ('det', 'dino'):
        from dist_mm.testing import det_batch
        batch = det_batch(num_images, size=size[0], num_classes=80)
        # the detector sees a rectangular image of the requested size
        for i, img in enumerate(batch['inputs']):
            batch['inputs'][i] = torch.nn.functional.interpolate(
                img[None].float(), size=size).to(torch.uint8)[0]
            batch['data_samples'][i].set_metainfo(
                dict(
                    img_shape=size,
                    ori_shape=size,
                    pad_shape=size,
                    batch_input_shape=size))
        return batch
    from dist_mm.testing import seg_batch
    return seg_batch(num_images, size=size)


def package_model(pair: Dict, method: str, **options) -> Dict:
    """The model of the package's ``method`` config of ``pair``
    (``DISTPlusDistill``), with ``options`` (e.g. ``truncate_teacher``) set
    and the benchmark's overrides on student and teacher."""
    path = osp.join(CONFIG_DIR, pair['config'].format(method=method))
    model = Config.fromfile(path).model.to_dict()
    model.update(
        options,
        teacher_ckpt=None,  # random: see calibrate_bn
        architecture=dict(cfg_path=pair['student'], override=pair['override']),
        teacher=dict(
            model['teacher'],
            override=pair.get('teacher_override', pair['override'])))
    return model


def mmrazor_model(model: Dict) -> Dict:
    """(c): ``model`` (a package DIST config) as MMRazor runs it: its
    ``SingleTeacherDistill`` and ``DISTLoss`` on the same recorders, the
    same loss weights and tau."""
    model = copy.deepcopy(model)
    distiller = model['distiller']
    for name, loss in distiller['distill_losses'].items():
        assert loss['type'] == 'DISTLogitLoss', (name, loss)
        distiller['distill_losses'][name] = dict(
            type='DISTLoss',
            tau=loss.get('tau', 1.0),
            loss_weight=loss.get('loss_weight', 1.0))
        # MMRazor's DISTLoss names its arguments logits_S / logits_T
        mapping = distiller['loss_forward_mappings'][name]
        distiller['loss_forward_mappings'][name] = dict(
            logits_S=mapping['preds_S'], logits_T=mapping['preds_T'])
    # MMRazor builds cfg_path models itself, without overrides
    return dict(
        type='SingleTeacherDistill',
        distiller=distiller,
        architecture=build_model(model['architecture']),
        teacher=build_model(model['teacher']))


def initialised(model: torch.nn.Module) -> torch.nn.Module:
    """``model`` after ``init_weights()``, as the Runner gives it: some
    parameters are allocated uninitialised until then (DINO's and
    Deformable DETR's ``level_embed``), and may hold NaN."""
    model.init_weights()
    return model


def calibrate_bn(model: torch.nn.Module, batch: Dict) -> None:
    """Give BatchNorm layers the running statistics of the batch.

    Randomly initialised networks in eval mode (the teacher) otherwise let
    activations shrink into the subnormal range through 50-100 layers, where
    CPU arithmetic is several times slower: timings would measure float
    underflow, not the algorithm. A trained teacher does not do that.
    """
    norms = [
        m for m in model.modules()
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
    ]
    was_training = model.training
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the calibration pass
    model.train()
    data = model.data_preprocessor(copy.copy(batch), False)
    with torch.no_grad():
        if hasattr(model, 'roi_head'):
            model.extract_feat(data['inputs'])
        else:
            build_teacher_pass(model)(data['inputs'], {})
    for m in norms:
        m.momentum = 0.1
    model.train(was_training)


def train_step(model, batch) -> Callable[[], None]:
    params = [p for p in model.parameters() if p.requires_grad]
    optim = OptimWrapper(torch.optim.SGD(params, lr=1e-4, momentum=0.9))
    model.train()
    return lambda: model.train_step(copy.copy(batch), optim)


def teacher_only(model, batch) -> Callable[[], None]:
    model.eval()
    # training-mode preprocessing: the very inputs of the distillation step
    data = model.data_preprocessor(copy.copy(batch), True)
    run = build_teacher_pass(model)  # once, outside the timed step

    def step():
        with torch.inference_mode():
            if hasattr(model, 'roi_head'):
                model.predict(data['inputs'], data['data_samples'])
            else:
                run(data['inputs'], {})

    return step


def teacher_floor(model, batch) -> Callable[[], None]:
    """(f): only the teacher pass of ``DISTPlusDistill`` ``model``, without
    student or losses, in inference mode; a two-stage teacher scores the
    student RoIs of ``model``'s last training step."""
    data = model.data_preprocessor(copy.copy(batch), True)

    def step():
        with torch.inference_mode():
            model.run_teacher(data['inputs'])

    return step


VARIANTS = {  # name, package config, DISTPlusDistill options
    'c': ('MMRazor SingleTeacherDistill + DISTLoss', 'dist', {}),
    'd': ('dist_mm DISTPlusDistill + DISTLogitLoss', 'dist', {}),
    'd1': ('d, whole teacher pass (no truncation)', 'dist',
           dict(truncate_teacher=False)),
    'd2': ('d + teacher bf16 autocast', 'dist',
           dict(teacher_autocast='bfloat16')),
    'd3': ('d + teacher channels_last', 'dist',
           dict(teacher_channels_last=True)),
    'd4': ('d + teacher fp16 autocast', 'dist',
           dict(teacher_autocast='float16')),
    'd+': ('dist_mm DIST+ (the distplus config)', 'distplus', {}),
}
#: the variants by descriptive name; the letters of :data:`VARIANTS` are the
#: tables' short names and stay accepted as aliases
VARIANT_NAMES = {
    'mmrazor': 'c',
    'dist': 'd',
    'dist-whole-teacher': 'd1',
    'dist-teacher-bf16': 'd2',
    'dist-teacher-channels-last': 'd3',
    'dist-teacher-fp16': 'd4',
    'distplus': 'd+',
}


def variant_keys(names: Sequence[str]) -> List[str]:
    """The letters of variants given by descriptive name or letter."""
    keys = [VARIANT_NAMES.get(name, name) for name in names]
    unknown = [n for n, k in zip(names, keys) if k not in VARIANTS]
    if unknown:
        raise ValueError(f'unknown benchmark variants {unknown}; choose from '
                         f'{list(VARIANT_NAMES)} or their letters '
                         f'{list(VARIANTS)}.')
    return keys


class _Features(torch.nn.Module):
    """``teacher.extract_feat`` as a module, for tracing."""

    def __init__(self, teacher: torch.nn.Module) -> None:
        super().__init__()
        self.teacher = teacher

    def forward(self, inputs: torch.Tensor):
        return self.teacher.extract_feat(inputs)


def frozen_graph_floor(model, batch) -> Callable[[], None]:
    """(fg): :func:`teacher_floor` with the teacher's feature extractor
    frozen into an inference-optimised TorchScript graph (on a copy)."""
    data = model.data_preprocessor(copy.copy(batch), True)
    teacher = copy.deepcopy(model.teacher).eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore')  # TorchScript's deprecation
        traced = torch.jit.trace(
            _Features(teacher), data['inputs'], check_trace=False)
        teacher.extract_feat = torch.jit.optimize_for_inference(
            torch.jit.freeze(traced.eval()))
    run = build_teacher_pass(teacher, model.teacher_pass.sources)

    def step():
        with torch.inference_mode():
            run(data['inputs'], model.student_rois)

    return step


# what d's teacher pass costs alone, built from the d model
FLOORS = {
    'f': ("d's teacher pass alone (inference)", teacher_floor),
    'fg': ('f, feature extractor as frozen TorchScript', frozen_graph_floor)
}


def pair_settings(kind: str,
                  size: Optional[Sequence[int]] = None,
                  batch: int = 2) -> Dict:
    """:data:`BENCHMARK_PAIRS` ``[kind]`` at ``size`` (default: the pair's
    own) with ``batch`` images per training batch."""
    pair = dict(copy.deepcopy(BENCHMARK_PAIRS[kind]), kind=kind, batch=batch)
    if size:
        pair['size'] = tuple(size)
        for override in ('override', 'teacher_override'):
            preprocessor = pair.get(override, {}).get('data_preprocessor')
            if preprocessor:  # pads to its size
                preprocessor['size'] = pair['size']
    return pair


def build_steps(pair: Dict,
                variants: List[str],
                device: str = 'cpu') -> Dict[str, Callable[[], None]]:
    """Build every model of the pair (:func:`pair_settings`): one step
    function per variant, besides ``a`` and ``b``."""
    batch = batch_for(pair['kind'], pair['size'], pair['batch'])
    if 'c' in variants and not pair.get('mmrazor', True):
        print(
            '(c) left out: MMRazor cannot run this teacher (see '
            'dist_mm.benchmarks.distill.BENCHMARK_PAIRS)',
            flush=True)
        variants = [v for v in variants if v != 'c']
    torch.manual_seed(0)
    plain = package_model(pair, 'dist')
    student = initialised(build_model(plain['architecture'])).to(device)
    teacher = initialised(build_model(plain['teacher'])).to(device)
    calibrate_bn(teacher, batch)
    steps = {
        'a': train_step(student, batch),
        'b': teacher_only(teacher, batch)
    }
    for key in variants:
        _, method, options = VARIANTS[key]
        cfg = package_model(pair, method, **options)
        model = MODELS.build(mmrazor_model(cfg) if key == 'c' else cfg)
        initialised(model).to(device)
        calibrate_bn(model.teacher, batch)
        steps[key] = train_step(model, batch)
        if key == 'd':  # after d in each round: d's last student RoIs
            for name, (_, floor) in FLOORS.items():
                try:
                    steps[name] = floor(model, batch)
                except Exception as error:  # e.g. TorchScript cannot trace
                    print(
                        f'({name}) left out: {type(error).__name__}: '
                        f'{str(error).splitlines()[0][:200]}',
                        flush=True)
    return steps


def report(t: Dict[str, Dict], variants: List[str]) -> None:
    """Print times, peaks and the ratios to the limit, to c and the floor
    (of the variants timed: a pair MMRazor cannot run has no c)."""
    variants = [key for key in variants if key in t]
    names = dict(
        a='student alone',
        b='teacher forward (inference)',
        **{key: VARIANTS[key][0]
           for key in variants})
    names.update({key: FLOORS[key][0] for key in FLOORS if key in t})
    for key, name in names.items():
        print(f'  {key:<3}{name:<42}{t[key]["time"]:>8.3f} s'
              f'{t[key]["peak"]:>9.0f} MiB')
    limit = t['a']['time'] + t['b']['time']
    for key in variants:
        line = f'  {key:<3} / (a + b) = {t[key]["time"] / limit:.3f}'
        if 'c' in t:
            line += (f'   {key:<3} / c = '
                     f'{t[key]["time"] / t["c"]["time"]:.3f}   '
                     f'peak {key:<3} / c = '
                     f'{t[key]["peak"] / max(t["c"]["peak"], 1):.2f}')
        print(line, flush=True)
    for key in FLOORS:
        if key not in t:
            continue
        floor = t['a']['time'] + t[key]['time']
        line = f'  floor a + {key:<2} = {floor:.3f} s   d / (a + {key}) = ' \
               f'{t["d"]["time"] / floor:.3f}'
        if 'c' in t:
            line += f'   lowest d / c: (a + {key}) / c = ' \
                    f'{floor / t["c"]["time"]:.3f}'
        print(line, flush=True)


def benchmark_pair(kind: str,
                   variants: List[str],
                   reps: int = 3,
                   device: str = 'cpu',
                   size: Optional[Sequence[int]] = None,
                   batch: int = 2,
                   peaks_only: bool = False) -> Dict[str, Dict]:
    """Time every variant of one pair round-robin, measure the peaks in a
    second process, print the report and return the figures.

    Args:
        kind: A key of :data:`BENCHMARK_PAIRS`: ``'det'``, ``'seg'``, or a
            stronger teacher's pair, ``'mask2former'`` or ``'dino'``.
        variants: Keys of :data:`VARIANTS` to time besides ``a`` and ``b``
            (with ``d``, also the floors ``f`` and ``fg``).
        reps: Rounds; times are their medians.
        device: ``'cpu'`` or a CUDA device.
        size: ``(H, W)`` of the images (default: the pair's own).
        batch: Images per training batch.
        peaks_only: Only measure and return the peaks (the second
            process's work).

    Returns:
        dict: ``{variant: {'time': s, 'peak': MiB}}`` (``{variant: MiB}``
        with ``peaks_only``).
    """
    DefaultScope.get_instance('benchmark_distill', scope_name='mmrazor')
    pair = pair_settings(kind, size, batch)
    if peaks_only:
        return measure_peaks(build_steps(pair, variants, device), device)
    where = torch.cuda.get_device_name(device) \
        if device.startswith('cuda') else \
        f'CPU, {torch.get_num_threads()} threads'
    print(
        f'torch {torch.__version__}, {where}, batch of {batch}, '
        f'medians of {reps} rounds',
        flush=True)
    print(f'\n{kind}: configs/{pair["config"]} at {pair["size"]}', flush=True)
    times = time_interleaved(build_steps(pair, variants, device), reps, device)
    call = (f'benchmark_pair({kind!r}, {list(variants)!r}, device={device!r},'
            f' size={size!r}, batch={batch}, peaks_only=True)')
    peaks = _in_new_process(call, exact_rss_env())
    figures = {key: dict(time=times[key], peak=peaks[key]) for key in times}
    report(figures, variants)
    return figures


def _in_new_process(call: str, env: Optional[Dict[str, str]] = None):
    """The JSON value of ``call`` (of this module) in a fresh process,
    after printing what the process printed."""
    code = ('import json; import dist_mm; '
            'from dist_mm.benchmarks.distill import benchmark_pair; '
            f'print(json.dumps({call}))')
    lines = subprocess.run([sys.executable, '-c', code],
                           check=True,
                           stdout=subprocess.PIPE,
                           text=True,
                           env=env).stdout.strip().splitlines()
    if lines[:-1]:
        print('\n'.join(lines[:-1]), flush=True)
    return json.loads(lines[-1])


def run_distill_benchmark(pairs: Sequence[str] = ('det', 'seg'),
                          variants: Sequence[str] = tuple(VARIANTS),
                          reps: int = 3,
                          device: str = 'cpu',
                          size: Optional[Sequence[int]] = None,
                          batch: int = 2) -> None:
    """:func:`benchmark_pair` for each of ``pairs``, each in a process of
    its own (a fresh allocator), printing its report; ``variants`` by
    descriptive name (:data:`VARIANT_NAMES`) or letter."""
    variants = variant_keys(variants)
    if device.startswith('cuda') and not torch.cuda.is_available():
        raise RuntimeError(f'device {device!r}: torch {torch.__version__} '
                           'sees no CUDA device here.')
    if len(pairs) == 1:
        benchmark_pair(pairs[0], list(variants), reps, device, size, batch)
        return
    for kind in pairs:
        _in_new_process(f'benchmark_pair({kind!r}, {list(variants)!r}, '
                        f'{reps}, {device!r}, {size!r}, {batch})')
