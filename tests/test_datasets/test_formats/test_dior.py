"""mmrsfm.datasets.formats.dior: the DIOR / DIOR-R VOC XML reader against mmrotate's
``DIORDataset`` on files in the release layout, on hand-written files in the other box
encodings, and its errors naming file and line."""
import numpy as np
import pytest

from mmrsfm.datasets.formats import (DIOR_CLASSES, AnnotationError, ClassMapper, DIORAnnotation,
                                     read_dior_xml)
from mmrsfm.datasets.samrs_metainfo import SIOR_CLASSES
from mmrsfm.testing.rs_formats import write_dior


def test_dior_xml_matches_mmrotate(tmp_path):
    from mmrotate.datasets import DIORDataset
    ids = write_dior(str(tmp_path), splits={'train': 3}, size=128, num_classes=20)['train']
    results = {}
    for ann_type, subdir in (('hbb', 'Horizontal Bounding Boxes'),
                             ('obb', 'Oriented Bounding Boxes')):
        dataset = DIORDataset(data_root=str(tmp_path), ann_file='ImageSets/Main/train.txt',
                              ann_subdir=f'Annotations/{subdir}', ann_type=ann_type,
                              data_prefix=dict(img_path='JPEGImages-trainval'), pipeline=[])
        results[ann_type] = {info['img_id']: info for info in dataset}
    for img_id in ids:
        path = str(tmp_path / 'Annotations' / 'Oriented Bounding Boxes' / f'{img_id}.xml')
        ann = read_dior_xml(path, ClassMapper(SIOR_CLASSES))
        assert (ann.width, ann.height) == (128, 128)
        assert (results['hbb'][img_id]['width'], results['hbb'][img_id]['height']) == (128, 128)
        hbbs, obbs = results['hbb'][img_id]['instances'], results['obb'][img_id]['instances']
        assert len(ann.objects) == len(obbs) > 0
        for obj, hbb, obb in zip(ann.objects, hbbs, obbs):
            assert obj.label == obb['bbox_label'] == hbb['bbox_label']
            np.testing.assert_allclose(obj.poly.reshape(-1), obb['bbox'], atol=1e-4)
            # VOC boxes are 1-based; like mmdet's XMLDataset we make them 0-based.
            corners = np.asarray(hbb['bbox']).reshape(4, 2)
            np.testing.assert_allclose(obj.hbox, np.r_[corners.min(0), corners.max(0)] - 1)


def test_box_encodings_size_and_difficult(tmp_path):
    path = tmp_path / '00001.xml'
    path.write_text(
        '<annotation>\n<size><width>800</width><height>600.0</height></size>\n<object>\n'
        '  <name>Expressway-Service-area</name>\n'
        '  <robndbox><cx>50</cx><cy>40</cy><w>20</w><h>10</h><angle>0.5</angle></robndbox>\n'
        '</object>\n<object>\n  <name>ship</name><difficult>1</difficult>\n'
        '  <robndbox><xmin>1</xmin><ymin>2</ymin><xmax>11</xmax><ymax>7</ymax></robndbox>\n'
        '</object>\n<object>\n  <name>Vehicle</name><difficult>2</difficult>\n'
        '  <bndbox><xmin>10.5</xmin><ymin>3</ymin><xmax>30</xmax><ymax>9.25</ymax></bndbox>\n'
        '</object>\n</annotation>\n')
    ann = read_dior_xml(str(path))
    assert isinstance(ann, DIORAnnotation) and (ann.width, ann.height) == (800, 600)
    rolabel, voc_like, vehicle = ann.objects
    assert DIOR_CLASSES[rolabel.label] == 'expressway-service-area' and rolabel.line == 3
    # roLabelImg corner of (-w/2, -h/2) rotated by 0.5 rad: x' = cx + c*dx + s*dy, y' = cy -
    # s*dx + c*dy.
    c, s = np.cos(0.5), np.sin(0.5)
    np.testing.assert_allclose(rolabel.poly[0], [50 + c * -10 + s * -5, 40 - s * -10 + c * -5])
    np.testing.assert_allclose(rolabel.poly.mean(0), [50, 40])
    assert rolabel.hbox is None and not rolabel.difficult
    assert voc_like.difficult and voc_like.line == 7
    np.testing.assert_array_equal(voc_like.hbox, [1, 2, 11, 7])  # axis-aligned rotated form
    # <bndbox> is made 0-based, fractions kept; any non-zero <difficult> is difficult.
    assert vehicle.name == 'Vehicle' and DIOR_CLASSES[vehicle.label] == 'vehicle'
    np.testing.assert_array_equal(vehicle.hbox, [9.5, 2, 29, 8.25])
    assert vehicle.poly is None and vehicle.difficult and vehicle.line == 11
    # Without <size> the size is unknown; a mapper may drop classes.
    path.write_text('<annotation><object><name>ship</name><bndbox><xmin>1</xmin><ymin>1</ymin>'
                    '<xmax>5</xmax><ymax>5</ymax></bndbox></object></annotation>')
    assert read_dior_xml(str(path)).width is None
    assert read_dior_xml(str(path), ClassMapper(DIOR_CLASSES, {'ship': None})).objects == []


OBJECT = '<object>\n<name>ship</name>\n<bndbox><xmin>1</xmin><ymin>2</ymin><xmax>3</xmax>' \
    '<ymax>4</ymax></bndbox>\n</object>\n'


@pytest.mark.parametrize('old, new, where', [
    ('<ymin>2</ymin>', '<ymin>a</ymin>', r"00001\.xml:5: <ymin> is not a number: 'a'"),
    ('<ymin>2</ymin>', '', r'00001\.xml:5: <bndbox> has no <ymin>'),
    ('</object>', '</objec>', r'00001\.xml:6: malformed XML: mismatched tag'),
    ('ship', 'spaceship', r"00001\.xml:3: unknown class 'spaceship'; expected one of"),
    ('<name>ship</name>', '', r'00001\.xml:3: <object> has no <name>'),
    ('<name>ship</name>', '<name>ship</name><difficult>yes</difficult>',
     r"00001\.xml:4: <difficult> must be an integer, found 'yes'"),
    ('<bndbox><xmin>1</xmin><ymin>2</ymin><xmax>3</xmax><ymax>4</ymax></bndbox>', '',
     r'00001\.xml:3: <object> has neither <bndbox> nor <robndbox>'),
    ('<height>8</height>', '', r'00001\.xml:2: <size> has no <height>'),
    ('<height>8</height>', '<height>8.5</height>', r'00001\.xml:2: <width> and <height> must '
     r'be whole numbers of pixels, found \[8\.0, 8\.5\]'),
])
def test_errors_name_file_and_line(tmp_path, old, new, where):
    path = tmp_path / '00001.xml'
    text = f'<annotation>\n<size><width>8</width><height>8</height></size>\n{OBJECT}' \
        '</annotation>\n'
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(AnnotationError, match=where) as info:
        read_dior_xml(str(path))
    assert info.value.path == str(path)


def test_require_bndbox(tmp_path):
    path = tmp_path / '00001.xml'
    path.write_text('<annotation>\n<object>\n<name>ship</name>\n<robndbox><xmin>1</xmin>'
                    '<ymin>2</ymin><xmax>11</xmax><ymax>7</ymax></robndbox>\n</object>\n'
                    '</annotation>\n')
    assert read_dior_xml(str(path)).objects[0].hbox is not None  # from the axis-aligned corners
    with pytest.raises(AnnotationError, match=r'00001\.xml:2: <object> has no <bndbox>'):
        read_dior_xml(str(path), require_bndbox=True)
