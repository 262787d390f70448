"""SpaceNet v1 building footprints (Van Etten et al., 2018) as binary semantic segmentation for
mmseg.

Data card: 6,940 WorldView-2 RGB tiles of about 438 x 406 px at 0.5 m GSD over Rio de Janeiro
(AOI 1), 382,534 building polygons in GeoJSON. mmseg ships no SpaceNet dataset; the footprints
are rasterised to masks by ``tools/dataset_converters/spacenet_v1.py``.

On-disk layout (after the converter)::

    spacenet_v1/
      img_dir/{train,val}/<id>.png     # RGB tiles
      ann_dir/{train,val}/<id>.png     # uint8 masks: 0 background, 1 building
"""
from __future__ import annotations

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

SPACENET_V1_CLASSES = ('background', 'building')


@DATASETS.register_module()
class SpaceNetV1Dataset(BaseSegDataset):
    """SpaceNet v1 buildings: two classes, ``background`` (0) and ``building`` (1).

    Both classes are scored (no label is reduced or ignored); report mIoU and mF1 with
    ``IoUMetric(iou_metrics=['mIoU', 'mFscore'])``.

    Args:
        img_suffix (str): Suffix of the image files. Defaults to ``'.png'``.
        seg_map_suffix (str): Suffix of the mask files. Defaults to ``'.png'``.
        reduce_zero_label (bool): Whether to drop label 0 (it would make ``background``
            ignored); keep False to score both classes. Defaults to False.
        **kwargs: ``data_root``, ``data_prefix``, ``pipeline``... as for mmseg's
            ``BaseSegDataset``.

    Examples:
        >>> from mmseg.registry import DATASETS
        >>> dataset = DATASETS.build(dict(
        ...     type='SpaceNetV1Dataset', data_root='data/spacenet_v1',
        ...     data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train'),
        ...     lazy_init=True))
        >>> dataset.metainfo['classes']
        ('background', 'building')
    """

    METAINFO = dict(classes=SPACENET_V1_CLASSES, palette=[[0, 0, 0], [255, 255, 255]])

    def __init__(self,
                 img_suffix: str = '.png',
                 seg_map_suffix: str = '.png',
                 reduce_zero_label: bool = False,
                 **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
                         reduce_zero_label=reduce_zero_label, **kwargs)
