"""Turn a distillation checkpoint into a plain student checkpoint, which
loads strictly into the student's own mmdet / mmseg config::

    python tools/model_converters/convert_to_student.py \\
        work_dirs/distplus_xxx/iter_80000.pth student.pth
    mim run dist_mm convert_to_student work_dirs/.../iter_80000.pth student.pth
"""
import argparse

from dist_mm.utils.student_checkpoint import save_student

if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='distillation checkpoint')
    parser.add_argument('dst', help='output student checkpoint')
    args = parser.parse_args()
    count = save_student(args.src, args.dst)
    print(f'saved {count} student tensors to {args.dst}')
