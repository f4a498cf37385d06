"""Train a dist_mm distillation (or any OpenMMLab) config with mmengine.

Used directly, by ``tools/dist_train.sh`` / ``tools/slurm_train.sh`` and by
``mim train dist_mm CONFIG``; see ``dist_mm.apis.train`` for the flags.
"""
from dist_mm.apis import train

if __name__ == '__main__':
    train()
