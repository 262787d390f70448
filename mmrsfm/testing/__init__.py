"""Tiny synthetic datasets in real remote-sensing on-disk formats, and tiny runs of real configs,
for the tests and the quick start."""
from .pretrain_runs import (make_tiny_sep_config, selectivemae_cfg_options, write_tiny_opticalrs,
                            write_tiny_sep_data)
from .rs_formats import (DOTA_CLASSES, LOVEDA_CLASSES, write_dior, write_dota, write_loveda,
                         write_scene_folder)
from .samrs_format import write_samrs, write_samrs_subsets
from .tiny_runs import TASK_CONFIGS, TASK_METRICS, make_tiny_config, write_tiny_data

__all__ = [
    'DOTA_CLASSES', 'LOVEDA_CLASSES', 'write_dior', 'write_dota', 'write_loveda',
    'write_scene_folder', 'TASK_CONFIGS', 'TASK_METRICS', 'make_tiny_config', 'write_tiny_data',
    'write_samrs', 'write_samrs_subsets', 'make_tiny_sep_config', 'selectivemae_cfg_options',
    'write_tiny_opticalrs', 'write_tiny_sep_data'
]
