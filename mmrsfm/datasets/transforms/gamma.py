"""Random gamma correction of an image (photometric augmentation)."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from mmrsfm.registry import register_in_toolboxes


@register_in_toolboxes('TRANSFORMS', scopes=('mmseg', ))
class RandomGamma(BaseTransform):
    """Gamma-correct the image, ``255 * (img / 255) ** gamma`` with a random ``gamma``.

    Applied with probability ``prob``; ``gamma`` is drawn uniformly from ``gamma_range`` for each
    image; ``gamma < 1`` brightens, ``gamma > 1`` darkens, and 0 and 255 stay fixed. Only ``img``
    changes (labels and boxes are untouched). A ``uint8`` image is mapped through a 256-entry
    lookup table and rounded to the nearest integer; a floating-point image is clipped to
    ``[0, 255]`` first and keeps its dtype.

    Required keys: ``img``. Modified keys: ``img``. Added keys: ``gamma`` (the factor applied,
    or ``None`` when the transform was skipped).

    Args:
        gamma_range (Sequence[float]): ``(low, high)`` of the uniform draw, ``0 < low <= high``.
            Defaults to ``(0.8, 1.2)`` (albumentations' ``RandomGamma`` default range
            ``gamma_limit=(80, 120)``).
        prob (float): Probability of applying the transform. Defaults to 0.5.
        seed (int, optional): Seed of the transform's own random generator, for reproducible
            draws; ``None`` draws from NumPy's global generator (seeded by mmengine's
            ``randomness`` config and worker seeding, like mmcv's transforms). Defaults to None.

    Examples:
        >>> import numpy as np
        >>> from mmseg.registry import TRANSFORMS
        >>> import mmrsfm.datasets  # noqa: F401
        >>> t = TRANSFORMS.build(dict(type='RandomGamma', gamma_range=(2.0, 2.0), prob=1.0))
        >>> out = t(dict(img=np.array([[[0, 64, 255]]], dtype=np.uint8)))
        >>> out['img'].tolist(), out['gamma']
        ([[[0, 16, 255]]], 2.0)
    """

    def __init__(self,
                 gamma_range: Sequence[float] = (0.8, 1.2),
                 prob: float = 0.5,
                 seed: Optional[int] = None) -> None:
        if len(gamma_range) != 2 or not 0 < gamma_range[0] <= gamma_range[1]:
            raise ValueError(f'RandomGamma: gamma_range must be (low, high) with 0 < low <= high, '
                             f'got {gamma_range}')
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'RandomGamma: prob must be in [0, 1], got {prob}')
        self.gamma_range = (float(gamma_range[0]), float(gamma_range[1]))
        self.prob = prob
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def _random(self) -> float:
        return float(self._rng.random() if self._rng is not None else np.random.rand())

    @staticmethod
    def adjust(img: np.ndarray, gamma: float) -> np.ndarray:
        """Gamma-correct ``img`` (values in ``[0, 255]``) with a fixed ``gamma``.

        Args:
            img (np.ndarray): ``(H, W)`` or ``(H, W, C)`` image, ``uint8`` or floating point.
            gamma (float): Exponent applied to ``img / 255``.

        Returns:
            np.ndarray: The corrected image, same shape and dtype.
        """
        if img.dtype == np.uint8:
            table = np.round(255.0 * (np.arange(256) / 255.0) ** gamma)
            return table.astype(np.uint8)[img]
        scaled = np.clip(img, 0, 255) / 255.0
        return (255.0 * scaled ** gamma).astype(img.dtype)

    def transform(self, results: dict) -> dict:
        """Gamma-correct ``results['img']`` with probability ``prob``.

        Args:
            results (dict): Result dict holding ``img``.

        Returns:
            dict: ``results`` with the corrected ``img`` and the applied ``gamma``.
        """
        if self._random() >= self.prob:
            results['gamma'] = None
            return results
        low, high = self.gamma_range
        gamma = low + (high - low) * self._random()
        results['img'] = self.adjust(results['img'], gamma)
        results['gamma'] = gamma
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(gamma_range={self.gamma_range}, prob={self.prob})'
