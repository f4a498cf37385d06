from .hooks import (AcclimationWarmupHook, ParamSyncCheckHook, RNGStateHook,
                    TeacherGuardHook, check_params_in_sync)
from .optim_wrappers import (AMP_INIT_SCALE, CPUAmpOptimWrapper,
                             amp_optim_wrapper)

__all__ = [
    'AcclimationWarmupHook', 'ParamSyncCheckHook', 'RNGStateHook',
    'TeacherGuardHook', 'check_params_in_sync', 'CPUAmpOptimWrapper',
    'AMP_INIT_SCALE', 'amp_optim_wrapper'
]
