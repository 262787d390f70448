"""DIOR VOC XML -> COCO JSON, loaded back with pycocotools and compared with the boxes mmdet's
XML route (mmrsfm's DIORDataset) reads from the same files."""
import json
from collections import Counter

import numpy as np
import pytest
from pycocotools.coco import COCO

from mmrsfm.datasets import DIOR_CLASSES, DIORDataset
from mmrsfm.datatools.conversion.dior_coco import dior_to_coco, parse_dior_xml, split_image_ids
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


def test_bad_xml_is_named(tmp_path):
    xml = tmp_path / '00001.xml'
    xml.write_text('<annotation><size><width>800</width><height>800</height></size>'
                   '<object><name>Spaceship</name><bndbox><xmin>1</xmin><ymin>1</ymin>'
                   '<xmax>5</xmax><ymax>5</ymax></bndbox></object></annotation>')
    with pytest.raises(ValueError, match=r"00001\.xml: object 0 has class 'spaceship'"):
        parse_dior_xml(str(xml))
    xml.write_text('<annotation><size><width>800</width></size></annotation>')
    with pytest.raises(ValueError, match=r'00001\.xml: <size> has no numeric <height>'):
        parse_dior_xml(str(xml))
    xml.write_text('<annotation><size>')
    with pytest.raises(ValueError, match=r'00001\.xml: malformed XML'):
        parse_dior_xml(str(xml))


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
