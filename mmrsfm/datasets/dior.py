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
import xml.etree.ElementTree as ET
from typing import List

from mmdet.datasets import XMLDataset
from mmdet.registry import DATASETS
from mmengine.fileio import get_local_path
from mmengine.logging import print_log

DIOR_CLASSES = ('airplane', 'airport', 'baseballfield', 'basketballcourt', 'bridge', 'chimney',
                'expressway-service-area', 'expressway-toll-station', 'dam', 'golffield',
                'groundtrackfield', 'harbor', 'overpass', 'ship', 'stadium', 'storagetank',
                'tenniscourt', 'trainstation', 'vehicle', 'windmill')


@DATASETS.register_module()
class DIORDataset(XMLDataset):
    """DIOR horizontal boxes (VOC XML) for mmdet detectors.

    Differences from mmdet's ``XMLDataset``: class names match case-insensitively (the released
    XML files write e.g. ``Expressway-Service-area``); an unknown class name or a malformed XML
    file raises an error naming the file instead of being skipped silently; degenerate boxes
    (zero or negative width/height) are kept as ``ignore_flag=1`` with a warning naming the file.

    Args:
        img_subdir: Image folder under ``data_root``. Defaults to ``'JPEGImages-trainval'``.
        ann_subdir: Annotation folder under ``data_root``.
            Defaults to ``'Annotations/Horizontal Bounding Boxes'``.
        **kwargs: ``ann_file`` (image-id list), ``data_root``, ``pipeline``... as for
            ``mmdet.datasets.XMLDataset``.

    Examples:
        >>> dataset = dict(type='DIORDataset', data_root='data/DIOR',
        ...                ann_file='ImageSets/Main/train.txt', pipeline=[...])
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

    def parse_data_info(self, img_info: dict) -> dict:
        xml_path = img_info['xml_path']
        if not osp.isfile(xml_path):
            raise FileNotFoundError(f'{xml_path}: annotation file of image '
                                    f'{img_info["img_id"]} (listed in {self.ann_file}) is missing')
        self._parsing_xml = xml_path  # named in the errors of _parse_instance_info
        try:
            return super().parse_data_info(img_info)
        except ET.ParseError as err:
            raise ValueError(f'{xml_path}: malformed XML ({err})') from err
        except (AttributeError, TypeError, ValueError) as err:
            if str(err).startswith(xml_path):  # already names the file and the problem
                raise
            raise ValueError(f'{xml_path}: missing or non-numeric <size>/<bndbox> field '
                             f'({err})') from err

    def _parse_instance_info(self, raw_ann_info: ET.ElementTree,
                             minus_one: bool = True) -> List[dict]:
        # Normalise names in place so the parent's lookup is case-insensitive and strict.
        xml_path = getattr(self, '_parsing_xml', '<xml>')
        classes = {c.lower(): c for c in self._metainfo['classes']}
        for index, obj in enumerate(raw_ann_info.findall('object')):
            name_node = obj.find('name')
            name = (name_node.text or '').strip().lower() if name_node is not None else ''
            if name not in classes:
                raise ValueError(f'{xml_path}: object {index} has class {name!r}, which is not '
                                 f'one of the {len(classes)} classes {tuple(classes)}')
            name_node.text = classes[name]
        instances = super()._parse_instance_info(raw_ann_info, minus_one=minus_one)
        for index, instance in enumerate(instances):
            x1, y1, x2, y2 = instance['bbox']
            if x2 <= x1 or y2 <= y1:
                print_log(f'{xml_path}: object {index} has a degenerate box {instance["bbox"]}; '
                          'it is ignored in training', logger='current', level=30)
                instance['ignore_flag'] = 1
        return instances
