from .hooks import ParamSyncCheckHook, RNGStateHook, check_params_in_sync
from .optim_wrappers import CPUAmpOptimWrapper

__all__ = [
    'ParamSyncCheckHook', 'RNGStateHook', 'check_params_in_sync',
    'CPUAmpOptimWrapper'
]
