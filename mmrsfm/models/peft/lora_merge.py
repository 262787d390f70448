"""Folding mmpretrain LoRA layers into their base weights, for inference and export."""
from __future__ import annotations

import torch
from mmpretrain.models.peft import LoRAModel
from mmpretrain.models.peft.lora import LoRALinear
from torch import nn


@torch.no_grad()
def merged_linear(layer: LoRALinear) -> nn.Linear:
    """A plain ``nn.Linear`` computing what ``layer`` computes in eval mode.

    ``W = W_0 + (alpha / r) * B A`` with ``A`` = ``lora_down`` (r, in), ``B`` = ``lora_up`` (out, r).
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

    A ``LoRAModel`` is unwrapped to the module it adapts. Returns the merged module; its
    parameters keep their ``requires_grad`` flags from the base layers.
    """
    if isinstance(model, LoRAModel):
        model = model.module
    for name, child in list(model.named_modules()):
        for attr, sub in list(child.named_children()):
            if isinstance(sub, LoRALinear):
                setattr(child, attr, merged_linear(sub))
    return model
