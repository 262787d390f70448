"""debLoRA (stage 3): a second LoRA ``g_phi`` on the LoRA-adapted backbone ``f_theta``, trained so
that its features match the calibrated features ``z_tilde`` of :mod:`.calibration`.

The three stages, one command each (see ``configs/deblora/README.md``):

1. LoRA fine-tuning of the backbone (``ImageClassifier`` with a ``LoRAModel`` backbone);
2. clustering + calibration of the adapted training features
   (``tools/deblora/cluster_features.py`` writes a calibration ``.npz``);
3. debLoRA: this model, ``min E ||g_phi(x) - z_tilde(x)||^2``; labels only pick the target.

Its backbone is exported with ``tools/model_converters/export_lora_backbone.py`` and evaluated by a
linear probe with per-group macro-F1 (:class:`mmrsfm.evaluation.LongTailF1`).
"""
from __future__ import annotations

import copy
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.runner import load_checkpoint
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn

from .calibration import Calibration
from .lora_merge import merge_lora


def _module_cfg(backbone: dict) -> dict:
    """The plain backbone config inside a ``LoRAModel`` config (or the config itself)."""
    cfg = copy.deepcopy(dict(backbone))
    return dict(cfg['module']) if cfg.get('type') == 'LoRAModel' else cfg


@MODELS.register_module()
class DebLoRA(BaseModel):
    """De-biased LoRA: learn ``g_phi`` so that ``g_phi(x)`` matches the calibrated ``z_tilde``.

    Args:
        backbone: Config of the stage-1 backbone, usually
            ``dict(type='LoRAModel', module=dict(type='VisionTransformer', ...), ...)``; its
            ``init_cfg`` loads the pretrained (foundation-model) weights.
        adapted_checkpoint: Stage-1 checkpoint (``backbone.*`` keys: the LoRA weights ``theta``).
            ``None`` uses ``backbone`` as built (e.g. when resuming from a stage-3 checkpoint).
        calibration: Calibration file from stage 2 (de-biased centres and alphas).
        lora: ``g_phi``: ``dict(alpha=..., rank=..., targets=[dict(type='qkv')], drop_rate=...)``.
        data_preprocessor: Defaults to ``ClsDataPreprocessor``.

    The frozen teacher ``f_theta`` (LoRA merged into the base weights) gives ``z`` (B, C); the
    student is ``f_theta`` with the new LoRA; the loss is the MSE between the student's last output
    (B, C) and ``alpha_y z + (1 - alpha_y) mu_hat_y``.
    """

    def __init__(self,
                 backbone: dict,
                 calibration: str,
                 lora: dict,
                 adapted_checkpoint: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='ClsDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            data_preprocessor.setdefault('type', 'ClsDataPreprocessor')
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)

        adapted = MODELS.build(backbone)
        if adapted_checkpoint is not None:
            load_checkpoint(adapted, adapted_checkpoint, map_location='cpu', strict=False,
                            revise_keys=[(r'^backbone\.', '')])
        teacher = merge_lora(adapted)
        teacher.requires_grad_(False)
        teacher.eval()  # (some mmpretrain backbones' train() returns None, so no chaining)
        self.teacher = teacher

        student_cfg = dict(type='LoRAModel', module=dict(_module_cfg(backbone), init_cfg=None),
                           **lora)
        self.student = MODELS.build(student_cfg)
        _load_base_weights(self.student.module, self.teacher.state_dict())

        calib = Calibration.load(calibration)
        self.register_buffer('centres', torch.as_tensor(calib.centres, dtype=torch.float32))
        self.register_buffer('alpha', torch.as_tensor(calib.alpha, dtype=torch.float32))
        self.calibration_file = calibration

    def train(self, mode: bool = True) -> 'DebLoRA':
        super().train(mode)
        self.teacher.eval()  # f_theta is fixed: no dropout / drop-path noise in the targets
        return self

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Student features ``g_phi(x)``, (B, C)."""
        return _last(self.student(inputs))

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor') -> Union[torch.Tensor, Dict[str, torch.Tensor]]:
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs)
        raise ValueError(f'DebLoRA supports mode "loss" and "tensor", not {mode!r}: evaluate the '
                         'exported backbone with the linear-probe config instead')

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        labels = torch.cat([sample.gt_label for sample in data_samples]).to(inputs.device)
        with torch.no_grad():
            z = _last(self.teacher(inputs))
            if z.shape[-1] != self.centres.shape[-1]:
                raise ValueError(f'{self.calibration_file}: centres have {self.centres.shape[-1]} '
                                 f'channels, the backbone gives {z.shape[-1]}')
            alpha = self.alpha[labels].unsqueeze(1)
            target = alpha * z + (1 - alpha) * self.centres[labels]
        return dict(loss_deblora=F.mse_loss(self.extract_feat(inputs), target))

    def merged_backbone(self) -> nn.Module:
        """The de-biased backbone ``g_phi`` merged into plain layers (a copy)."""
        return merge_lora(copy.deepcopy(self.student))


def _last(outputs) -> torch.Tensor:
    return outputs[-1] if isinstance(outputs, (tuple, list)) else outputs


def _load_base_weights(lora_module: nn.Module, plain_state: Dict[str, torch.Tensor]) -> None:
    """Copy a plain module's weights into the same module with LoRA layers inserted."""
    own = lora_module.state_dict()
    mapped = {}
    for key in own:
        if '.lora_' in key:
            continue
        plain_key = key.replace('.original_layer.', '.')
        if plain_key not in plain_state:
            raise KeyError(f'{key} of the LoRA student has no counterpart {plain_key} in f_theta')
        mapped[key] = plain_state[plain_key]
    missing = set(plain_state) - {k.replace('.original_layer.', '.') for k in mapped}
    if missing:
        raise KeyError(f'f_theta weights not used by the student: {sorted(missing)[:5]}')
    lora_module.load_state_dict(mapped, strict=False)
