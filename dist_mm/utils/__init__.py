"""Helpers shared by the package's tools."""
from .benchmark import exact_rss_env, measure, measure_peaks, time_interleaved
from .config import check_data_roots, check_work_dir, load_tool_config

__all__ = [
    'measure', 'time_interleaved', 'measure_peaks', 'exact_rss_env',
    'load_tool_config', 'check_data_roots', 'check_work_dir'
]
