"""The demo's teacher / student pairs, their runs and the ablation rows."""
import os.path as osp
from typing import Dict, List, NamedTuple

from ..utils.paths import mim_dir

CONFIGS = osp.join(mim_dir('configs'), 'demo')
WORK = 'work_dirs/demo'
SEG_DATA, DET_DATA = 'data/synthetic_cityscapes', 'data/synthetic_coco'
# val images per dataset (DemoOptions.num_val): the box mAP of 64 images of
# 1-4 objects moves as much as a seed; a mIoU counts every pixel
NUM_VAL = dict(seg=64, det=256)
DEFAULT_SCENE = 'streets'  # written to SEG_DATA, where the configs read it


class Pair(NamedTuple):
    """A teacher / student pair of the demo."""
    task: str  # 'seg' or 'det'
    config: str  # configs/demo/{<config>-r50_teacher,<config>-r18_student}
    title: str  # of the models, e.g. 'PSPNet'
    metric: str  # the tables' metric, a key of tools/test.py's metrics
    teacher_ckpt: str  # where the distillation demo configs read it
    student: str = 'R-18 (w16)'  # the student's backbone, for the tables
    # a teacher of another family: its demo config and its table row
    teacher_config: str = ''
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
        # a teacher of another family: 'mask2former-pspnet' -> 'pspnet'
        student = self.config.split('-', 1)[1] \
            if self.teacher_config else self.config
        return dict(
            teacher=self.teacher_config
            or f'{self.config}-r50_teacher_demo.py',
            baseline=f'{student}-r18_student_demo.py',
            dist=f'dist_{self.config}_demo.py',
            distplus=f'distplus_{self.config}_demo.py')


PAIRS = {
    'pspnet':
    Pair('seg', 'pspnet', 'PSPNet', 'mIoU', f'{WORK}/teacher.pth'),
    'retinanet':
    Pair('det', 'retinanet', 'RetinaNet', 'coco/bbox_mAP',
         f'{WORK}/retinanet_teacher.pth'),
    'faster-rcnn':
    Pair('det', 'faster-rcnn', 'Faster R-CNN', 'coco/bbox_mAP',
         f'{WORK}/faster_rcnn_teacher.pth', 'R-18 (w8)'),
    'mask2former':
    Pair(
        'seg',
        'mask2former-pspnet',
        'PSPNet',
        'mIoU',
        f'{WORK}/mask2former_teacher.pth',
        teacher_config='mask2former-r50_teacher_demo.py',
        teacher_title='Mask2Former R-50 (w16) teacher',
        opt_in=True),
    'dino':
    Pair(
        'det',
        'dino-retinanet',
        'RetinaNet',
        'coco/bbox_mAP',
        f'{WORK}/dino_teacher.pth',
        teacher_config='dino-r50_teacher_demo.py',
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
    losses = Config.fromfile(osp.join(CONFIGS, config)).model.distiller \
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
