from .hooks import ParamSyncCheckHook, check_params_in_sync
from .optim_wrappers import CPUAmpOptimWrapper

__all__ = ['ParamSyncCheckHook', 'check_params_in_sync', 'CPUAmpOptimWrapper']
