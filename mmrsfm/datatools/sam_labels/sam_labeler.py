"""Masks from SAM for many prompts of one image: one image embedding, prompts decoded in batches.

Wraps segment-anything's :class:`~segment_anything.SamPredictor`; one mask per prompt
(``multimask_output=False``), as SAMRS generated its labels.
"""
from __future__ import annotations

import os.path as osp
from typing import Iterator, Optional, Tuple

import numpy as np
import torch
from segment_anything import SamPredictor, sam_model_registry
from segment_anything.modeling import Sam

SAM_MODEL_TYPES = ('vit_b', 'vit_l', 'vit_h')


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

    def _decode(self, boxes: Optional[torch.Tensor], points: Optional[torch.Tensor]
                ) -> Tuple[np.ndarray, np.ndarray]:
        size = self.predictor.original_size
        if boxes is not None:
            boxes = self.predictor.transform.apply_boxes_torch(boxes, size)
        labels = None
        if points is not None:
            points = self.predictor.transform.apply_coords_torch(points, size)[:, None, :]
            labels = torch.ones(points.shape[0], 1, dtype=torch.int64, device=self.device)
        masks, scores, _ = self.predictor.predict_torch(
            point_coords=points, point_labels=labels, boxes=boxes, multimask_output=False)
        return masks[:, 0].cpu().numpy(), scores[:, 0].float().cpu().numpy()

    def _batches(self, prompts: np.ndarray) -> Iterator[torch.Tensor]:
        tensor = torch.as_tensor(np.asarray(prompts, dtype=np.float32), device=self.device)
        for start in range(0, tensor.shape[0], self.batch_size):
            yield tensor[start:start + self.batch_size]

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
