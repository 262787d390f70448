"""Metric functions without state: the DOTA patch merge and DOTA task-1 evaluation.

The stateful metric :class:`mmrsfm.evaluation.DOTAMergedMetric` and the command-line tools
(``tools/dataset_converters/dota_merge.py``) both call these functions.
"""
from .dota_eval import (eval_dota_task1, load_dota_ground_truth, load_task1_detections,
                        match_detections, polygon_ious)
from .dota_merge import (RESULTS_GLOBALS, detections_from_results, load_results,
                         merge_patch_detections, parse_patch_name, patch_boxes_to_image,
                         to_quadrilaterals, write_task1_files)

__all__ = [
    'eval_dota_task1', 'load_dota_ground_truth', 'load_task1_detections', 'match_detections',
    'polygon_ious', 'RESULTS_GLOBALS', 'detections_from_results', 'load_results',
    'merge_patch_detections', 'parse_patch_name', 'patch_boxes_to_image', 'to_quadrilaterals',
    'write_task1_files'
]
