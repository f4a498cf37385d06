"""Helpers shared by the package's tools."""
from .benchmark import exact_rss_peaks, measure, measure_interleaved
from .config import check_data_roots, check_work_dir, load_tool_config

__all__ = [
    'measure', 'measure_interleaved', 'exact_rss_peaks', 'load_tool_config',
    'check_data_roots', 'check_work_dir'
]
