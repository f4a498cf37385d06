from .atomic_save import (ATOMIC_BACKEND_ARGS, AtomicLocalBackend,
                          atomic_write_bytes)
from .hooks import (AcclimationWarmupHook, ParamSyncCheckHook,
                    PreemptionCheckpointHook, RNGStateHook, TeacherGuardHook,
                    check_params_in_sync)
from .optim_wrappers import (AMP_INIT_SCALE, CPUAmpOptimWrapper,
                             amp_optim_wrapper)
from .preemption import (EXIT_INTERRUPTED, INTERRUPTED_MARKER,
                         PREEMPTION_SIGNALS, ResumableEpochBasedTrainLoop,
                         TrainingInterrupted, find_resumable_checkpoint,
                         restart_reason, signal_safe_worker_init)

__all__ = [
    'AtomicLocalBackend', 'ATOMIC_BACKEND_ARGS', 'atomic_write_bytes',
    'AcclimationWarmupHook', 'ParamSyncCheckHook', 'PreemptionCheckpointHook',
    'RNGStateHook', 'TeacherGuardHook', 'check_params_in_sync',
    'CPUAmpOptimWrapper', 'AMP_INIT_SCALE', 'amp_optim_wrapper',
    'ResumableEpochBasedTrainLoop', 'EXIT_INTERRUPTED', 'INTERRUPTED_MARKER',
    'TrainingInterrupted', 'find_resumable_checkpoint', 'restart_reason',
    'signal_safe_worker_init', 'PREEMPTION_SIGNALS'
]
