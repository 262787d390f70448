"""Object features for debLoRA on detection: a feature map pooled inside ground-truth boxes.

Classification debLoRA calibrates one feature per image (the ViT's class token). For detection
the unit is the object: each ground-truth box (rotated ``(cx, cy, w, h, t)`` or horizontal
``(x1, y1, x2, y2)``, in input pixels) is pooled from a backbone feature map with mmcv's
``RoIAlignRotated`` (a ``k x k`` grid of bilinear samples inside the box) and the grid is
averaged into one ``C``-vector. Stage 2 clusters these vectors, stage 3 regresses the student's
pooled features onto their calibrated targets (:class:`~mmrsfm.models.peft.DetDebLoRA`).
"""
from __future__ import annotations

from typing import Sequence, Tuple, Union

import torch
from mmcv.ops import RoIAlignRotated

#: ``RoIAlignRotated`` settings of the pooling: a 7 x 7 grid, 2 x 2 samples per bin, angles
#: clockwise. Our choice: those of mmrotate's rotated RoI extractor (Oriented R-CNN configs,
#: ``roi_layer=dict(type='RoIAlignRotated', out_size=7, sample_num=2, clockwise=True)``), so the
#: boxes' angles are read as mmrotate's detectors read them.
DEFAULT_POOL = dict(output_size=7, sampling_ratio=2, clockwise=True)


def box_tensor(boxes: Union[torch.Tensor, object]) -> torch.Tensor:
    """The boxes of one image as an ``(n, 5)`` ``(cx, cy, w, h, t)`` tensor (pixels, radians).

    Args:
        boxes (torch.Tensor | BaseBoxes): ``(n, 5)`` rotated boxes, ``(n, 4)`` horizontal
            ``(x1, y1, x2, y2)`` boxes (given angle 0), or mmdet / mmrotate box objects
            (``RotatedBoxes``, ``HorizontalBoxes``) holding either.

    Returns:
        torch.Tensor: ``(n, 5)`` rotated boxes, float.

    Raises:
        ValueError: The boxes are neither ``(n, 4)`` nor ``(n, 5)``.
    """
    tensor = getattr(boxes, 'tensor', boxes)
    tensor = torch.as_tensor(tensor).float()
    if tensor.ndim != 2 or tensor.shape[1] not in (4, 5):
        raise ValueError(f'object boxes must be (n, 4) horizontal or (n, 5) rotated, got shape '
                         f'{tuple(tensor.shape)}')
    if tensor.shape[1] == 4:
        x1, y1, x2, y2 = tensor.unbind(1)
        tensor = torch.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1,
                              torch.zeros_like(x1)], 1)
    return tensor


def backbone_stride(backbone: torch.nn.Module) -> int:
    """Pixels per cell of a ViT's feature maps: its patch size.

    Args:
        backbone (torch.nn.Module): An mmpretrain ``VisionTransformer`` (or a ViT subclass), or a
            ``LoRAModel`` around one.

    Returns:
        int: The stride of the patch embedding.

    Raises:
        ValueError: The backbone has no ``patch_embed.projection`` (not a ViT).
    """
    module = getattr(backbone, 'module', backbone)  # LoRAModel wraps the ViT
    projection = getattr(getattr(module, 'patch_embed', None), 'projection', None)
    if projection is None:
        raise ValueError(f'{type(module).__name__} has no patch_embed.projection: give the '
                         "stride (pixels per cell) of its last feature map")
    return int(projection.stride[0])


def pool_object_features(feature_map: torch.Tensor,
                         boxes: Sequence[Union[torch.Tensor, object]],
                         stride: float,
                         output_size: Union[int, Tuple[int, int]] = DEFAULT_POOL['output_size'],
                         sampling_ratio: int = DEFAULT_POOL['sampling_ratio'],
                         clockwise: bool = DEFAULT_POOL['clockwise']) -> torch.Tensor:
    """One feature per box: ``RoIAlignRotated`` of the box on ``feature_map``, grid-averaged.

    Box coordinates are input pixels; the map has stride ``stride`` (pixel ``(x, y)`` is at
    ``(x / stride - 0.5, y / stride - 0.5)`` in map cells, mmcv's ``aligned=True``). Gradients
    flow back to ``feature_map``.

    Args:
        feature_map (torch.Tensor): ``(B, C, H, W)`` features of the ``B`` images.
        boxes (Sequence[torch.Tensor | BaseBoxes]): ``B`` entries, the boxes of each image
            (any form :func:`box_tensor` reads).
        stride (float): Pixels per feature-map cell (e.g. the ViT's patch size).
        output_size (int | tuple[int, int]): Side ``k`` of the ``k x k`` grid of bins, or its
            ``(rows, columns)``: rows along the box's height, columns along its width.
            Defaults to 7.
        sampling_ratio (int): Bilinear samples per grid bin and axis. Defaults to 2.
        clockwise (bool): Angles are clockwise (mmrotate's convention). Defaults to True.

    Returns:
        torch.Tensor: ``(M, C)`` features of the ``M`` boxes, in image order then box order.

    Raises:
        ValueError: ``len(boxes)`` differs from the batch size.

    Examples:
        >>> import torch
        >>> fmap = torch.arange(16.).view(1, 1, 4, 4)  # value 4 y + x at cell (y, x)
        >>> box = torch.tensor([[8., 8., 16., 16., 0.]])  # cells 0..1 x 0..1 at stride 8
        >>> pool_object_features(fmap, [box], stride=8, output_size=2, sampling_ratio=1)
        tensor([[2.5000]])
    """
    if len(boxes) != len(feature_map):
        raise ValueError(f'pool_object_features: {len(boxes)} box sets for a batch of '
                         f'{len(feature_map)} feature maps')
    rois = [torch.cat([box.new_full((len(box), 1), float(i)), box], 1)
            for i, box in enumerate(box_tensor(b).to(feature_map.device) for b in boxes)]
    rois = torch.cat(rois) if rois else feature_map.new_zeros((0, 6))
    if len(rois) == 0:
        return feature_map.new_zeros((0, feature_map.shape[1]))
    pool = RoIAlignRotated(output_size, 1.0 / stride, sampling_ratio, aligned=True,
                           clockwise=clockwise)
    return pool(feature_map, rois.to(feature_map.dtype)).mean(dim=(2, 3))
