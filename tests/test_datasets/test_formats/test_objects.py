"""mmrsfm.datasets.formats.objects and xml_lines: class mapping (normalisation, renames, drops,
class-map JSON files), object construction and the line-keeping XML parser."""
import json
import os.path as osp

import numpy as np
import pytest

from mmrsfm.datasets.formats import (AnnotationError, ClassMapper, DetObject, make_object,
                                     normalize_name, parse_xml_with_lines, read_dota_objects)
from mmrsfm.datasets.samrs_metainfo import FAST_CLASSES, SIOR_CLASSES, SOTA_CLASSES


def test_normalize_name_and_lookup():
    assert normalize_name(' Small  Car ') == 'small-car'
    assert normalize_name('Expressway_Service-area') == 'expressway-service-area'
    mapper = ClassMapper(['plane', 'small-vehicle'], rename={'Helicopter': None,
                                                             'car': 'Small Vehicle'})
    assert mapper.classes == ('plane', 'small-vehicle')
    assert mapper.lookup('PLANE') == 0 and mapper.lookup('small_vehicle') == 1
    assert mapper.lookup('car') == 1 and mapper.lookup('helicopter') is None
    with pytest.raises(KeyError):
        mapper.lookup('ship')
    with pytest.raises(ValueError, match='collide after normalisation'):
        ClassMapper(('small car', 'Small-Car'))


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
    objects = read_dota_objects(str(path), mapper)
    assert [SIOR_CLASSES[o.label] for o in objects] == ['airplane', 'vehicle']
    assert [o.line for o in objects] == [1, 3]
    assert ClassMapper.from_spec('FAST').classes == FAST_CLASSES
    spec.write_text(json.dumps(['a', 'b']))
    assert ClassMapper.from_spec(str(spec)).classes == ('a', 'b')


def test_class_map_spec_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='neither one of'):
        ClassMapper.from_spec(osp.join(str(tmp_path), 'missing.json'))
    spec = tmp_path / 'map.json'
    spec.write_text('{\n"classes": [\n"a",,\n]}')
    with pytest.raises(AnnotationError, match=r'map\.json:3: invalid JSON'):
        ClassMapper.from_spec(str(spec))
    spec.write_text('{"map": {}}')
    with pytest.raises(AnnotationError, match=r'map\.json: expected a list of class names'):
        ClassMapper.from_spec(str(spec))


def test_make_object():
    mapper = ClassMapper(SOTA_CLASSES, {'heli': None})
    square = np.array([[1., 2], [5, 2], [5, 6], [1, 6]])
    obj = make_object(mapper, 'Plane', 'a.txt', 3, poly=square, difficult=True)
    assert isinstance(obj, DetObject) and obj.label == SOTA_CLASSES.index('plane')
    assert (obj.name, obj.line, obj.difficult) == ('Plane', 3, True)
    np.testing.assert_array_equal(obj.hbox, [1, 2, 5, 6])
    assert make_object(mapper, 'heli', 'a.txt', 4, poly=square) is None
    with pytest.raises(AnnotationError, match=r"a\.txt:5: unknown class 'boat'"):
        make_object(mapper, 'boat', 'a.txt', 5, poly=square)
    with pytest.raises(AnnotationError, match=r'a\.txt:6: non-finite coordinate'):
        make_object(mapper, 'plane', 'a.txt', 6, hbox=np.array([0, 0, np.inf, 1]))


def test_parse_xml_with_lines(tmp_path):
    path = tmp_path / 'a.xml'
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n<a>\n  <b>x</b>\n\n  <c><d/>'
                    '</c>\n</a>\n')
    root, lines = parse_xml_with_lines(str(path))
    assert [(e.tag, lines[e]) for e in root.iter()] == [('a', 2), ('b', 3), ('c', 5), ('d', 5)]
    assert root.find('b').text == 'x'
    path.write_text('<a>\n<b>\n</a>\n')
    with pytest.raises(AnnotationError, match=r'a\.xml:3: malformed XML: mismatched tag'):
        parse_xml_with_lines(str(path))
