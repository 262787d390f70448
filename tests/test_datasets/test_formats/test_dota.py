"""mmrsfm.datasets.formats.dota: labelled objects of DOTA files against the DOTA devkit's parser,
errors naming file and line, and the DOTA-v1.0 / v1.5 / v2.0 class sets against mmrotate's."""
import numpy as np
import pytest
from dotadevkit.misc.dota_utils import parse_dota_poly

from mmrsfm.datasets.formats import (DOTA_V1_CLASSES, DOTA_V2_CLASSES, DOTA_V15_CLASSES,
                                     AnnotationError, ClassMapper, dota_classes, read_dota_objects,
                                     read_dota_txt)
from mmrsfm.datasets.samrs_metainfo import SOTA_CLASSES
from mmrsfm.testing.rs_formats import write_dota


@pytest.mark.parametrize('raw_release', [True, False])
def test_dota_objects_match_devkit(tmp_path, raw_release):
    ids = write_dota(str(tmp_path), num_images=3, size=128, raw_release=raw_release)
    ann_dir = tmp_path / 'trainval' / ('labelTxt' if raw_release else 'annfiles')
    for img_id in ids:
        path = str(ann_dir / f'{img_id}.txt')
        objects = read_dota_objects(path, SOTA_CLASSES)
        reference = [o for o in parse_dota_poly(path) if ':' not in o['name']]
        assert len(objects) == len(reference) > 0
        for obj, ref in zip(objects, reference):
            np.testing.assert_allclose(obj.poly, np.array(ref['poly']))
            assert SOTA_CLASSES[obj.label] == obj.name == ref['name']
            assert obj.difficult == (ref['difficult'] == '1')
        # Header lines are skipped, so objects start on line 3 of a released file.
        assert objects[0].line == (3 if raw_release else 1)


def test_axis_aligned_polygon_is_a_horizontal_box(tmp_path):
    path = tmp_path / 'a.txt'
    path.write_text('10 20 50 20 50 40 10 40 plane 1\n0 0 10 5 8 9 -2 4 ship 0\n')
    hbb, obb = read_dota_objects(str(path), ClassMapper(SOTA_CLASSES))
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
def test_malformed_line_names_file_and_line(tmp_path, line, problem):
    path = tmp_path / 'P0007.txt'
    path.write_text(f'imagesource:GoogleEarth\ngsd:0.5\n1 1 9 1 9 9 1 9 plane 0\n{line}\n')
    with pytest.raises(AnnotationError) as info:
        read_dota_objects(str(path), ClassMapper(SOTA_CLASSES))
    assert info.value.path == str(path) and info.value.line == 4
    assert str(info.value).startswith(f'{path}:4: ') and problem in str(info.value)


def test_objects_and_raw_reader_share_one_parser(tmp_path):
    path = tmp_path / 'P0001.txt'
    path.write_text('imagesource:GoogleEarth\ngsd:null\n1 1 9 1 9 9 1 9 plane 2\n')
    (obj, ) = read_dota_objects(str(path), SOTA_CLASSES)
    (entry, ) = read_dota_txt(str(path)).objects
    assert obj.line == entry.line == 3 and obj.difficult  # 2 (cut by a patch) is difficult
    assert np.array_equal(obj.poly, entry.poly)


def test_class_sets_are_mmrotates():
    from mmrotate.datasets import DOTADataset, DOTAv2Dataset, DOTAv15Dataset
    assert DOTA_V1_CLASSES == tuple(DOTADataset.METAINFO['classes'])
    assert DOTA_V15_CLASSES == tuple(DOTAv15Dataset.METAINFO['classes'])
    assert DOTA_V2_CLASSES == tuple(DOTAv2Dataset.METAINFO['classes'])
    assert (len(DOTA_V1_CLASSES), len(DOTA_V15_CLASSES), len(DOTA_V2_CLASSES)) == (15, 16, 18)
    # SAMRS's SOTA holds the same 18 names, in the authors' order.
    assert set(SOTA_CLASSES) == set(DOTA_V2_CLASSES) and SOTA_CLASSES != DOTA_V2_CLASSES


@pytest.mark.parametrize('spec, expected', [('v1.0', DOTA_V1_CLASSES), ('1.0', DOTA_V1_CLASSES),
                                            ('V1.5', DOTA_V15_CLASSES),
                                            ('v2.0', DOTA_V2_CLASSES), (' 2.0', DOTA_V2_CLASSES)])
def test_dota_classes_by_version(spec, expected):
    assert dota_classes(spec) is expected


def test_dota_classes_from_file(tmp_path):
    path = tmp_path / 'classes.txt'
    path.write_bytes(b'\xef\xbb\xbf# my classes\nship\n\n  plane  \r\nhelipad\n')
    assert dota_classes(str(path)) == ('ship', 'plane', 'helipad')


@pytest.mark.parametrize('text, where, problem', [
    ('ship\nplane\nship\n', ':3: ', "class 'ship' is listed twice (first on line 1)"),
    ('ship\nstorage tank\n', ':2: ', "class name 'storage tank' contains whitespace"),
    ('# nothing\n\n', ': ', 'no class names'),
    ('ship\npl\xe9ne\n'.encode('latin-1'), ':2: ', "expected a UTF-8 text file"),
])
def test_dota_class_file_errors_name_file_and_line(tmp_path, text, where, problem):
    path = tmp_path / 'classes.txt'
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(AnnotationError) as info:
        dota_classes(str(path))
    assert str(info.value).startswith(f'{path}{where}') and problem in str(info.value)


def test_dota_classes_unknown_spec(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'v3\.0: neither a DOTA version \(v1\.0, v1\.5, '
                       r'v2\.0\) nor a class file'):
        dota_classes('v3.0')
