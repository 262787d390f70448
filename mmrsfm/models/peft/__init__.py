"""Parameter-efficient adaptation: debLoRA on top of mmpretrain's LoRA."""
from .calibration import (Calibration, ClusterState, calibration_alpha, class_groups,
                          cluster_features, debias, min_cluster_size)
from .deblora import DebLoRA, DebLoRAStateError, deblora_init_state
from .lora_merge import merge_lora, merged_linear

__all__ = [
    'Calibration', 'ClusterState', 'calibration_alpha', 'class_groups', 'cluster_features',
    'debias', 'min_cluster_size', 'DebLoRA', 'DebLoRAStateError', 'deblora_init_state',
    'merge_lora', 'merged_linear'
]
