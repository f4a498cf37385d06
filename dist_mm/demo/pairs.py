"""The demo's teacher / student pairs, their runs and the ablation rows."""
import os.path as osp
from typing import Dict, List, NamedTuple

from ..utils.paths import mim_dir

CONFIG_DIR = osp.join(mim_dir('configs'), 'demo')
WORK = 'work_dirs/demo'
SEG_DATA, DET_DATA = 'data/synthetic_cityscapes', 'data/synthetic_coco'
# val images per dataset (DemoOptions.num_val): the box mAP of 64 images of
# 1-4 objects moves as much as a seed; a mIoU counts every pixel
NUM_VAL = dict(seg=64, det=256)
DEFAULT_SCENE = 'streets'  # written to SEG_DATA, where the configs read it


class Pair(NamedTuple):
    """A teacher / student pair of the demo, with the demo config of each of
    its runs (in ``configs/demo``)."""
    task: str  # 'seg' or 'det'
    title: str  # of the models, e.g. 'PSPNet'
    metric: str  # the tables' metric, a key of tools/test.py's metrics
    teacher_ckpt: str  # where the distillation demo configs read it
    teacher: str  # the config of each run
    baseline: str
    dist: str
    distplus: str
    student: str = 'R-18 (w16)'  # the student's backbone, for the tables
    # a teacher of another family: its table row
    teacher_title: str = ''
    # run only when asked for by name or with --task stronger (a pair
    # that would lengthen the default demo)
    opt_in: bool = False

    @property
    def data(self) -> str:
        """Where the demo configs read the pair's data."""
        return SEG_DATA if self.task == 'seg' else DET_DATA

    def configs(self) -> Dict[str, str]:
        """Demo config of each run, by run name."""
        return dict(
            teacher=self.teacher,
            baseline=self.baseline,
            dist=self.dist,
            distplus=self.distplus)


PAIRS = {
    'pspnet':
    Pair('seg', 'PSPNet', 'mIoU', f'{WORK}/teacher.pth',
         'pspnet-r50_teacher_demo.py', 'pspnet-r18_student_demo.py',
         'dist_pspnet_demo.py', 'distplus_pspnet_demo.py'),
    'retinanet':
    Pair('det', 'RetinaNet', 'coco/bbox_mAP', f'{WORK}/retinanet_teacher.pth',
         'retinanet-r50_teacher_demo.py', 'retinanet-r18_student_demo.py',
         'dist_retinanet_demo.py', 'distplus_retinanet_demo.py'),
    'faster-rcnn':
    Pair('det', 'Faster R-CNN', 'coco/bbox_mAP',
         f'{WORK}/faster_rcnn_teacher.pth', 'faster-rcnn-r50_teacher_demo.py',
         'faster-rcnn-r18_student_demo.py', 'dist_faster-rcnn_demo.py',
         'distplus_faster-rcnn_demo.py', 'R-18 (w8)'),
    'mask2former':
    Pair(
        'seg',
        'PSPNet',
        'mIoU',
        f'{WORK}/mask2former_teacher.pth',
        'mask2former-r50_teacher_demo.py',
        'pspnet-r18_student_demo.py',
        'dist_mask2former-pspnet_demo.py',
        'distplus_mask2former-pspnet_demo.py',
        teacher_title='Mask2Former R-50 (w16) teacher',
        opt_in=True),
    'dino':
    Pair(
        'det',
        'RetinaNet',
        'coco/bbox_mAP',
        f'{WORK}/dino_teacher.pth',
        'dino-r50_teacher_demo.py',
        'retinanet-r18_student_demo.py',
        'dist_dino-retinanet_demo.py',
        'distplus_dino-retinanet_demo.py',
        teacher_title='DINO R-50 (w16) teacher',
        opt_in=True),
}
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


def ablation_options(config: str, keep: tuple) -> List[str]:
    """``--cfg-options`` that switch off the DIST+ terms not in ``keep``.

    Args:
        config: A DIST+ demo config, relative to ``configs/demo``.
        keep: The terms that stay on: ``'channel'``, ``'spatial'``,
            ``'acclimation'``.
    """
    from mmengine.config import Config
    losses = Config.fromfile(osp.join(CONFIG_DIR, config)).model.distiller \
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
