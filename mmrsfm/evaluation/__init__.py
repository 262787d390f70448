"""Metrics, registered into the registry of the toolbox that evaluates with them."""
from .dota_merged_metric import DOTAMergedMetric
from .feature_geometry import class_distance_report
from .functional import eval_dota_task1
from .grouped_map import GroupedMAPMetric
from .long_tail_f1 import LongTailF1
from .multi_source_iou import MultiSourceIoUMetric

__all__ = ['LongTailF1', 'class_distance_report']
__all__ += ['MultiSourceIoUMetric']
__all__ += ['DOTAMergedMetric', 'eval_dota_task1']
__all__ += ['GroupedMAPMetric']
