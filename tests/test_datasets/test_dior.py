"""mmrsfm.datasets.dior: DIORDataset (mmdet) against an independent parse of the XML files it reads."""
import os.path as osp
import xml.etree.ElementTree as ET

import pytest

from mmrsfm.datasets import DIOR_CLASSES, DIORDataset
from mmrsfm.testing import write_dior


@pytest.fixture
def dior_root(tmp_path):
    root = str(tmp_path / 'DIOR')
    write_dior(root, {'train': 3, 'test': 2}, num_classes=8, seed=1)
    return root


def _expected_instances(xml_file):
    out = []
    for obj in ET.parse(xml_file).getroot().findall('object'):
        box = obj.find('bndbox')
        coords = [int(box.find(k).text) - 1 for k in ('xmin', 'ymin', 'xmax', 'ymax')]
        out.append((DIOR_CLASSES.index(obj.find('name').text.lower()), coords))
    return out


def test_loads_boxes_and_case_insensitive_classes(dior_root):
    dataset = DIORDataset(data_root=dior_root, ann_file='ImageSets/Main/train.txt',
                          pipeline=[])
    assert len(dataset) == 3
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        assert info['img_path'] == osp.join(dior_root, 'JPEGImages-trainval',
                                            f'{info["img_id"]}.jpg')
        assert osp.isfile(info['img_path'])
        got = [(inst['bbox_label'], inst['bbox']) for inst in info['instances']]
        assert got == _expected_instances(info['xml_path'])
    test_set = DIORDataset(data_root=dior_root, ann_file='ImageSets/Main/test.txt',
                           img_subdir='JPEGImages-test', test_mode=True, pipeline=[])
    assert all(osp.isfile(test_set.get_data_info(i)['img_path']) for i in range(len(test_set)))
    # Release-style capitalised names (e.g. 'Expressway-Service-area') map to their class.
    xml = osp.join(dior_root, 'Annotations', 'Horizontal Bounding Boxes', '00001.xml')
    text = open(xml).read()
    first_name = ET.parse(xml).getroot().find('object/name').text
    with open(xml, 'w') as f:
        f.write(text.replace(f'<name>{first_name}</name>',
                             '<name>Expressway-Service-area</name>', 1))
    info = DIORDataset(data_root=dior_root, ann_file='ImageSets/Main/train.txt',
                       pipeline=[]).get_data_info(0)
    assert info['instances'][0]['bbox_label'] == DIOR_CLASSES.index('expressway-service-area')


def _corrupt(dior_root, old, new):
    xml = osp.join(dior_root, 'Annotations', 'Horizontal Bounding Boxes', '00002.xml')
    text = open(xml).read()
    assert old in text
    with open(xml, 'w') as f:
        f.write(text.replace(old, new, 1))
    return xml


@pytest.mark.parametrize('old,new,message', [
    ('<name>', '<name>spaceship', "class 'spaceship"),
    ('</annotation>', '', 'malformed XML'),
    ('<xmin>', '<xmin>abc', 'non-numeric'),
])
def test_bad_annotations_name_the_file(dior_root, old, new, message):
    xml = _corrupt(dior_root, old, new)
    with pytest.raises(ValueError) as err:
        DIORDataset(data_root=dior_root, ann_file='ImageSets/Main/train.txt', pipeline=[])
    assert xml in str(err.value) and message in str(err.value)


def test_missing_annotation_file_is_named(dior_root):
    with open(osp.join(dior_root, 'ImageSets', 'Main', 'train.txt'), 'a') as f:
        f.write('99999\n')
    with pytest.raises(FileNotFoundError, match='99999.xml'):
        DIORDataset(data_root=dior_root, ann_file='ImageSets/Main/train.txt', pipeline=[])


def test_degenerate_box_is_ignored_not_dropped(dior_root):
    xml = osp.join(dior_root, 'Annotations', 'Horizontal Bounding Boxes', '00002.xml')
    root = ET.parse(xml)
    box = root.getroot().find('object/bndbox')
    box.find('xmax').text = box.find('xmin').text  # zero width
    root.write(xml)
    n_objects = len(root.getroot().findall('object'))
    info = DIORDataset(data_root=dior_root, ann_file='ImageSets/Main/train.txt',
                       pipeline=[]).get_data_info(1)
    assert len(info['instances']) == n_objects
    assert info['instances'][0]['ignore_flag'] == 1
