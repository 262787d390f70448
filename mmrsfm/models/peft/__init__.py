"""Parameter-efficient adaptation: debLoRA on top of mmpretrain's LoRA."""
from .calibration import (Calibration, ClusterState, calibration_alpha, class_groups,
                          cluster_features, debias, min_cluster_size)
from .deblora import DebLoRA, DebLoRAStateError, deblora_init_state
from .det_deblora import DetDebLoRA
from .lora_merge import merge_lora, merged_linear
from .object_features import box_tensor, pool_object_features

__all__ = [
    'Calibration', 'ClusterState', 'calibration_alpha', 'class_groups', 'cluster_features',
    'debias', 'min_cluster_size', 'DebLoRA', 'DebLoRAStateError', 'deblora_init_state',
    'DetDebLoRA', 'merge_lora', 'merged_linear', 'box_tensor', 'pool_object_features'
]
