"""Key conversion of timm-style ViT checkpoints (the authors' SelectiveMAE / MAE releases) to
mmpretrain's ``VisionTransformer`` / SelectiveMAE names, and extraction of the ViT encoder of any
such (or mmpretrain) checkpoint for the downstream benchmarks, with position-embedding resizing."""
from __future__ import annotations

import math
import re
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F

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
    # Global-pool classifiers (timm / MAE fine-tuning): the norm after average pooling.
    (r'^fc_norm\.(weight|bias)$', r'ln2.\1'),
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


def convert_timm_vit(
        state_dict: Dict[str, torch.Tensor],
        backbone_prefix: str = 'backbone.',
        neck_prefix: str = 'neck.') -> Tuple['OrderedDict[str, torch.Tensor]', List[str]]:
    """Rename a timm-style (MAE / SelectiveMAE) state dict to mmpretrain names.

    Encoder keys go under ``backbone_prefix``; the CrossMAE-style decoder (blocks with
    ``cross_attn.{q,kv,proj}``, ``norm1/2``, ``mlp.fc1/fc2``; mask token; position embedding with
    its cls row dropped, since the decoder has no cls query; final norm; pixel predictor) goes
    under ``neck_prefix`` (``None`` drops it). Wrappers ``model`` / ``state_dict``
    and a ``module.`` prefix are unwrapped.

    Args:
        state_dict (dict[str, torch.Tensor]): The timm-style state dict, or a checkpoint
            wrapping it under ``model`` or ``state_dict``.
        backbone_prefix (str): Prefix of the converted encoder keys. Defaults to
            ``'backbone.'``.
        neck_prefix (str, optional): Prefix of the converted decoder keys; None leaves the
            decoder out (its keys are then reported unused). Defaults to ``'neck.'``.

    Returns:
        tuple[OrderedDict[str, torch.Tensor], list[str]]: The converted state dict and the
        source keys left unused (e.g. training leftovers, or a decoder with self-attention in
        its blocks).

    Raises:
        ValueError: If no timm-style ViT block is found.

    Examples:
        >>> state = {'blocks.0.attn.qkv.weight': torch.zeros(6, 2), 'head.weight': torch.zeros(1)}
        >>> converted, unused = convert_timm_vit(state)
        >>> list(converted), unused
        (['backbone.layers.0.attn.qkv.weight'], ['head.weight'])
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


def interpolate_pos_embed(pos_embed: torch.Tensor,
                          dst_grid: Tuple[int, int],
                          src_grid: Optional[Tuple[int, int]] = None,
                          num_extra_tokens: int = 1,
                          mode: str = 'bicubic') -> torch.Tensor:
    """Resize a ViT position embedding ``(1, E + h * w, C)`` to another patch grid.

    The ``E`` extra-token rows (cls) are kept as they are; the grid part is resized with
    ``F.interpolate(mode, align_corners=False)`` in float32 (what mmpretrain does at run time).

    Args:
        pos_embed (torch.Tensor): The position embedding (1, E + h * w, C).
        dst_grid (tuple[int, int]): Target patch grid ``(rows, cols)``, e.g. ``(50, 50)`` for
            800 px and patch 16.
        src_grid (tuple[int, int], optional): Source grid ``(h, w)``. Defaults to None (the
            square grid its length implies).
        num_extra_tokens (int): Leading rows that are not grid positions (``E``: 1 for a cls
            token, 0 for none). Defaults to 1.
        mode (str): ``F.interpolate`` mode. Defaults to ``'bicubic'``.

    Returns:
        torch.Tensor: The embedding (1, E + rows * cols, C) in the input dtype; the input
        itself when the grids are equal.

    Raises:
        ValueError: If ``pos_embed`` is not 3-D or its length does not fit ``src_grid``.

    Examples:
        >>> interpolate_pos_embed(torch.rand(1, 1 + 14 * 14, 8), (50, 50)).shape
        torch.Size([1, 2501, 8])
    """
    if pos_embed.ndim != 3:
        raise ValueError(f'pos_embed must be (1, L, C), got shape {tuple(pos_embed.shape)}')
    num_grid = pos_embed.shape[1] - num_extra_tokens
    if src_grid is None:
        side = int(round(math.sqrt(num_grid)))
        src_grid = (side, side)
    if src_grid[0] * src_grid[1] != num_grid:
        raise ValueError(f'pos_embed has {num_grid} grid rows, not a {src_grid[0]}x{src_grid[1]} '
                         'grid; pass src_grid')
    if tuple(src_grid) == tuple(dst_grid):
        return pos_embed
    extra, grid = pos_embed[:, :num_extra_tokens], pos_embed[:, num_extra_tokens:]
    grid = grid.reshape(1, src_grid[0], src_grid[1], -1).permute(0, 3, 1, 2)
    grid = F.interpolate(grid.float(), size=tuple(dst_grid), mode=mode, align_corners=False)
    grid = grid.flatten(2).transpose(1, 2).to(pos_embed.dtype)
    return torch.cat((extra, grid), dim=1)


def _unwrap(checkpoint: Dict) -> Dict[str, torch.Tensor]:
    for wrapper in ('state_dict', 'model', 'module'):
        if wrapper in checkpoint and isinstance(checkpoint[wrapper], dict):
            checkpoint = checkpoint[wrapper]
    return OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v)
                       for k, v in checkpoint.items() if isinstance(v, torch.Tensor))


def convert_vit_to_benchmark(
        checkpoint: Dict,
        dst_grid: Optional[Tuple[int, int]] = None
) -> Tuple['OrderedDict[str, torch.Tensor]', List[str], str]:
    """Extract the ViT encoder of a checkpoint in mmpretrain ``VisionTransformer`` names.

    Understands the authors' timm-style releases (``blocks.N.attn.qkv``...; MAE / SelectiveMAE
    pretraining or fine-tuned classifiers), mmpretrain / mmrsfm runner checkpoints whose ViT sits
    under ``backbone.`` (classifiers, MAE, SelectiveMAE) and bare mmpretrain ViT state dicts.
    Wrappers (``state_dict`` / ``model``) and a ``module.`` prefix are removed.

    Args:
        checkpoint (dict): The loaded checkpoint file.
        dst_grid (tuple[int, int], optional): Resize ``pos_embed`` to this patch grid
            ``(rows, cols)`` (cls row kept). Defaults to None (kept as it is).

    Returns:
        tuple[OrderedDict[str, torch.Tensor], list[str], str]: The encoder state dict (keys
        without prefix, e.g. ``layers.0.attn.qkv.weight``), the source keys left out
        (decoders, heads, optimiser leftovers) and the detected format (``'timm'``,
        ``'mmpretrain'`` or ``'mmpretrain-backbone'``).

    Raises:
        ValueError: If no ViT encoder is found in any of these forms.
    """
    state = _unwrap(checkpoint)
    if any(re.match(r'^blocks\.\d+\.attn\.qkv\.', k) for k in state):
        fmt = 'timm'
        encoder, unused = convert_timm_vit(state, backbone_prefix='', neck_prefix=None)
    elif any(re.match(r'^backbone\.layers\.\d+\.', k) for k in state):
        fmt = 'mmpretrain'
        encoder = OrderedDict((k[len('backbone.'):], v) for k, v in state.items()
                              if k.startswith('backbone.'))
        unused = [k for k in state if not k.startswith('backbone.')]
    elif any(re.match(r'^layers\.\d+\.attn\.qkv\.', k) for k in state):
        fmt = 'mmpretrain-backbone'
        encoder, unused = OrderedDict(state), []
    else:
        raise ValueError('no ViT encoder found: expected timm keys (blocks.N.attn.qkv...), '
                         'mmpretrain keys under backbone. (backbone.layers.N...) or bare '
                         f'mmpretrain keys (layers.N...); first keys: {list(state)[:6]}')
    if dst_grid is not None and 'pos_embed' in encoder:
        encoder['pos_embed'] = interpolate_pos_embed(encoder['pos_embed'], dst_grid)
    return encoder, unused, fmt
