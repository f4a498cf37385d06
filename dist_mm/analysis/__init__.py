"""Analyses of a teacher / student pair before (or after) a long job."""
from .pair import analyze_pair, target_statistics

__all__ = ['analyze_pair', 'target_statistics']
