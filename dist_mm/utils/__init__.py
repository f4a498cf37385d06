"""Helpers shared by the package's tools."""
from .benchmark import measure
from .config import load_tool_config

__all__ = ['measure', 'load_tool_config']
