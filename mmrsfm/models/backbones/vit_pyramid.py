"""A plain ViT as a multi-scale backbone for detection and segmentation.

mmpretrain's ``VisionTransformer`` (same parameter names, so mmpretrain / MAE / SelectiveMAE
checkpoints load with ``prefix='backbone.'``) whose chosen blocks are turned into a stride
4 / 8 / 16 / 32 pyramid by mmseg's ``Feature2Pyramid`` (deconv x2, deconv, identity, max-pool).

Registered in the ``MODELS`` registries of mmdet, mmrotate, mmseg and mmpretrain by
:func:`mmrsfm.registry.register_in_toolboxes`, so ``type='ViTPyramid'`` resolves in a config of
any of the four toolboxes.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple, Union

import torch
from mmpretrain.models.backbones import VisionTransformer
from mmpretrain.models.backbones.vision_transformer import TransformerEncoderLayer
from mmseg.registry import MODELS
from torch.utils.checkpoint import checkpoint

from mmrsfm.registry import register_in_toolboxes

#: Default blocks (0-based) feeding the pyramid, by ViT depth: ViT-B [3, 5, 7, 11] and
#: ViT-L [7, 11, 15, 23], as in the downstream recipes of the RS foundation-model papers.
DEFAULT_OUT_INDICES: Dict[int, Tuple[int, ...]] = {12: (3, 5, 7, 11), 24: (7, 11, 15, 23)}
#: Rescale sets mmseg's Feature2Pyramid implements (feature stride 16 -> strides 4..32 or 8..64).
_RESCALES = ((4, 2, 1, 0.5), (2, 1, 0.5, 0.25))


@register_in_toolboxes('MODELS')
class ViTPyramid(VisionTransformer):
    """Plain ViT backbone returning a feature pyramid, for any input size.

    The position embedding is stored for ``img_size`` (set it to the training crop) and
    bicubically resized to the actual patch grid at every forward, so inputs of any height and
    width work (sides that are not a multiple of the patch size are padded by the patch
    embedding). A checkpoint with another grid is resized when loaded.

    The transformer runs mmpretrain's own ``VisionTransformer.forward`` (``out_type='featmap'``
    at ``out_indices``); mmseg's ``Feature2Pyramid`` then rescales the maps.

    Args:
        arch (str | dict): mmpretrain ViT architecture name (``'base'``, ``'large'``...) or a
            dict with ``embed_dims``, ``num_layers``, ``num_heads``, ``feedforward_channels``.
            Defaults to ``'base'``.
        img_size (int | Sequence[int]): Training input size (pixels) the stored position
            embedding covers. Defaults to 224.
        patch_size (int): Patch size (pixels); the ViT feature stride. Defaults to 16.
        out_indices (Sequence[int], optional): Blocks whose outputs form the pyramid, finest
            first (negative indices count from the end). Defaults to None
            (:data:`DEFAULT_OUT_INDICES` for 12- and 24-block ViTs; required otherwise).
        rescales (Sequence[float]): Scale factor of each output relative to the ViT feature
            map, ``(4, 2, 1, 0.5)`` (strides 4/8/16/32 for patch 16) or ``(2, 1, 0.5, 0.25)``.
            Defaults to ``(4, 2, 1, 0.5)``.
        pyramid_norm_cfg (dict): Norm layer between the two deconvolutions of the x4 branch.
            Defaults to ``dict(type='BN', requires_grad=True)``.
        with_cp (bool): Activation checkpointing of the transformer blocks in training (saves
            memory for ViT-L, costs one extra forward of each block). Defaults to False.
        final_norm (bool): Apply the ViT's final LayerNorm (``ln1``) to the last block's
            output. Off by default, as in MAE-style dense fine-tuning; a checkpoint's ``ln1`` is
            then reported as unexpected and ignored. Defaults to False.
        **kwargs: Other ``VisionTransformer`` arguments (``drop_path_rate``, ``frozen_stages``,
            ``init_cfg``...).

    Shapes:
        Input ``(B, 3, H, W)``; output a tuple of ``len(out_indices)`` maps
        ``(B, C, ceil(H / p) * r, ceil(W / p) * r)`` for each rescale ``r`` (max-pool floors).

    Examples:
        >>> import torch
        >>> from mmseg.registry import MODELS
        >>> import mmrsfm.models  # noqa: F401
        >>> model = MODELS.build(dict(
        ...     type='ViTPyramid', img_size=64, out_indices=[0, 1, 2, 3],
        ...     arch=dict(embed_dims=32, num_layers=4, num_heads=2, feedforward_channels=64)))
        >>> [tuple(f.shape) for f in model(torch.rand(1, 3, 64, 96))]
        [(1, 32, 16, 24), (1, 32, 8, 12), (1, 32, 4, 6), (1, 32, 2, 3)]
    """

    def __init__(self,
                 arch: Union[str, dict] = 'base',
                 img_size: Union[int, Sequence[int]] = 224,
                 patch_size: int = 16,
                 out_indices: Optional[Sequence[int]] = None,
                 rescales: Sequence[float] = (4, 2, 1, 0.5),
                 pyramid_norm_cfg: dict = dict(type='BN', requires_grad=True),
                 with_cp: bool = False,
                 final_norm: bool = False,
                 **kwargs) -> None:
        if kwargs.pop('out_type', 'featmap') != 'featmap':
            raise ValueError('ViTPyramid always outputs feature maps (out_type="featmap")')
        super().__init__(arch=arch, img_size=img_size, patch_size=patch_size, out_indices=-1,
                         out_type='featmap', final_norm=final_norm, **kwargs)
        if out_indices is None:
            if self.num_layers not in DEFAULT_OUT_INDICES:
                raise ValueError(f'ViTPyramid: give out_indices for a {self.num_layers}-block '
                                 f'ViT (defaults exist for {sorted(DEFAULT_OUT_INDICES)} blocks)')
            out_indices = DEFAULT_OUT_INDICES[self.num_layers]
        out_indices = [i + self.num_layers if i < 0 else i for i in out_indices]
        if any(not 0 <= i < self.num_layers for i in out_indices) or \
                list(out_indices) != sorted(set(out_indices)):
            raise ValueError(f'ViTPyramid: out_indices {list(out_indices)} must be increasing '
                             f'block indices in [0, {self.num_layers})')
        if tuple(rescales) not in _RESCALES or len(rescales) != len(out_indices):
            raise ValueError(f'ViTPyramid: rescales {list(rescales)} must be one of '
                             f'{[list(r) for r in _RESCALES]} with one entry per out index '
                             f'({len(out_indices)} given)')
        self.out_indices = list(out_indices)
        self.rescales = tuple(rescales)
        self.with_cp = with_cp
        if with_cp:
            for layer in self.layers:  # same parameters and names, checkpointed forward
                layer.__class__ = _CheckpointedEncoderLayer
        # Reused from mmseg through the registry: builds from an mmdet/mmrotate/mmpretrain
        # scope as well.
        self.pyramid = MODELS.build(
            dict(type='mmseg.Feature2Pyramid', embed_dim=self.embed_dims,
                 rescales=list(rescales), norm_cfg=pyramid_norm_cfg))

    @property
    def strides(self) -> Tuple[int, ...]:
        """tuple[int, ...]: Output strides in pixels (e.g. ``(4, 8, 16, 32)`` for patch 16)."""
        patch = self.patch_embed.projection.stride[0]
        return tuple(int(round(patch / r)) for r in self.rescales)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """mmpretrain's ``VisionTransformer.forward`` at ``out_indices``, then the pyramid.

        Args:
            x (torch.Tensor): (B, 3, H, W) images, any H and W.

        Returns:
            tuple[torch.Tensor, ...]: One map per rescale ``r``,
            ``(B, C, ceil(H / p) * r, ceil(W / p) * r)`` (max-pool floors), finest first.
        """
        return tuple(self.pyramid(super().forward(x)))


class _CheckpointedEncoderLayer(TransformerEncoderLayer):
    """mmpretrain's ViT encoder layer that recomputes its activations in the backward pass.

    ``ViTPyramid(with_cp=True)`` gives its layers this class, so the parent's forward runs
    unchanged (mmpretrain's layer has no ``with_cp`` of its own). Checkpointing is used in
    training when the input needs a gradient; outputs and gradients are those of the plain layer.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The layer's forward, checkpointed in training.

        Args:
            x (torch.Tensor): (B, L, C) tokens.

        Returns:
            torch.Tensor: (B, L, C) tokens.
        """
        if self.training and x.requires_grad:
            return checkpoint(super().forward, x, use_reentrant=False)
        return super().forward(x)
