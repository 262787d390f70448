"""Annotation readers against the reference parsers (DOTA devkit, mmrotate's DIORDataset) on files
in the real formats, and their errors on malformed files."""
import json
import os.path as osp

import numpy as np
import pytest
from dotadevkit.misc.dota_utils import parse_dota_poly

from mmrsfm.datasets.samrs_metainfo import FAST_CLASSES, SIOR_CLASSES, SOTA_CLASSES
from mmrsfm.datatools.sam_labels.annotations import (AnnotationError, ClassMapper, load_objects,
                                                     parse_dior_xml, parse_dota_txt,
                                                     parse_fair1m_xml)
from mmrsfm.testing.rs_formats import write_dior, write_dota


@pytest.mark.parametrize('raw_release', [True, False])
def test_dota_txt_matches_devkit(tmp_path, raw_release):
    ids = write_dota(str(tmp_path), num_images=3, size=128, raw_release=raw_release)
    ann_dir = tmp_path / 'trainval' / ('labelTxt' if raw_release else 'annfiles')
    mapper = ClassMapper(SOTA_CLASSES)
    for img_id in ids:
        path = str(ann_dir / f'{img_id}.txt')
        objects = parse_dota_txt(path, mapper)
        reference = [o for o in parse_dota_poly(path) if ':' not in o['name']]
        assert len(objects) == len(reference) > 0
        for obj, ref in zip(objects, reference):
            np.testing.assert_allclose(obj.poly, np.array(ref['poly']))
            assert SOTA_CLASSES[obj.label] == ref['name']
            assert obj.difficult == (ref['difficult'] == '1')
        # Header lines are skipped, so objects start on line 3 of a released file.
        assert objects[0].line == (3 if raw_release else 1)


def test_dota_axis_aligned_polygon_is_a_horizontal_box(tmp_path):
    path = tmp_path / 'a.txt'
    path.write_text('10 20 50 20 50 40 10 40 plane 1\n0 0 10 5 8 9 -2 4 ship 0\n')
    hbb, obb = parse_dota_txt(str(path), ClassMapper(SOTA_CLASSES))
    np.testing.assert_array_equal(hbb.hbox, [10, 20, 50, 40])
    assert hbb.difficult and not obb.difficult
    assert obb.hbox is None and obb.poly.shape == (4, 2)


@pytest.mark.parametrize('line, problem', [
    ('1 2 3 4 5 6 7 plane', 'found 8'),
    ('1 2 3 4 5 6 7 x plane 0', 'non-numeric'),
    ('1 2 3 4 5 6 7 8 plane hard', 'difficult flag'),
    ('1 2 3 4 5 6 7 8 spaceship 0', "unknown class 'spaceship'"),
    ('1 2 3 4 5 6 nan 8 plane 0', 'non-finite'),
])
def test_dota_malformed_line_names_file_and_line(tmp_path, line, problem):
    path = tmp_path / 'P0007.txt'
    path.write_text(f'imagesource:GoogleEarth\ngsd:0.5\n1 1 9 1 9 9 1 9 plane 0\n{line}\n')
    with pytest.raises(AnnotationError) as info:
        parse_dota_txt(str(path), ClassMapper(SOTA_CLASSES))
    assert info.value.path == str(path) and info.value.line == 4
    assert str(info.value).startswith(f'{path}:4: ') and problem in str(info.value)


def test_dior_xml_matches_mmrotate(tmp_path):
    from mmrotate.datasets import DIORDataset
    ids = write_dior(str(tmp_path), splits={'train': 3}, size=128)['train']
    mapper = ClassMapper(SIOR_CLASSES)
    results = {}
    for ann_type, subdir in (('hbb', 'Horizontal Bounding Boxes'),
                             ('obb', 'Oriented Bounding Boxes')):
        dataset = DIORDataset(data_root=str(tmp_path), ann_file='ImageSets/Main/train.txt',
                              ann_subdir=f'Annotations/{subdir}', ann_type=ann_type,
                              data_prefix=dict(img_path='JPEGImages-trainval'), pipeline=[])
        results[ann_type] = {info['img_id']: info['instances'] for info in dataset}
    for img_id in ids:
        path = str(tmp_path / 'Annotations' / 'Oriented Bounding Boxes' / f'{img_id}.xml')
        objects = load_objects(path, 'dior', mapper)
        assert len(objects) == len(results['obb'][img_id]) > 0
        for obj, hbb, obb in zip(objects, results['hbb'][img_id], results['obb'][img_id]):
            assert obj.label == obb['bbox_label'] == hbb['bbox_label']
            np.testing.assert_allclose(obj.poly.reshape(-1), obb['bbox'], atol=1e-4)
            # VOC boxes are 1-based; like mmdet's XMLDataset we make them 0-based.
            corners = np.asarray(hbb['bbox']).reshape(4, 2)
            np.testing.assert_allclose(obj.hbox, np.r_[corners.min(0), corners.max(0)] - 1)


def test_dior_xml_box_forms_and_errors(tmp_path):
    path = tmp_path / '00001.xml'
    path.write_text(
        '<annotation>\n<object>\n  <name>Expressway-Service-area</name>\n'
        '  <robndbox><cx>50</cx><cy>40</cy><w>20</w><h>10</h><angle>0.5</angle></robndbox>\n'
        '</object>\n<object>\n  <name>ship</name><difficult>1</difficult>\n'
        '  <robndbox><xmin>1</xmin><ymin>2</ymin><xmax>11</xmax><ymax>7</ymax></robndbox>\n'
        '</object>\n</annotation>\n')
    rolabel, voc_like = parse_dior_xml(str(path), ClassMapper(SIOR_CLASSES))
    assert SIOR_CLASSES[rolabel.label] == 'expressway-service-area' and rolabel.line == 2
    # roLabelImg corner of (-w/2, -h/2) rotated by 0.5 rad: x' = cx + c*dx + s*dy, y' = cy -
    # s*dx + c*dy.
    c, s = np.cos(0.5), np.sin(0.5)
    np.testing.assert_allclose(rolabel.poly[0], [50 + c * -10 + s * -5, 40 - s * -10 + c * -5])
    np.testing.assert_allclose(rolabel.poly.mean(0), [50, 40])
    assert voc_like.difficult and voc_like.line == 6
    np.testing.assert_array_equal(voc_like.hbox, [1, 2, 11, 7])  # axis-aligned rotated form

    path.write_text('<annotation>\n<object>\n<name>ship</name>\n<bndbox><xmin>1</xmin>'
                    '<ymin>a</ymin><xmax>3</xmax><ymax>4</ymax></bndbox>\n</object>\n'
                    '</annotation>\n')
    with pytest.raises(AnnotationError, match=r'00001\.xml:4: <ymin> is not a number'):
        parse_dior_xml(str(path), ClassMapper(SIOR_CLASSES))
    path.write_text('<annotation>\n<object>\n<name>ship</name>\n</objec>\n</annotation>\n')
    with pytest.raises(AnnotationError, match=r'00001\.xml:4: malformed XML: mismatched tag'):
        parse_dior_xml(str(path), ClassMapper(SIOR_CLASSES))


FAIR1M_XML = """<?xml version="1.0" encoding="utf-8"?>
<annotation>
  <source><filename>0.tif</filename><origin>GF2/GF3</origin></source>
  <size><width>1000</width><height>1000</height><depth>3</depth></size>
  <objects>
    <object>
      <coordinate>pixel</coordinate><type>rectangle</type><description>None</description>
      <possibleresult><name>Small Car</name></possibleresult>
      <points>
        <point>100.000000,50.000000</point><point>130.000000,60.000000</point>
        <point>125.000000,75.000000</point><point>95.000000,65.000000</point>
        <point>100.000000,50.000000</point>
      </points>
    </object>
    <object>
      <coordinate>pixel</coordinate><type>rectangle</type><description>None</description>
      <possibleresult><name>Boeing737</name></possibleresult>
      <points>
        <point>10,10</point><point>20,10</point><point>20,30</point><point>10,30</point>
      </points>
    </object>
  </objects>
</annotation>
"""


def test_fair1m_xml(tmp_path):
    path = tmp_path / '0.xml'
    path.write_text(FAIR1M_XML)
    car, plane = parse_fair1m_xml(str(path), ClassMapper(FAST_CLASSES))
    assert FAST_CLASSES[car.label] == 'Small-Car' and FAST_CLASSES[plane.label] == 'Boeing737'
    np.testing.assert_array_equal(car.poly, [[100, 50], [130, 60], [125, 75], [95, 65]])
    assert car.hbox is None and car.line == 6
    np.testing.assert_array_equal(plane.hbox, [10, 10, 20, 30])

    path.write_text(FAIR1M_XML.replace('<point>20,30</point>', '<point>20;30</point>'))
    with pytest.raises(AnnotationError, match=r'0\.xml:19: <point> must read "x,y"'):
        parse_fair1m_xml(str(path), ClassMapper(FAST_CLASSES))
    path.write_text(FAIR1M_XML.replace('<point>20,30</point>', ''))
    with pytest.raises(AnnotationError, match=r'0\.xml:15: expected 4 corners .* found 3'):
        parse_fair1m_xml(str(path), ClassMapper(FAST_CLASSES))


def test_class_map_json_renames_and_drops(tmp_path):
    spec = tmp_path / 'map.json'
    spec.write_text(json.dumps({'classes': 'sior', 'map': {'plane': 'airplane',
                                                           'small vehicle': 'vehicle',
                                                           'helicopter': None}}))
    mapper = ClassMapper.from_spec(str(spec))
    assert mapper.classes == SIOR_CLASSES
    path = tmp_path / 'x.txt'
    path.write_text('0 0 4 0 4 4 0 4 plane\n0 0 4 0 4 4 0 4 helicopter\n'
                    '0 0 4 0 4 4 0 4 small-vehicle\n')
    objects = parse_dota_txt(str(path), mapper)
    assert [SIOR_CLASSES[o.label] for o in objects] == ['airplane', 'vehicle']
    assert [o.line for o in objects] == [1, 3]
    assert ClassMapper.from_spec('FAST').classes == FAST_CLASSES
    with pytest.raises(FileNotFoundError, match='neither one of'):
        ClassMapper.from_spec(osp.join(str(tmp_path), 'missing.json'))


def test_dota_readers_share_one_parser_and_error(tmp_path):
    """The SAM labeling reader and the split tool's reader are one parser: same objects, same
    :class:`mmrsfm.datasets.formats.annotation_error.AnnotationError` for a malformed line."""
    from mmrsfm.datasets.formats import read_dota_txt
    from mmrsfm.datasets.formats.annotation_error import AnnotationError as SharedError
    assert AnnotationError is SharedError
    path = tmp_path / 'P0001.txt'
    path.write_text('imagesource:GoogleEarth\ngsd:null\n1 1 9 1 9 9 1 9 plane 2\n')
    (obj, ) = parse_dota_txt(str(path), ClassMapper(SOTA_CLASSES))
    (entry, ) = read_dota_txt(str(path)).objects
    assert obj.line == entry.line == 3 and obj.difficult  # 2 (cut by a patch) is difficult
    assert np.array_equal(obj.poly, entry.poly)
    path.write_text('1 1 9 1 9 9 1 plane\n')
    with pytest.raises(SharedError, match=r'P0001\.txt:1: .*found 8'):
        read_dota_txt(str(path))
