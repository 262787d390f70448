"""DIOR (Li et al., 2020) horizontal-box object detection for mmdet.

Data card: 23,463 optical images of 800 x 800 px (Google Earth, 0.5-30 m GSD), 192,472
instances of 20 classes, VOC-style XML annotations. DIOR-R adds oriented boxes of the same
objects (``<robndbox>``), read by mmrotate's ``DIORDataset``.

On-disk layout (as distributed)::

    DIOR/
      JPEGImages-trainval/00001.jpg ...
      JPEGImages-test/11726.jpg ...
      Annotations/Horizontal Bounding Boxes/00001.xml ...
      Annotations/Oriented Bounding Boxes/00001.xml ...
      ImageSets/Main/{train,val,test}.txt     # image ids, one per line
"""
from __future__ import annotations

import os.path as osp
from typing import List

import mmcv
from mmdet.datasets import XMLDataset
from mmdet.registry import DATASETS
from mmengine.fileio import get
from mmengine.logging import print_log

from .formats.dior import DIOR_CLASSES, read_dior_xml
from .formats.objects import ClassMapper, DetObject

__all__ = ['DIOR_CLASSES', 'DIORDataset']


@DATASETS.register_module()
class DIORDataset(XMLDataset):
    """DIOR horizontal boxes (VOC XML) for mmdet detectors.

    The XML files are read by :func:`mmrsfm.datasets.formats.read_dior_xml`, the reader the
    conversion and SAM-labelling tools use too. The data list is the one mmdet's
    ``XMLDataset`` builds (``img_path``, ``img_id``, ``xml_path``, ``height``, ``width`` and
    ``instances`` of ``bbox`` = ``int(<bndbox> value) - 1`` pixels, ``bbox_label`` and
    ``ignore_flag``, set for difficult objects and, with ``filter_cfg=dict(bbox_min_size=...)``,
    for smaller boxes), with these differences: class names match case-insensitively (the
    released XML files write e.g. ``Expressway-Service-area``); an unknown class name, a missing
    field or malformed XML raises :class:`mmrsfm.datasets.formats.AnnotationError` naming the
    file and line instead of being skipped or failing without a file name; degenerate boxes
    (zero or negative width/height) are kept as ``ignore_flag=1`` with a warning naming the file
    and line.

    Args:
        img_subdir (str): Image folder under ``data_root``. Defaults to
            ``'JPEGImages-trainval'``.
        ann_subdir (str): Annotation folder under ``data_root``.
            Defaults to ``'Annotations/Horizontal Bounding Boxes'``.
        **kwargs: ``ann_file`` (image-id list), ``data_root``, ``pipeline``... as for
            ``mmdet.datasets.XMLDataset``.

    Examples:
        >>> from mmdet.registry import DATASETS
        >>> dataset = DATASETS.build(dict(
        ...     type='DIORDataset', data_root='data/DIOR',
        ...     ann_file='ImageSets/Main/train.txt', pipeline=[]))
        >>> dataset.get_data_info(0)['instances'][0]  # doctest: +SKIP
        {'ignore_flag': 0, 'bbox': [118, 52, 193, 120], 'bbox_label': 0}
    """

    METAINFO = {
        'classes': DIOR_CLASSES,
        'palette': [(220, 20, 60), (119, 11, 32), (0, 0, 142), (0, 0, 230), (106, 0, 228),
                    (0, 60, 100), (0, 80, 100), (0, 0, 70), (0, 0, 192), (250, 170, 30),
                    (100, 170, 30), (220, 220, 0), (175, 116, 175), (250, 0, 30), (165, 42, 42),
                    (255, 77, 255), (0, 226, 252), (182, 182, 255), (0, 82, 0), (120, 166, 157)]
    }

    def __init__(self,
                 img_subdir: str = 'JPEGImages-trainval',
                 ann_subdir: str = 'Annotations/Horizontal Bounding Boxes',
                 **kwargs) -> None:
        # Sub-folders are relative to data_root (mmdet joins data_root to data_prefix entries).
        kwargs.setdefault('data_prefix', dict(sub_data_root=''))
        super().__init__(img_subdir=img_subdir, ann_subdir=ann_subdir, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the image ids of ``ann_file`` and the XML file of each.

        Returns:
            List[dict]: One data info per image id, as :meth:`parse_data_info` builds it.
        """
        self._class_mapper = ClassMapper(tuple(self._metainfo['classes']))
        return super().load_data_list()

    def parse_data_info(self, img_info: dict) -> dict:
        """The data info of one image, from its XML file.

        Args:
            img_info (dict): ``img_id``, ``file_name`` (image path under ``data_root``) and
                ``xml_path``, as ``load_data_list`` builds them.

        Returns:
            dict: ``img_path``, ``img_id``, ``xml_path``, ``height`` and ``width`` (pixels, from
            ``<size>``, else from the image) and ``instances`` (see the class docstring).

        Raises:
            FileNotFoundError: naming the XML file of an image id that has none.
            AnnotationError: (a ``ValueError``) naming the XML file and line of a malformed file.
        """
        xml_path = img_info['xml_path']
        if not osp.isfile(xml_path):
            raise FileNotFoundError(f'{xml_path}: annotation file of image '
                                    f'{img_info["img_id"]} (listed in {self.ann_file}) is missing')
        img_path = osp.join(self.sub_data_root, img_info['file_name'])
        data_info = dict(img_path=img_path, img_id=img_info['img_id'], xml_path=xml_path)
        ann = read_dior_xml(xml_path, self._class_mapper, require_bndbox=True)
        if ann.width is None:  # no <size>: measure the image, as mmdet's XMLDataset does
            img = mmcv.imfrombytes(get(img_path, backend_args=self.backend_args), backend='cv2')
            data_info['height'], data_info['width'] = img.shape[:2]
        else:
            data_info['height'], data_info['width'] = ann.height, ann.width
        data_info['instances'] = [
            self._instance(obj, xml_path, index) for index, obj in enumerate(ann.objects)
        ]
        return data_info

    def _instance(self, obj: DetObject, xml_path: str, index: int) -> dict:
        """The ``instances`` entry of one object, with mmdet's ``XMLDataset`` conventions."""
        # hbox is <bndbox> - 1 exactly, so this is XMLDataset's int(float(text)) - 1.
        bbox = [int(v + 1.0) - 1 for v in obj.hbox.tolist()]
        ignore = bool(obj.difficult)
        min_size = self.bbox_min_size
        if min_size is not None:
            if self.test_mode:
                raise ValueError('filter_cfg.bbox_min_size marks small boxes as ignored in '
                                 'training; it cannot be used with test_mode=True')
            ignore |= bbox[2] - bbox[0] < min_size or bbox[3] - bbox[1] < min_size
        if bbox[2] <= bbox[0] or bbox[3] <= bbox[1]:
            print_log(f'{xml_path}:{obj.line}: object {index} has a degenerate box {bbox}; '
                      'it is ignored in training', logger='current', level=30)
            ignore = True
        return dict(ignore_flag=int(ignore), bbox=bbox, bbox_label=obj.label)
