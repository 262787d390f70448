"""DOTA patch splitting (checked against the official devkit's ImgSplit) and merging of patch
detections back to full images (round trip of box coordinates), and the DOTA label reader."""
import codecs
import os
import os.path as osp
import pickle

import cv2
import numpy as np
import pytest
from dotadevkit.ops.ImgSplit import DataSplitter

from mmrsfm.datasets.formats import AnnotationError, DOTAObject, parse_dota_lines, read_dota_txt
from mmrsfm.datatools.conversion import sliding_windows, split_image, split_image_file
from mmrsfm.evaluation.functional import merge_patch_detections, parse_patch_name, write_task1_files
from mmrsfm.evaluation.functional.dota_merge import to_quadrilaterals


def _grid_objects(width, height, rng, spacing=100, margin=40):
    """Rotated rectangles on a jittered grid: never overlapping, all inside the image."""
    objects = []
    for cx in np.arange(margin, width - margin, spacing):
        for cy in np.arange(margin, height - margin, spacing):
            w, h = rng.uniform(12, 45, size=2)
            centre = (float(cx + rng.uniform(-8, 8)), float(cy + rng.uniform(-8, 8)))
            corners = cv2.boxPoints((centre, (float(w), float(h)), float(rng.uniform(0, 180))))
            objects.append(DOTAObject(corners.astype(np.float64), 'plane', int(rng.randint(2))))
    return objects


@pytest.mark.parametrize('rate', [1.0, 0.5, 1.5])
def test_split_then_merge_round_trips_boxes(rate):
    rng = np.random.RandomState(0)
    width, height = 620, 450
    objects = _grid_objects(width, height, rng)
    image = np.zeros((height, width, 3), np.uint8)
    size = 200
    patches = []
    for name, patch, lines in split_image(image, objects, 'P0007', rate, size=size, gap=80):
        assert patch.shape == (size, size, 3)
        # Detections = the patch's objects that were not cut by the patch border.
        kept = [o for o in parse_dota_lines(lines).objects
                if o.poly.min() > 0 and o.poly.max() < size]
        boxes = np.array([o.poly.ravel() for o in kept]).reshape(-1, 8)
        patches.append((name, boxes, np.ones(len(kept)), np.zeros(len(kept), np.int64)))
    assert {parse_patch_name(p[0])[1] for p in patches} == {rate}

    merged = merge_patch_detections(patches, num_classes=1)['P0007'][0]
    assert len(merged) == len(objects)  # duplicates from overlapping patches removed
    originals = np.array([o.poly.ravel() for o in objects])
    for box in originals:
        error = np.abs(merged[:, :8] - box).max(axis=1).min()
        assert error < 0.02  # annotation files keep 2 decimals, divided by the rate


def test_windows_and_patch_labels_match_devkit(tmp_path):
    rng = np.random.RandomState(3)
    width, height, size, gap = 410, 330, 128, 40
    objects = _grid_objects(width, height, rng, spacing=70, margin=30)
    for obj in objects:  # the devkit reads corners as integers (int()), so give it integers
        obj.poly = np.round(obj.poly)
    src = tmp_path / 'src'
    (src / 'images').mkdir(parents=True)
    (src / 'labelTxt').mkdir()
    cv2.imwrite(str(src / 'images' / 'P0001.png'), np.zeros((height, width, 3), np.uint8))
    lines = ['imagesource:GoogleEarth', 'gsd:0.5'] + [
        ' '.join(f'{v:.0f}' for v in o.poly.ravel()) + f' {o.name} {o.difficult}'
        for o in objects]
    (src / 'labelTxt' / 'P0001.txt').write_text('\n'.join(lines) + '\n')

    DataSplitter(str(src), str(tmp_path / 'devkit'), gap=gap, subsize=size, thresh=0.7,
                 num_process=1).splitdata(1.0)
    split_image_file(str(src / 'images' / 'P0001.png'), str(src / 'labelTxt' / 'P0001.txt'),
                     str(tmp_path / 'ours'), rates=(1.0, ), size=size, gap=gap)

    devkit_files = sorted(os.listdir(tmp_path / 'devkit' / 'labelTxt'))
    our_files = sorted(os.listdir(tmp_path / 'ours' / 'annfiles'))
    assert our_files == devkit_files
    assert len(sliding_windows(width, height, size, gap)) == len(our_files)
    for name in our_files:
        ref = read_dota_txt(str(tmp_path / 'devkit' / 'labelTxt' / name)).objects
        ours = read_dota_txt(str(tmp_path / 'ours' / 'annfiles' / name)).objects
        assert [(o.name, o.difficult) for o in ours] == [(o.name, o.difficult) for o in ref]
        for a, b in zip(ours, ref):
            # The devkit truncates to integers and clamps to [1, size]; we keep sub-pixels.
            assert np.abs(a.poly - b.poly).max() <= 1.0
    # Some objects were cut by patch borders and marked difficult 2, as in the devkit.
    assert any(o.difficult == 2 for name in our_files
               for o in read_dota_txt(str(tmp_path / 'ours' / 'annfiles' / name)).objects)


def test_task1_files_hold_merged_quadrilaterals(tmp_path):
    rbox = np.array([[50.0, 40.0, 20.0, 10.0, 0.3]])
    merged = merge_patch_detections([('P0002__0.5__100___50', rbox, np.array([0.9]),
                                      np.array([1]))], num_classes=2)
    full = merged['P0002'][1]
    np.testing.assert_allclose(full[0, :5], [300.0, 180.0, 40.0, 20.0, 0.3])
    paths = write_task1_files(merged, ['a', 'b'], str(tmp_path), zip_name='Task1.zip')
    assert [osp.basename(p) for p in paths] == ['Task1_a.txt', 'Task1_b.txt', 'Task1.zip']
    assert open(paths[0]).read() == ''
    tokens = open(paths[1]).read().split()
    assert tokens[:2] == ['P0002', '0.900000']
    corners = np.array([float(t) for t in tokens[2:]]).reshape(4, 2)
    # An independent rectangle from OpenCV: same corners up to order.
    expected = cv2.boxPoints(((300.0, 180.0), (40.0, 20.0), np.degrees(0.3))).astype(np.float64)
    np.testing.assert_allclose(sorted(map(tuple, corners)), sorted(map(tuple, expected)),
                               atol=1e-3)
    np.testing.assert_allclose(to_quadrilaterals(full[:, :5]).reshape(4, 2), corners, atol=1e-3)


def test_malformed_dota_line_names_file_and_line(tmp_path):
    path = tmp_path / 'P0003.txt'
    path.write_text('imagesource:GoogleEarth\ngsd:null\n1 2 3 4 5 6 7 8 plane 0\n'
                    '1 2 3 4 5 six 7 8 ship 0\n')
    with pytest.raises(ValueError, match=r'P0003\.txt:4: the first 8 fields must be numbers'):
        read_dota_txt(str(path))
    path.write_text('1 2 3 4 5 6 7 8 plane 0\n1 2 3 4 5 6 7 ship\n')
    with pytest.raises(ValueError, match=r'P0003\.txt:2: expected 8 coordinates'):
        read_dota_txt(str(path))
    path.write_text('imagesource:GoogleEarth\ngsd:0.146\n1 2 3 4 5 6 7 8 plane 1\n')
    ann = read_dota_txt(str(path), classes=['plane'])
    assert (ann.image_source, ann.gsd, ann.objects[0].difficult) == ('GoogleEarth', 0.146, 1)
    with pytest.raises(ValueError, match=r'P0003\.txt:3: unknown class \'plane\''):
        read_dota_txt(str(path), classes=['ship'])


def test_label_encodings_bom_and_undecodable_bytes(tmp_path):
    path = tmp_path / 'P0004.txt'
    lines = 'imagesource:GoogleEarth\r\ngsd:0.5\r\n1 2 3 4 5 6 7 8 plane 0\r\n'
    path.write_bytes(codecs.BOM_UTF8 + lines.encode())  # as Windows Notepad saves it
    ann = read_dota_txt(str(path), classes=['plane'])
    assert (ann.image_source, ann.gsd, len(ann.objects)) == ('GoogleEarth', 0.5, 1)
    assert ann.objects[0].line == 3
    # Latin-1 text (an accented source name) on line 2: named with its file and line.
    path.write_bytes(b'1 2 3 4 5 6 7 8 plane 0\nimagesource:M\xe9xico\n')
    with pytest.raises(AnnotationError, match=r"P0004\.txt:2: expected UTF-8 \(or ASCII\) text, "
                       r"found byte b'\\xe9'"):
        read_dota_txt(str(path))
    path.write_text('1 2 3 4 5 6 7 8 plane 0\n', encoding='utf-16')
    with pytest.raises(AnnotationError, match=r'P0004\.txt:1: .*found a UTF-16 file'):
        read_dota_txt(str(path))


def test_annotation_error_survives_pickling():
    # Process pools send a worker's exception to the parent pickled.
    err = pickle.loads(pickle.dumps(AnnotationError('a/P0001.txt', 7, 'unknown class')))
    assert type(err) is AnnotationError and str(err) == 'a/P0001.txt:7: unknown class'
    assert (err.path, err.line, err.message) == ('a/P0001.txt', 7, 'unknown class')
    assert str(pickle.loads(pickle.dumps(AnnotationError('x.json', None, 'bad')))) == 'x.json: bad'
