"""Key conversion of timm-style ViT checkpoints (the authors' SelectiveMAE / MAE releases) to
mmpretrain's ``VisionTransformer`` / SelectiveMAE names."""
from __future__ import annotations

import re
from collections import OrderedDict
from typing import Dict, List, Tuple

import torch

# timm ViT encoder key patterns -> mmpretrain VisionTransformer keys.
_ENCODER_RULES = [
    (r'^cls_token$', 'cls_token'),
    (r'^pos_embed$', 'pos_embed'),
    (r'^patch_embed\.proj\.(weight|bias)$', r'patch_embed.projection.\1'),
    (r'^blocks\.(\d+)\.norm1\.(weight|bias)$', r'layers.\1.ln1.\2'),
    (r'^blocks\.(\d+)\.norm2\.(weight|bias)$', r'layers.\1.ln2.\2'),
    (r'^blocks\.(\d+)\.attn\.qkv\.(weight|bias)$', r'layers.\1.attn.qkv.\2'),
    (r'^blocks\.(\d+)\.attn\.proj\.(weight|bias)$', r'layers.\1.attn.proj.\2'),
    (r'^blocks\.(\d+)\.mlp\.fc1\.(weight|bias)$', r'layers.\1.ffn.layers.0.0.\2'),
    (r'^blocks\.(\d+)\.mlp\.fc2\.(weight|bias)$', r'layers.\1.ffn.layers.1.\2'),
    (r'^norm\.(weight|bias)$', r'ln1.\1'),
]
# Decoder entries (CrossMAE-style cross-attention decoder, the authors' layout).
_DECODER_RULES = [
    (r'^decoder_blocks\.(\d+)\.(norm1|norm2)\.(weight|bias)$', r'blocks.\1.\2.\3'),
    (r'^decoder_blocks\.(\d+)\.cross_attn\.(q|kv|proj)\.(weight|bias)$',
     r'blocks.\1.cross_attn.\2.\3'),
    (r'^decoder_blocks\.(\d+)\.mlp\.(fc1|fc2)\.(weight|bias)$', r'blocks.\1.mlp.\2.\3'),
    (r'^mask_token$', 'mask_token'),
    (r'^decoder_pos_embed$', 'decoder_pos_embed'),
    (r'^decoder_norm\.(weight|bias)$', r'norm.\1'),
    (r'^decoder_pred\.(weight|bias)$', r'pred.\1'),
]


def _apply(rules, key: str):
    for pattern, repl in rules:
        if re.match(pattern, key):
            return re.sub(pattern, repl, key)
    return None


def convert_timm_vit(state_dict: Dict[str, torch.Tensor],
                     backbone_prefix: str = 'backbone.',
                     neck_prefix: str = 'neck.') -> Tuple['OrderedDict[str, torch.Tensor]', List[str]]:
    """Rename a timm-style (MAE / SelectiveMAE) state dict to mmpretrain names.

    Encoder keys go under ``backbone_prefix``; the CrossMAE-style decoder (blocks with
    ``cross_attn.{q,kv,proj}``, ``norm1/2``, ``mlp.fc1/fc2``; mask token; position embedding with
    its cls row dropped, since the decoder has no cls query; final norm; pixel predictor) goes
    under ``neck_prefix`` (``None`` drops it). Wrappers ``model`` / ``state_dict``
    and a ``module.`` prefix are unwrapped.

    Returns:
        The converted state dict and the source keys left unused (e.g. training leftovers, or a
        decoder with self-attention in its blocks).
    """
    for wrapper in ('model', 'state_dict'):
        if wrapper in state_dict and isinstance(state_dict[wrapper], dict):
            state_dict = state_dict[wrapper]
    converted: 'OrderedDict[str, torch.Tensor]' = OrderedDict()
    unused = []
    for key, value in state_dict.items():
        key = key[len('module.'):] if key.startswith('module.') else key
        new = _apply(_ENCODER_RULES, key)
        if new is not None:
            converted[backbone_prefix + new] = value
            continue
        new = _apply(_DECODER_RULES, key) if neck_prefix is not None else None
        if new is not None:
            if new == 'decoder_pos_embed' and value.shape[1] == int(value.shape[1]**0.5)**2 + 1:
                value = value[:, 1:]
            converted[neck_prefix + new] = value
            continue
        unused.append(key)
    if not any(k.startswith(backbone_prefix + 'layers.') for k in converted):
        raise ValueError('no timm-style ViT block (blocks.N.attn.qkv...) found in the checkpoint')
    return converted, unused
