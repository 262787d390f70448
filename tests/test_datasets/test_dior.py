"""mmrsfm.datasets.dior: DIORDataset (mmdet) against an independent parse of the XML files it reads
and against mmdet's own ``XMLDataset``."""
import os.path as osp
import xml.etree.ElementTree as ET

import pytest
from mmdet.datasets import XMLDataset

from mmrsfm.datasets import DIOR_CLASSES, DIORDataset
from mmrsfm.datasets.formats import AnnotationError
from mmrsfm.testing import write_dior

HBB = osp.join('Annotations', 'Horizontal Bounding Boxes')


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


def _release_quirks(xml_files):
    """Capitalised class names, difficult objects, fractional VOC coordinates and a file
    without ``<size>``."""
    for n, xml in enumerate(xml_files):
        tree = ET.parse(xml)
        root = tree.getroot()
        name = root.find('object/name')
        name.text = 'Expressway-Service-area' if n == 0 else name.text.upper()
        for k, obj in enumerate(root.findall('object')):
            obj.find('difficult').text = str(int((n + k) % 3 == 0))
            box = obj.find('bndbox')
            box.find('xmin').text = f'{box.find("xmin").text}.7'
            box.find('ymax').text = f'{box.find("ymax").text}.25'
        if n == 1:
            root.remove(root.find('size'))
        tree.write(xml)


def _lower_names(xml_files):
    for xml in xml_files:
        tree = ET.parse(xml)
        for name in tree.getroot().iter('name'):
            name.text = name.text.lower()
        tree.write(xml)


@pytest.mark.parametrize('filter_cfg', [None, dict(bbox_min_size=40)])
def test_data_list_is_mmdet_xml_datasets(tmp_path, filter_cfg):
    """The data list equals mmdet's ``XMLDataset`` one on the same files (whose class names
    mmdet only finds once lower-cased)."""
    root = str(tmp_path / 'DIOR')
    ids = write_dior(root, {'train': 6}, num_classes=20, seed=2)['train']
    xml_files = [osp.join(root, HBB, f'{i}.xml') for i in ids]
    _release_quirks(xml_files)
    kwargs = dict(data_root=root, ann_file='ImageSets/Main/train.txt', pipeline=[],
                  filter_cfg=filter_cfg)
    ours = DIORDataset(**kwargs)
    _lower_names(xml_files)
    theirs = XMLDataset(img_subdir='JPEGImages-trainval', ann_subdir=HBB,
                        data_prefix=dict(sub_data_root=''),
                        metainfo=dict(classes=DIOR_CLASSES), **kwargs)
    got = [ours.get_data_info(i) for i in range(len(ours))]
    want = [theirs.get_data_info(i) for i in range(len(theirs))]
    assert got == want and len(got) == 6
    instances = [inst for info in got for inst in info['instances']]
    assert {inst['ignore_flag'] for inst in instances} == {0, 1}
    assert got[0]['instances'][0]['bbox_label'] == DIOR_CLASSES.index('expressway-service-area')
    assert got[1]['width'] == got[1]['height'] == 256  # measured from the image


def _corrupt(dior_root, old, new):
    xml = osp.join(dior_root, 'Annotations', 'Horizontal Bounding Boxes', '00002.xml')
    text = open(xml).read()
    assert old in text
    with open(xml, 'w') as f:
        f.write(text.replace(old, new, 1))
    return xml


@pytest.mark.parametrize('old,new,line,message', [
    # Lines of 00002.xml: <size> 6, first <object> 8, its <difficult> 12, its <bndbox> 13.
    ('<name>', '<name>spaceship', 8, "unknown class 'spaceship"),
    ('</annotation>', '', 33, 'malformed XML: no element found'),
    ('<xmin>', '<xmin>abc', 13, "<xmin> is not a number: 'abc"),
    ('<difficult>0', '<difficult>hard', 12, "<difficult> must be an integer, found 'hard'"),
    ('<height>', '<h>', 6, 'malformed XML: mismatched tag'),
    ('<width>256</width>', '', 6, '<size> has no <width>'),
    ('<bndbox>', '<box>', 13, 'malformed XML: mismatched tag'),
])
def test_bad_annotations_name_the_file_and_line(dior_root, old, new, line, message):
    xml = _corrupt(dior_root, old, new)
    with pytest.raises(AnnotationError) as err:
        DIORDataset(data_root=dior_root, ann_file='ImageSets/Main/train.txt', pipeline=[])
    assert isinstance(err.value, ValueError)
    assert (err.value.path, err.value.line) == (xml, line)
    assert str(err.value).startswith(f'{xml}:{line}: ') and message in str(err.value)


def test_object_without_bndbox_is_an_error(dior_root):
    xml = osp.join(dior_root, HBB, '00002.xml')
    tree = ET.parse(xml)
    obj = tree.getroot().find('object')
    obj.remove(obj.find('bndbox'))
    tree.write(xml)
    with pytest.raises(AnnotationError, match=f'{xml}:8: <object> has no <bndbox>'):
        DIORDataset(data_root=dior_root, ann_file='ImageSets/Main/train.txt', pipeline=[])


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
