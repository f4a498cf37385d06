"""Keep torch's random state in checkpoints."""
import torch

from mmengine.dist import all_gather_object
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Store torch's global random state in checkpoints and restore it on
    resume, so that a resumed run draws the same dropout masks (and other
    global-RNG randomness) as an uninterrupted one.

    mmengine checkpoints keep the seed but not the state reached by the
    checkpoint's iteration. The CPU and CUDA states of every rank are saved
    (gathered to the rank that writes the file); numpy / python states are
    not, because mmengine re-draws the skipped data pipeline on resume,
    which reproduces them.
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        state = dict(
            cpu=torch.get_rng_state(),
            cuda=torch.cuda.get_rng_state_all()
            if torch.cuda.is_available() else [])
        checkpoint.setdefault('meta', {})['rng_states'] = \
            all_gather_object(state)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        states = checkpoint.get('meta', {}).get('rng_states')
        if not states:
            runner.logger.warning('RNGStateHook: the checkpoint holds no '
                                  'random state; the resumed run draws '
                                  'different random numbers.')
            return
        rank = runner.rank if runner.rank < len(states) else 0
        torch.set_rng_state(states[rank]['cpu'])
        if torch.cuda.is_available() and states[rank]['cuda']:
            torch.cuda.set_rng_state_all(states[rank]['cuda'])
