"""Folding mmpretrain LoRA layers into their base weights, for inference and export."""
from __future__ import annotations

import torch
from mmpretrain.models.peft import LoRAModel
from mmpretrain.models.peft.lora import LoRALinear
from torch import nn


@torch.no_grad()
def merged_linear(layer: LoRALinear) -> nn.Linear:
    """A plain ``nn.Linear`` computing what ``layer`` computes in eval mode.

    ``W = W_0 + (alpha / r) * B A`` with ``A`` = ``lora_down`` (r, in) and ``B`` = ``lora_up``
    (out, r).

    Args:
        layer (LoRALinear): An mmpretrain LoRA layer.

    Returns:
        nn.Linear: A new layer (same device and dtype) with the merged weight and the base bias.
    """
    base = layer.original_layer
    merged = nn.Linear(base.in_features, base.out_features, bias=base.bias is not None,
                       device=base.weight.device, dtype=base.weight.dtype)
    delta = layer.lora_up.weight @ layer.lora_down.weight * layer.scaling
    merged.weight.copy_(base.weight + delta.to(base.weight.dtype))
    if base.bias is not None:
        merged.bias.copy_(base.bias)
    return merged


def merge_lora(model: nn.Module) -> nn.Module:
    """Replace every ``LoRALinear`` in ``model`` by its merged ``nn.Linear`` (in place).

    Args:
        model (nn.Module): A ``LoRAModel`` (unwrapped to the module it adapts) or any module
            holding ``LoRALinear`` layers.

    Returns:
        nn.Module: The merged module; the merged layers' parameters require gradients (new
        ``nn.Linear``), the others keep their flags.

    Examples:
        >>> from mmengine.logging import MMLogger
        >>> from mmpretrain.registry import MODELS
        >>> _ = MMLogger.get_instance('example', log_level='WARNING')  # no init-weights report
        >>> lora = MODELS.build(dict(
        ...     type='LoRAModel', alpha=4, rank=4, targets=[dict(type='qkv')],
        ...     module=dict(type='VisionTransformer', img_size=32, patch_size=8,
        ...                 arch=dict(embed_dims=64, num_layers=2, num_heads=2,
        ...                           feedforward_channels=128))))
        >>> plain = merge_lora(lora)
        >>> type(plain.layers[0].attn.qkv).__name__
        'Linear'
    """
    if isinstance(model, LoRAModel):
        model = model.module
    for name, child in list(model.named_modules()):
        for attr, sub in list(child.named_children()):
            if isinstance(sub, LoRALinear):
                setattr(child, attr, merged_linear(sub))
    return model
