"""mmseg's ``Feature2Pyramid`` for a ViT with fewer blocks than pyramid levels."""
from __future__ import annotations

from typing import Sequence, Tuple

import torch
from mmseg.models.necks import Feature2Pyramid

from mmrsfm.registry import register_in_toolboxes


@register_in_toolboxes('MODELS')
class RepeatLastFeature2Pyramid(Feature2Pyramid):
    """``Feature2Pyramid`` that accepts fewer feature maps than rescales.

    mmseg's neck rescales its ``i``-th input by ``rescales[i]`` and needs one input per rescale,
    so a plain ViT must give as many block outputs as there are pyramid levels. A shallower ViT
    (e.g. the 2-block SelectiveMAE CPU encoder under a 4-level detection pyramid) gives fewer:
    here the levels without an input of their own rescale the last one (the deepest block), as
    ViTDet's simple pyramid builds every level from the last map. With one input per rescale
    it is mmseg's neck.

    Args:
        embed_dim (int): Channels of the input maps (the ViT width).
        rescales (Sequence[float]): Scale factor of each level relative to the input maps,
            ``[4, 2, 1, 0.5]`` or ``[2, 1, 0.5, 0.25]``. Defaults to ``[4, 2, 1, 0.5]``.
        norm_cfg (dict): Norm layer between the two deconvolutions of the x4 branch. Defaults to
            ``dict(type='SyncBN', requires_grad=True)`` (mmseg's default).

    Shapes:
        Input 1 to ``len(rescales)`` maps ``(B, C, H, W)``; output ``len(rescales)`` maps
        ``(B, C, H * r, W * r)`` for each rescale ``r`` (max-pool floors).

    Examples:
        >>> import torch
        >>> from mmdet.registry import MODELS
        >>> import mmrsfm.models  # noqa: F401
        >>> neck = MODELS.build(dict(type='RepeatLastFeature2Pyramid', embed_dim=8,
        ...                          rescales=[2, 1, 0.5, 0.25], norm_cfg=dict(type='BN')))
        >>> maps = neck((torch.rand(1, 8, 8, 8), torch.rand(1, 8, 8, 8)))
        >>> [tuple(m.shape) for m in maps]
        [(1, 8, 16, 16), (1, 8, 8, 8), (1, 8, 4, 4), (1, 8, 2, 2)]
    """

    def __init__(self,
                 embed_dim: int,
                 rescales: Sequence[float] = (4, 2, 1, 0.5),
                 norm_cfg: dict = dict(type='SyncBN', requires_grad=True)) -> None:
        super().__init__(embed_dim, rescales=list(rescales), norm_cfg=norm_cfg)

    def forward(self, inputs: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, ...]:
        """Rescale the inputs, the last one also for the levels that have none.

        Args:
            inputs (Sequence[torch.Tensor]): 1 to ``len(rescales)`` maps ``(B, C, H, W)`` of
                the same stride, shallowest first.

        Returns:
            tuple[torch.Tensor, ...]: ``len(rescales)`` maps, finest first.

        Raises:
            ValueError: No input, or more inputs than rescales.
        """
        inputs = list(inputs)
        if not 1 <= len(inputs) <= len(self.rescales):
            raise ValueError(f'RepeatLastFeature2Pyramid: expected 1 to {len(self.rescales)} '
                             f'maps (one per rescale at most), got {len(inputs)}')
        inputs += [inputs[-1]] * (len(self.rescales) - len(inputs))
        return super().forward(inputs)
