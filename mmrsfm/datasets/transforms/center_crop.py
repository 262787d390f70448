"""Centre crop for evaluation on fixed-size crops of larger images."""
from __future__ import annotations

from mmcv.transforms import CenterCrop

from mmrsfm.registry import register_in_toolboxes


@register_in_toolboxes('TRANSFORMS', scopes=('mmseg', ))
class CenterCropAsInput(CenterCrop):
    """mmcv's ``CenterCrop`` whose crop becomes the evaluated image (``ori_shape`` = crop).

    mmseg resizes every prediction to the sample's ``ori_shape`` before the metric compares it
    with the label. After mmcv's ``CenterCrop`` the label is the crop but ``ori_shape`` still
    names the whole image, so the shapes would disagree; this transform sets ``ori_shape`` to
    the crop, as if the crops had been written to disk and loaded (the SAMRS validation protocol,
    512 x 512 centre crops of the validation images).

    An image smaller than ``crop_size`` along a side keeps its full extent along that side (the
    crop is ``min(crop, side)``, centred) unless ``auto_pad=True``, which pads it first (image
    with ``pad_cfg``'s value, label with its ``seg_pad_val``). Boxes and keypoints are cropped
    as mmcv does.

    Required keys: ``img``, ``ori_shape`` (``gt_seg_map``, ``gt_bboxes``, ``gt_keypoints``
    optional). Modified keys: ``img``, ``img_shape``, ``pad_shape``, ``ori_shape``,
    ``gt_seg_map``, ``gt_bboxes``, ``gt_keypoints``.

    Args:
        crop_size (int | tuple[int, int]): Crop ``(width, height)`` in pixels, or one side.
        auto_pad (bool): Pad images smaller than the crop instead of cropping less.
            Defaults to False.
        pad_cfg (dict): mmcv ``Pad`` config used when ``auto_pad``. Defaults to
            ``dict(type='Pad')``.
        clip_object_border (bool): Clip boxes to the crop. Defaults to True.

    Examples:
        >>> import numpy as np
        >>> from mmseg.registry import TRANSFORMS
        >>> import mmrsfm.datasets  # noqa: F401
        >>> t = TRANSFORMS.build(dict(type='CenterCropAsInput', crop_size=4))
        >>> img = np.arange(64, dtype=np.uint8).reshape(8, 8, 1).repeat(3, axis=2)
        >>> out = t(dict(img=img, gt_seg_map=img[..., 0].copy(), ori_shape=(8, 8)))
        >>> out['ori_shape'], out['img_shape'], out['gt_seg_map'][0].tolist()
        ((4, 4), (4, 4), [18, 19, 20, 21])
    """

    def transform(self, results: dict) -> dict:
        """Centre-crop like mmcv's ``CenterCrop``, then set ``ori_shape`` to the crop.

        Args:
            results (dict): Result dict holding ``img`` (and optional labels).

        Returns:
            dict: The cropped results; ``ori_shape == img_shape``.
        """
        results = super().transform(results)
        results['ori_shape'] = tuple(results['img'].shape[:2])
        return results
