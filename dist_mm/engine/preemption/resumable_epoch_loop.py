"""An epoch-based training loop that resumes inside an epoch."""
import torch

from mmengine.logging import print_log
from mmengine.registry import LOOPS
from mmengine.runner import EpochBasedTrainLoop


@LOOPS.register_module()
class ResumableEpochBasedTrainLoop(EpochBasedTrainLoop):
    """mmengine's ``EpochBasedTrainLoop`` that also resumes mid-epoch.

    mmengine's loop restarts the resumed epoch from its first batch, which
    is right for the checkpoints it saves at epoch ends but repeats (and
    miscounts) the iterations of a checkpoint saved inside an epoch, such
    as :class:`~dist_mm.engine.PreemptionCheckpointHook` writes when a
    cluster job is interrupted. This loop skips the batches of the resumed
    epoch that the checkpoint has already trained on, by drawing them from
    the dataloader (as mmengine's ``IterBasedTrainLoop`` does on resume), so
    the data order and the data pipeline's random draws are those of an
    uninterrupted run. Otherwise it is the same loop: ``tools/train.py``
    uses it in place of ``EpochBasedTrainLoop``.
    """

    def run_epoch(self) -> None:
        """Iterate one epoch, or what a mid-epoch checkpoint left of it."""
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        done = self._iter - self._epoch * len(self.dataloader)
        if done > 0:
            print_log(
                f'Resuming inside epoch {self._epoch + 1}: skipping the '
                f'{done} of {len(self.dataloader)} batches it has already '
                'trained on',
                logger='current')
        with torch.random.fork_rng(devices=[]):
            batches = iter(self.dataloader)
        for idx, data_batch in enumerate(batches):
            if idx >= done:
                self.run_iter(idx, data_batch)
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1
