"""Evaluate a checkpoint of a dist_mm (or any OpenMMLab) config.

Used directly, by ``tools/dist_test.sh`` / ``tools/slurm_test.sh`` and by
``mim test dist_mm CONFIG --checkpoint CKPT``; see ``dist_mm.apis.test``.
"""
from dist_mm.apis import test

if __name__ == '__main__':
    test()
