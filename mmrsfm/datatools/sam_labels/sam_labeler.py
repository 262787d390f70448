"""Masks from SAM for many prompts of one image: one image embedding, prompts decoded in batches.

Wraps segment-anything's :class:`~segment_anything.SamPredictor`; one mask per prompt
(``multimask_output=False``), as SAMRS generated its labels. Besides boxes and points, the
prompt study of SAMRS (Sec. 2.3 of the paper) gives SAM *mask prompts*: the region enclosed by a
box, as a score map of +1000 inside and -1000 outside (:func:`region_mask_input`), alone or
together with a box and a centre point (:meth:`SamBoxLabeler.predict`).

SAM's mask input lives in the frame of the model input: the image is resized so that its long
side is ``img_size`` (1024), padded at the bottom and right to ``img_size x img_size``, and the
mask input covers that square at a quarter of its resolution (256 x 256, one cell per 4 x 4
input pixels; ``Sam.prompt_encoder.mask_input_size``).
"""
from __future__ import annotations

import os.path as osp
from typing import Iterator, Optional, Sequence, Tuple

import numpy as np
import torch
from segment_anything import SamPredictor, sam_model_registry
from segment_anything.modeling import Sam
from segment_anything.utils.transforms import ResizeLongestSide

SAM_MODEL_TYPES = ('vit_b', 'vit_l', 'vit_h')
#: Score of the mask prompt inside / outside the box region (SAMRS paper, Sec. 2.3).
MASK_PROMPT_VALUE = 1000.0


def region_mask_input(corners: np.ndarray, original_size: Tuple[int, int], img_size: int = 1024,
                      mask_size: Tuple[int, int] = (256, 256),
                      value: float = MASK_PROMPT_VALUE) -> np.ndarray:
    """The mask prompt of a box region: ``+value`` inside, ``-value`` outside, in SAM's frame.

    Cell ``(r, c)`` of the ``mask_size`` grid covers the model-input pixels
    ``[c * sx, (c + 1) * sx) x [r * sy, (r + 1) * sy)`` with ``sx = img_size / mask_size[1]``
    (4 for SAM). Its centre is mapped back to the original image with SAM's own point scaling
    (``x * new_w / W``, ``y * new_h / H`` for the resized size ``(new_h, new_w)`` of
    :class:`~segment_anything.utils.transforms.ResizeLongestSide`), and the cell is inside when
    that point is inside the polygon ``corners`` (boundary included) and inside the resized
    image (the padding is always outside).

    Args:
        corners (np.ndarray): ``(K, 2)`` corners ``x, y`` in original-image pixels of a convex
            region, in order (an H-Box as its 4 corners, or an R-Box).
        original_size (Tuple[int, int]): ``(H, W)`` of the original image.
        img_size (int): Side of SAM's square model input. Defaults to 1024.
        mask_size (Tuple[int, int]): ``(h, w)`` of SAM's mask input. Defaults to (256, 256).
        value (float): Score inside (``-value`` outside). Defaults to
            :data:`MASK_PROMPT_VALUE` (1000, as in the paper).

    Returns:
        np.ndarray: ``mask_size`` float32 score map.
    """
    height, width = original_size
    new_h, new_w = ResizeLongestSide.get_preprocess_shape(height, width, img_size)
    stride_y, stride_x = img_size / mask_size[0], img_size / mask_size[1]
    # Cell centres in the model-input frame, and their points in the original image.
    cx = (np.arange(mask_size[1]) + 0.5) * stride_x
    cy = (np.arange(mask_size[0]) + 0.5) * stride_y
    xs, ys = np.meshgrid(cx * (width / new_w), cy * (height / new_h))
    poly = np.asarray(corners, dtype=np.float64).reshape(-1, 2)
    # A point is inside a convex polygon when it lies on the same side of every edge.
    nxt = np.roll(poly, -1, axis=0)
    cross = np.stack([(b[0] - a[0]) * (ys - a[1]) - (b[1] - a[1]) * (xs - a[0])
                      for a, b in zip(poly, nxt)])
    tol = 1e-9 * max(height, width) ** 2
    inside = np.all(cross >= -tol, axis=0) | np.all(cross <= tol, axis=0)
    inside &= (cx[None, :] < new_w) & (cy[:, None] < new_h)
    return np.where(inside, value, -value).astype(np.float32)


def box_corners(box: np.ndarray) -> np.ndarray:
    """The 4 corners ``(4, 2)`` of a horizontal box ``x1, y1, x2, y2``, clockwise on screen.

    Args:
        box (np.ndarray): ``(4,)`` box ``x1, y1, x2, y2`` in pixels.

    Returns:
        np.ndarray: ``(4, 2)`` float64 corners ``x, y``.
    """
    x1, y1, x2, y2 = np.asarray(box, dtype=np.float64)
    return np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]])


def build_sam(model_type: str, checkpoint: Optional[str], device: str = 'cpu') -> Sam:
    """A SAM model of ``model_type`` with the weights of ``checkpoint`` (a state dict file).

    The file is read with ``torch.load(weights_only=True, map_location='cpu')`` (the released
    SAM checkpoints are plain state dicts) and must match the model type exactly.
    ``checkpoint=None`` keeps the random initialisation (tests only).

    Args:
        model_type (str): One of ``SAM_MODEL_TYPES`` (``'vit_b'``, ``'vit_l'``, ``'vit_h'``).
        checkpoint (str, optional): SAM state-dict file (a ``{'model': state_dict}`` wrapper
            is accepted), or ``None`` for random weights.
        device (str): Device to move the model to. Defaults to 'cpu'.

    Returns:
        Sam: The model in eval mode on ``device``.

    Raises:
        ValueError: If ``model_type`` is unknown or the checkpoint does not match it.
        FileNotFoundError: If ``checkpoint`` does not exist.
    """
    if model_type not in SAM_MODEL_TYPES:
        raise ValueError(f'unknown SAM model type {model_type!r}; expected one of '
                         f'{SAM_MODEL_TYPES}')
    sam = sam_model_registry[model_type](checkpoint=None)
    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'SAM checkpoint {checkpoint} does not exist')
        state = torch.load(checkpoint, map_location='cpu', weights_only=True)
        if isinstance(state, dict) and 'model' in state and isinstance(state['model'], dict):
            state = state['model']
        try:
            sam.load_state_dict(state, strict=True)
        except RuntimeError as err:
            raise ValueError(f'{checkpoint} is not a SAM {model_type} checkpoint '
                             f'(wrong --model-type?): {str(err)[:500]}') from err
    return sam.to(device).eval()


class SamBoxLabeler:
    """Decode masks for batches of prompts on one image with a shared image embedding.

    Args:
        sam (Sam): A segment-anything :class:`Sam` model.
        batch_size (int): Prompts decoded per mask-decoder call (bounds the decoder's
            memory). Defaults to 64.

    Examples:
        >>> labeler = SamBoxLabeler(build_sam('vit_h', 'sam_vit_h_4b8939.pth', 'cuda'))
        >>> labeler.set_image(rgb)                     # (H, W, 3) uint8, RGB
        >>> for masks, scores in labeler.predict_boxes(boxes):   # boxes (N, 4) xyxy pixels
        ...     ...                                    # masks (b, H, W) bool, scores (b,)
        >>> regions = labeler.region_masks([box_corners(b) for b in boxes])  # mask prompts
        >>> for masks, scores in labeler.predict(points=centres, boxes=boxes,
        ...                                      mask_inputs=regions):
        ...     ...                                    # one mask per combined prompt
    """

    def __init__(self, sam: Sam, batch_size: int = 64) -> None:
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}')
        self.predictor = SamPredictor(sam)
        self.batch_size = batch_size

    @property
    def device(self) -> torch.device:
        """torch.device: The device of the SAM model."""
        return self.predictor.device

    def set_image(self, image: np.ndarray) -> None:
        """Compute the image embedding of an ``(H, W, 3)`` uint8 RGB image (once per image).

        Args:
            image (np.ndarray): ``(H, W, 3)`` uint8 image in RGB order.

        Raises:
            ValueError: If ``image`` is not ``(H, W, 3)`` uint8.
        """
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f'expected an (H, W, 3) uint8 RGB image, got {image.shape} '
                             f'{image.dtype}')
        self.predictor.set_image(image, image_format='RGB')

    @property
    def mask_input_size(self) -> Tuple[int, int]:
        """Tuple[int, int]: ``(h, w)`` of SAM's mask input (256 x 256 for the released SAMs)."""
        return tuple(self.predictor.model.prompt_encoder.mask_input_size)

    def region_masks(self, regions: Sequence[np.ndarray],
                     value: float = MASK_PROMPT_VALUE) -> np.ndarray:
        """Mask prompts ``(N, h, w)`` of box regions of the current image
        (:func:`region_mask_input` with this model's geometry). Call :meth:`set_image` first.

        Args:
            regions (Sequence[np.ndarray]): ``N`` arrays ``(K, 2)`` of corners ``x, y`` in
                pixels of the image given to :meth:`set_image` (see :func:`box_corners`).
            value (float): Score inside the region (``-value`` outside). Defaults to
                :data:`MASK_PROMPT_VALUE`.

        Returns:
            np.ndarray: ``(N, h, w)`` float32 mask inputs, ``(h, w)`` =
            :attr:`mask_input_size`.

        Raises:
            RuntimeError: If no image was set.
        """
        if not self.predictor.is_image_set:
            raise RuntimeError('call set_image before region_masks')
        img_size = self.predictor.model.image_encoder.img_size
        out = np.empty((len(regions), *self.mask_input_size), dtype=np.float32)
        for i, corners in enumerate(regions):
            out[i] = region_mask_input(corners, self.predictor.original_size, img_size,
                                       self.mask_input_size, value)
        return out

    def _decode(self, boxes: Optional[torch.Tensor], points: Optional[torch.Tensor],
                mask_inputs: Optional[torch.Tensor] = None) -> Tuple[np.ndarray, np.ndarray]:
        size = self.predictor.original_size
        if boxes is not None:
            boxes = self.predictor.transform.apply_boxes_torch(boxes, size)
        labels = None
        if points is not None:
            points = self.predictor.transform.apply_coords_torch(points, size)[:, None, :]
            labels = torch.ones(points.shape[0], 1, dtype=torch.int64, device=self.device)
        if mask_inputs is not None:
            mask_inputs = mask_inputs[:, None]
        masks, scores, _ = self.predictor.predict_torch(
            point_coords=points, point_labels=labels, boxes=boxes, mask_input=mask_inputs,
            multimask_output=False)
        return masks[:, 0].cpu().numpy(), scores[:, 0].float().cpu().numpy()

    def _batches(self, prompts: np.ndarray) -> Iterator[torch.Tensor]:
        tensor = torch.as_tensor(np.asarray(prompts, dtype=np.float32), device=self.device)
        for start in range(0, tensor.shape[0], self.batch_size):
            yield tensor[start:start + self.batch_size]

    def predict(self, points: Optional[np.ndarray] = None, boxes: Optional[np.ndarray] = None,
                mask_inputs: Optional[np.ndarray] = None
                ) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
        """Masks for ``N`` prompts, each any combination of a foreground point, a box and a
        mask input (prompt ``i`` combines row ``i`` of every array given), through
        :meth:`SamPredictor.predict_torch`. Call :meth:`set_image` first.

        Args:
            points (np.ndarray, optional): ``(N, 2)`` points ``x, y`` in pixels of the image,
                one foreground point per prompt. Defaults to None (no point).
            boxes (np.ndarray, optional): ``(N, 4)`` boxes ``x1, y1, x2, y2`` in pixels.
                Defaults to None (no box).
            mask_inputs (np.ndarray, optional): ``(N, h, w)`` mask prompts in SAM's mask-input
                frame (:meth:`region_masks`). Defaults to None (no mask prompt).

        Yields:
            Tuple[np.ndarray, np.ndarray]: ``(b, H, W)`` bool masks and ``(b,)`` float32
            predicted IoU scores of the next ``b <= batch_size`` prompts, in prompt order.

        Raises:
            ValueError: If no prompt is given, the arrays differ in length, or the mask inputs
                are not ``(N,) + mask_input_size``.
        """
        given = {k: v for k, v in (('points', points), ('boxes', boxes),
                                   ('mask_inputs', mask_inputs)) if v is not None}
        if not given:
            raise ValueError('give at least one of points, boxes and mask_inputs')
        lengths = {k: len(v) for k, v in given.items()}
        if len(set(lengths.values())) != 1:
            raise ValueError(f'prompt arrays differ in length: {lengths}')
        if mask_inputs is not None and tuple(np.shape(mask_inputs)[1:]) != self.mask_input_size:
            raise ValueError(f'mask inputs must be (N, {self.mask_input_size[0]}, '
                             f'{self.mask_input_size[1]}), got {np.shape(mask_inputs)}')
        streams = {k: self._batches(v) for k, v in given.items()}
        for _ in range(0, next(iter(lengths.values())), self.batch_size):
            batch = {k: next(s) for k, s in streams.items()}
            yield self._decode(batch.get('boxes'), batch.get('points'),
                               batch.get('mask_inputs'))

    def predict_boxes(self, boxes: np.ndarray) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
        """Masks ``(b, H, W)`` bool and SAM's IoU scores ``(b,)`` per batch of ``(N, 4)`` boxes.

        Call :meth:`set_image` first.

        Args:
            boxes (np.ndarray): ``(N, 4)`` box prompts ``x1, y1, x2, y2`` in pixels of the
                image given to :meth:`set_image`.

        Yields:
            Tuple[np.ndarray, np.ndarray]: ``(b, H, W)`` bool masks and ``(b,)`` float32
            predicted IoU scores of the next ``b <= batch_size`` prompts, in prompt order.
        """
        for batch in self._batches(boxes):
            yield self._decode(batch, None)

    def predict_points(self, points: np.ndarray) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
        """As :meth:`predict_boxes` for ``(N, 2)`` single foreground points.

        Args:
            points (np.ndarray): ``(N, 2)`` points ``x, y`` in pixels of the image given to
                :meth:`set_image`, one foreground point per prompt.

        Yields:
            Tuple[np.ndarray, np.ndarray]: ``(b, H, W)`` bool masks and ``(b,)`` float32
            predicted IoU scores per batch, in prompt order.
        """
        for batch in self._batches(points):
            yield self._decode(None, batch)
