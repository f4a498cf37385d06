from .hooks import (ParamSyncCheckHook, RNGStateHook, TeacherGuardHook,
                    check_params_in_sync)
from .optim_wrappers import CPUAmpOptimWrapper

__all__ = [
    'ParamSyncCheckHook', 'RNGStateHook', 'TeacherGuardHook',
    'check_params_in_sync',
    'CPUAmpOptimWrapper'
]
