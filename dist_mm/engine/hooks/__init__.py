"""mmengine hooks of dist_mm, one per file, registered in ``HOOKS``."""
from .acclimation_warmup_hook import AcclimationWarmupHook
from .param_sync_check_hook import ParamSyncCheckHook, check_params_in_sync
from .preemption_checkpoint_hook import PreemptionCheckpointHook
from .rng_state_hook import RNGStateHook
from .teacher_guard_hook import TeacherGuardHook
from .utils import unwrapped

__all__ = [
    'AcclimationWarmupHook', 'ParamSyncCheckHook', 'PreemptionCheckpointHook',
    'RNGStateHook', 'TeacherGuardHook', 'check_params_in_sync', 'unwrapped'
]
