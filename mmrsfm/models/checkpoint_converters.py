"""Key conversion of foreign ViT checkpoints to mmpretrain's ``VisionTransformer`` names.

- timm-style checkpoints (the authors' SelectiveMAE / MAE releases) to ``VisionTransformer`` /
  SelectiveMAE names, and extraction of the ViT encoder of any such (or mmpretrain) checkpoint
  for the downstream benchmarks, with position-embedding resizing;
- the image tower of open_clip / OpenAI CLIP checkpoints (``visual.*``) to a pre-norm
  ``VisionTransformer`` (:func:`convert_openclip_visual`);
- SatMAE's fMoW-RGB releases, pretraining or fine-tuning (:func:`convert_satmae`);
- :func:`load_foreign_checkpoint`, which reads such files without full unpickling.
"""
from __future__ import annotations

import argparse
import math
import os
import re
import zipfile
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


# open_clip / OpenAI CLIP image tower (``visual.*``) -> pre-norm mmpretrain VisionTransformer.
# ``class_embedding`` (C,) and ``positional_embedding`` (L, C) gain leading unit dimensions.
_OPENCLIP_RULES = [
    (r'^conv1\.weight$', 'patch_embed.projection.weight'),
    (r'^class_embedding$', 'cls_token'),
    (r'^positional_embedding$', 'pos_embed'),
    (r'^ln_pre\.(weight|bias)$', r'pre_norm.\1'),
    (r'^transformer\.resblocks\.(\d+)\.ln_1\.(weight|bias)$', r'layers.\1.ln1.\2'),
    (r'^transformer\.resblocks\.(\d+)\.ln_2\.(weight|bias)$', r'layers.\1.ln2.\2'),
    # nn.MultiheadAttention stacks the q, k and v projections in this order along the output
    # dimension, as mmpretrain's qkv Linear does: the tensors carry over unchanged.
    (r'^transformer\.resblocks\.(\d+)\.attn\.in_proj_(weight|bias)$', r'layers.\1.attn.qkv.\2'),
    (r'^transformer\.resblocks\.(\d+)\.attn\.out_proj\.(weight|bias)$',
     r'layers.\1.attn.proj.\2'),
    (r'^transformer\.resblocks\.(\d+)\.mlp\.c_fc\.(weight|bias)$', r'layers.\1.ffn.layers.0.0.\2'),
    (r'^transformer\.resblocks\.(\d+)\.mlp\.c_proj\.(weight|bias)$', r'layers.\1.ffn.layers.1.\2'),
    (r'^ln_post\.(weight|bias)$', r'ln1.\1'),
]


def convert_openclip_visual(
        state_dict: Dict[str, torch.Tensor],
        backbone_prefix: str = 'backbone.') -> Tuple['OrderedDict[str, torch.Tensor]', List[str]]:
    """Rename the image tower of an open_clip (or OpenAI CLIP) ViT to mmpretrain names.

    The target is mmpretrain's ``VisionTransformer`` with ``pre_norm=True`` (``ln_pre``; no
    patch-embedding bias), ``final_norm=True`` (``ln_post``) and ``out_type='cls_token'``, the
    CLIP image feature before its projection. Its LayerNorms need ``eps=1e-5`` (``nn.LayerNorm``'s
    default, which CLIP uses) and its MLP the tower's activation: ``GELU`` for open_clip's
    ``ViT-B-16`` (LAION weights), ``QuickGELU`` for OpenAI's weights and open_clip's
    ``*-quickgelu`` models; the weights do not tell which.

    Key mapping (``N`` a block index): ``visual.conv1.weight`` -> ``patch_embed.projection
    .weight``; ``visual.class_embedding`` (C,) -> ``cls_token`` (1, 1, C);
    ``visual.positional_embedding`` (L, C) -> ``pos_embed`` (1, L, C); ``visual.ln_pre`` ->
    ``pre_norm``; ``visual.transformer.resblocks.N.{ln_1, attn.in_proj_weight/bias,
    attn.out_proj, ln_2, mlp.c_fc, mlp.c_proj}`` -> ``layers.N.{ln1, attn.qkv.weight/bias,
    attn.proj, ln2, ffn.layers.0.0, ffn.layers.1}``; ``visual.ln_post`` -> ``ln1``. The
    projection ``visual.proj`` (C, D), the text tower and ``logit_scale`` are left out and
    reported unused. Wrappers ``state_dict`` / ``model`` and a ``module.`` prefix are removed; a
    bare image-tower state dict (``conv1.weight``... without ``visual.``) is accepted too.

    Args:
        state_dict (dict[str, torch.Tensor]): The open_clip state dict, or a checkpoint
            wrapping it under ``state_dict`` or ``model``.
        backbone_prefix (str): Prefix of the converted keys. Defaults to ``'backbone.'``.

    Returns:
        tuple[OrderedDict[str, torch.Tensor], list[str]]: The converted state dict and the
        source keys left out.

    Raises:
        ValueError: If no CLIP image tower (``visual.*``, or a bare tower with ``conv1``)
            or none of its blocks (``transformer.resblocks.N``) is found.

    Examples:
        >>> state = {'visual.class_embedding': torch.zeros(8),
        ...          'visual.transformer.resblocks.0.attn.in_proj_weight': torch.zeros(24, 8),
        ...          'visual.proj': torch.zeros(8, 4), 'logit_scale': torch.zeros(())}
        >>> converted, unused = convert_openclip_visual(state)
        >>> {k: tuple(v.shape) for k, v in converted.items()}, unused
        ({'backbone.cls_token': (1, 1, 8), 'backbone.layers.0.attn.qkv.weight': (24, 8)}, \
['visual.proj', 'logit_scale'])
    """
    state = _unwrap(state_dict)
    if any(k.startswith('visual.') for k in state):
        tower = 'visual.'
    elif 'conv1.weight' in state:  # a bare image tower: model.visual.state_dict()
        tower = ''
    else:
        raise ValueError('no CLIP image tower (visual.conv1.weight, visual.transformer...) '
                         f'found; first keys: {list(state)[:6]}')
    converted: 'OrderedDict[str, torch.Tensor]' = OrderedDict()
    unused = []
    for key, value in state.items():
        new = _apply(_OPENCLIP_RULES, key[len(tower):]) if key.startswith(tower) else None
        if new is None:
            unused.append(key)
            continue
        if new == 'cls_token':
            value = value.reshape(1, 1, -1)
        elif new == 'pos_embed':
            value = value.unsqueeze(0)
        converted[backbone_prefix + new] = value
    if not any(k.startswith(backbone_prefix + 'layers.') for k in converted):
        raise ValueError('no CLIP image-tower block (visual.transformer.resblocks.N.*) found; '
                         f'first keys: {list(state)[:6]}')
    return converted, unused


#: SatMAE keys dropped on purpose: the MAE decoder of its pretraining checkpoints and the
#: fMoW classifier of its fine-tuned ones.
_SATMAE_DROPPED = re.compile(r'^(decoder_.*|mask_token|head\.(weight|bias))$')


def convert_satmae(
    state_dict: Dict[str, torch.Tensor],
    backbone_prefix: str = 'backbone.'
) -> Tuple['OrderedDict[str, torch.Tensor]', List[str], List[str], str]:
    """Rename a SatMAE fMoW-RGB (non-temporal) ViT checkpoint to mmpretrain names.

    SatMAE's releases are MAE / timm-style state dicts under ``model`` (beside ``optimizer``,
    ``epoch``, ``scaler`` and ``args``): the pretraining one (``fmow_pretrain.pth``,
    ``MaskedAutoencoderViT``) holds the encoder with its final ``norm`` and the MAE decoder
    (``decoder_embed``, ``decoder_blocks.N``, ``decoder_norm``, ``decoder_pred``,
    ``decoder_pos_embed``, ``mask_token``); the fine-tuned one (``fmow_finetune.pth``,
    ``global_pool=True``) holds the encoder with ``fc_norm`` instead of ``norm`` and the
    classifier ``head``. The encoder keys are mapped as in :func:`convert_timm_vit`
    (``norm`` -> ``ln1``, ``fc_norm`` -> ``ln2``); decoder and classifier are dropped.

    The matching backbone: ``VisionTransformer`` arch ``'l'``, patch 16, LayerNorm eps 1e-6
    (mmpretrain's default, SatMAE's); for ``'pretrain'`` weights ``out_type='cls_token'``
    (the cls token after ``norm``, the feature the debLoRA authors take), for ``'finetune'``
    weights ``final_norm=False, out_type='avg_featmap'`` (mean of the patch tokens, then
    ``fc_norm``, as SatMAE's classifier).

    Args:
        state_dict (dict[str, torch.Tensor]): The SatMAE checkpoint (or its ``model`` dict).
        backbone_prefix (str): Prefix of the converted keys. Defaults to ``'backbone.'``.

    Returns:
        tuple[OrderedDict[str, torch.Tensor], list[str], list[str], str]: The converted state
        dict, the dropped decoder / classifier keys, the other source keys left out (expected
        empty) and the layout found, ``'pretrain'`` or ``'finetune'``.

    Raises:
        ValueError: If the checkpoint has no ``patch_embed.proj.weight`` / ViT blocks (e.g.
            SatMAE's group-channel multispectral or temporal models, whose patch embeddings
            differ) or neither ``norm`` nor ``fc_norm``.

    Examples:
        >>> state = {'model': {'patch_embed.proj.weight': torch.zeros(8, 3, 2, 2),
        ...                    'blocks.0.attn.qkv.weight': torch.zeros(24, 8),
        ...                    'norm.weight': torch.ones(8), 'mask_token': torch.zeros(1)}}
        >>> converted, dropped, other, layout = convert_satmae(state)
        >>> sorted(converted), dropped, other, layout
        (['backbone.layers.0.attn.qkv.weight', 'backbone.ln1.weight', \
'backbone.patch_embed.projection.weight'], ['mask_token'], [], 'pretrain')
    """
    state = _unwrap(state_dict)
    if 'patch_embed.proj.weight' not in state:
        raise ValueError("no patch_embed.proj.weight: not SatMAE's RGB ViT layout (the "
                         'group-channel and temporal models embed patches differently); '
                         f'first keys: {list(state)[:6]}')
    converted, unused = convert_timm_vit(state, backbone_prefix=backbone_prefix,
                                         neck_prefix=None)
    if backbone_prefix + 'ln1.weight' in converted:
        layout = 'pretrain'
    elif backbone_prefix + 'ln2.weight' in converted:
        layout = 'finetune'
    else:
        raise ValueError('neither norm.* (pretraining) nor fc_norm.* (fine-tuning, global '
                         'pool) found: not a SatMAE ViT checkpoint')
    dropped = [k for k in unused if _SATMAE_DROPPED.match(k)]
    other = [k for k in unused if not _SATMAE_DROPPED.match(k)]
    return converted, dropped, other, layout


def _is_torchscript(path: str) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.split('/', 1)[-1].startswith('code/') for name in archive.namelist())


def load_foreign_checkpoint(path: str, unsafe: bool = False) -> Dict:
    """Read a released checkpoint without unpickling arbitrary objects.

    ``.safetensors`` files are read with safetensors; anything else with
    ``torch.load(weights_only=True)``, where ``argparse.Namespace`` (the ``args`` entry of MAE /
    SatMAE / SelectiveMAE training checkpoints) is allowed as well. TorchScript archives
    (OpenAI's CLIP ``*.pt`` files) hold code that ``torch.jit.load`` compiles and may run
    (``__setstate__``), so they are read (their ``state_dict()``) only with ``unsafe=True``.

    Args:
        path (str): The checkpoint file.
        unsafe (bool): Unpickle everything (``weights_only=False``) and load TorchScript
            archives; only for trusted files. Defaults to False.

    Returns:
        dict: The loaded checkpoint (a state dict for TorchScript and safetensors files).

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        ValueError: If weights-only loading refuses the file or it is a TorchScript archive
            and ``unsafe`` is False (the message names it and the ``--unsafe-load-checkpoint``
            way out), or a ``.safetensors`` file is given without the safetensors package.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f'{path}: no such file')
    if path.endswith('.safetensors'):
        try:
            from safetensors.torch import load_file
        except ImportError as err:
            raise ValueError(f'{path}: reading .safetensors files needs the safetensors package '
                             '(pip install safetensors), or convert the .bin release') from err
        return dict(load_file(path, device='cpu'))
    if _is_torchscript(path):
        if not unsafe:
            raise ValueError(
                f'{path}: a TorchScript archive (OpenAI CLIP .pt files are): loading it compiles '
                'and can run the code it holds. Convert open_clip\'s state-dict release '
                '(open_clip_pytorch_model.bin) instead, or pass --unsafe-load-checkpoint if you '
                'trust the file')
        return dict(torch.jit.load(path, map_location='cpu').state_dict())
    if unsafe:
        return torch.load(path, map_location='cpu', weights_only=False)
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            return torch.load(path, map_location='cpu', weights_only=True)
    except Exception as err:
        # torch's message is long; its unpickler line names the refused object.
        reason = str(err).split('WeightsUnpickler error: ')[-1].splitlines()[0]
        raise ValueError(f'{path}: weights-only loading refused the file ({reason}). If you '
                         'trust it, add --unsafe-load-checkpoint.') from err
