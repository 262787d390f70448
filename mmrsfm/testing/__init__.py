"""Tiny synthetic datasets in real remote-sensing on-disk formats, and tiny runs of real configs,
for the tests and the quick start."""
from .rs_formats import (DOTA_CLASSES, LOVEDA_CLASSES, write_dior, write_dota, write_loveda,
                         write_scene_folder)
from .tiny_runs import TASK_CONFIGS, TASK_METRICS, make_tiny_config, write_tiny_data

__all__ = [
    'DOTA_CLASSES', 'LOVEDA_CLASSES', 'write_dior', 'write_dota', 'write_loveda',
    'write_scene_folder', 'TASK_CONFIGS', 'TASK_METRICS', 'make_tiny_config', 'write_tiny_data'
]
from .samrs_format import write_samrs, write_samrs_subsets  # noqa: E402
__all__ += ['write_samrs', 'write_samrs_subsets']
from .pretrain_runs import (make_tiny_sep_config, selectivemae_cfg_options,  # noqa: E402
                            write_tiny_opticalrs, write_tiny_sep_data)
__all__ += [
    'make_tiny_sep_config', 'selectivemae_cfg_options', 'write_tiny_opticalrs',
    'write_tiny_sep_data'
]
