"""DIOR VOC XML -> COCO JSON, loaded back with pycocotools and compared with the boxes mmdet's
XML route (mmrsfm's DIORDataset) reads from the same files."""
import json
from collections import Counter

import numpy as np
import pytest
from pycocotools.coco import COCO

from mmrsfm.datasets import DIOR_CLASSES, DIORDataset
from mmrsfm.datasets.formats import AnnotationError
from mmrsfm.datatools.conversion.dior_coco import dior_to_coco, split_image_ids
from mmrsfm.testing import write_dior


def test_coco_json_matches_xml_dataset(tmp_path):
    root = str(tmp_path / 'DIOR')
    written = write_dior(root, {'train': 3, 'val': 2, 'test': 2}, num_classes=20, seed=1)
    ids, img_subdir = split_image_ids(root, 'trainval')
    assert ids == written['train'] + written['val'] and img_subdir == 'JPEGImages-trainval'
    coco_dict, warnings = dior_to_coco(root, ids, img_subdir)
    assert warnings == []
    path = tmp_path / 'trainval.json'
    path.write_text(json.dumps(coco_dict))

    coco = COCO(str(path))
    assert [c['name'] for c in coco.loadCats(coco.getCatIds())] == list(DIOR_CLASSES)
    assert coco.getCatIds() == list(range(1, 21))
    assert len(coco.getImgIds()) == 5

    reference = DIORDataset(data_root=root, ann_file='ImageSets/Main/train.txt', pipeline=[])
    reference_val = DIORDataset(data_root=root, ann_file='ImageSets/Main/val.txt', pipeline=[])
    infos = [reference.get_data_info(i) for i in range(len(reference))] + \
        [reference_val.get_data_info(i) for i in range(len(reference_val))]
    expected_counts = Counter(inst['bbox_label'] + 1 for info in infos
                              for inst in info['instances'])
    assert Counter(a['category_id'] for a in coco.dataset['annotations']) == expected_counts
    for image_id, info in zip(sorted(coco.getImgIds()), infos):
        image = coco.loadImgs(image_id)[0]
        assert image['file_name'] == f'JPEGImages-trainval/{info["img_id"]}.jpg'
        assert (image['width'], image['height']) == (info['width'], info['height'])
        anns = coco.loadAnns(coco.getAnnIds(imgIds=image_id))
        got = sorted((a['category_id'] - 1, a['bbox'][0], a['bbox'][1], a['bbox'][0] +
                      a['bbox'][2], a['bbox'][1] + a['bbox'][3]) for a in anns)
        want = sorted((inst['bbox_label'], *inst['bbox']) for inst in info['instances'])
        np.testing.assert_allclose(np.array(got, dtype=float), np.array(want, dtype=float))


def test_coco_values_are_the_xml_values(tmp_path):
    """Boxes keep fractional VOC values, ``bbox = [xmin - 1, ymin - 1, xmax - xmin, ymax -
    ymin]``; difficult flags carry over; a degenerate box is an ignored crowd region."""
    root = tmp_path / 'DIOR'
    write_dior(str(root), {'train': 1})
    (root / 'Annotations' / 'Horizontal Bounding Boxes' / '00001.xml').write_text(
        '<annotation>\n<size><width>800</width><height>600</height></size>\n'
        '<object><name>Ship</name><difficult>1</difficult><bndbox><xmin>10.5</xmin>'
        '<ymin>20</ymin><xmax>30.25</xmax><ymax>41</ymax></bndbox></object>\n'
        '<object><name>windmill</name><bndbox><xmin>7</xmin><ymin>9</ymin><xmax>7</xmax>'
        '<ymax>12</ymax></bndbox></object>\n</annotation>\n')
    coco, warnings = dior_to_coco(str(root), ['00001'], 'JPEGImages-trainval')
    assert json.dumps(coco['images']) == (
        '[{"id": 1, "file_name": "JPEGImages-trainval/00001.jpg", "width": 800, "height": 600}]')
    assert json.dumps(coco['annotations']) == (
        '[{"id": 1, "image_id": 1, "category_id": 14, "bbox": [9.5, 19.0, 19.75, 21.0], '
        '"area": 414.75, "iscrowd": 0, "difficult": 1}, '
        '{"id": 2, "image_id": 1, "category_id": 20, "bbox": [6.0, 8.0, 0.0, 3.0], '
        '"area": 0.0, "iscrowd": 1, "difficult": 0}]')
    (message, ) = warnings
    assert message.endswith('00001.xml:4: object 1 has a degenerate box [7.0, 9.0, 7.0, 12.0]; '
                            'written with iscrowd=1 (ignored)')


@pytest.mark.parametrize('xml, where', [
    ('<annotation><size><width>800</width><height>800</height></size>\n<object><name>'
     'Spaceship</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax>'
     '</bndbox></object></annotation>', r"00001\.xml:2: unknown class 'Spaceship'"),
    ('<annotation><size><width>800</width></size></annotation>',
     r'00001\.xml:1: <size> has no <height>'),
    ('<annotation>\n<size>', r'00001\.xml:2: malformed XML'),
    ('<annotation><object><name>ship</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax>'
     '<ymax>5</ymax></bndbox></object></annotation>',
     r'00001\.xml: no <size>: COCO needs the image width and height'),
    ('<annotation><size><width>8</width><height>8</height></size>\n<object><name>ship</name>'
     '<robndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax></robndbox></object>'
     '</annotation>', r'00001\.xml:2: <object> has no <bndbox>'),
])
def test_bad_xml_is_named(tmp_path, xml, where):
    root = tmp_path / 'DIOR'
    write_dior(str(root), {'train': 1})
    (root / 'Annotations' / 'Horizontal Bounding Boxes' / '00001.xml').write_text(xml)
    with pytest.raises(AnnotationError, match=where):
        dior_to_coco(str(root), ['00001'], 'JPEGImages-trainval')


def test_missing_images_are_named(tmp_path):
    root = str(tmp_path / 'DIOR')
    written = write_dior(root, {'train': 2, 'val': 1, 'test': 1})
    ids, img_subdir = split_image_ids(root, 'trainval')
    for img_id in written['train']:
        (tmp_path / 'DIOR' / img_subdir / f'{img_id}.jpg').unlink()
    message = (rf'JPEGImages-trainval: 2 of the 3 images listed for this split are missing: '
               rf'{written["train"][0]}\.jpg, {written["train"][1]}\.jpg')
    with pytest.raises(FileNotFoundError, match=message):
        dior_to_coco(root, ids, img_subdir)
