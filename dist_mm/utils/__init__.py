"""Helpers shared by the package's tools."""
from .config import check_data_roots, check_work_dir, load_tool_config

__all__ = ['load_tool_config', 'check_data_roots', 'check_work_dir']
