"""DOTA patch splitting (checked against the official devkit's ImgSplit) and merging of patch
detections back to full images (round trip of box coordinates), the DOTA label reader, and
DOTA-v2.0 labels split through the CLI (checked by hand)."""
import codecs
import glob
import importlib.util
import json
import os
import os.path as osp
import pickle

import cv2
import numpy as np
import pytest
from dotadevkit.ops.ImgSplit import DataSplitter

from mmrsfm.datasets.formats import (DOTA_V2_CLASSES, AnnotationError, DOTAObject, parse_dota_lines,
                                     read_dota_txt)
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


# A DOTA-v2.0 image of 700 x 500 px whose label holds the three classes DOTA-v1.0 lacks
# (container-crane, airport, helipad) and three v1 classes.
V2_LABEL = """imagesource:GoogleEarth
gsd:0.146
500 420 560 420 560 480 500 480 container-crane 0
200 150 450 150 450 350 200 350 airport 1
20 20 80 20 80 80 20 80 helipad 0
350 30 370 50 350 70 330 50 plane 0
100 390 120 390 120 410 100 410 small-vehicle 0
400 420 420 420 420 440 400 440 ship 0
"""


def _rect(x0, y0, x1, y1):
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


# 400 px patches, gap 100 (step 300): x origins 0 and 300 (the last moved back to end at 700),
# y origins 0 and 100. Objects per patch, in label order, worked out by hand:
# (class, difficulty, corners in patch pixels). The airport (difficult 1 in the release) keeps
# its flag where 200 of its 250 px width (IoF 0.8 > 0.7) are inside, and becomes 2 where only
# 150 px (0.6) are; the small vehicle is cut to half (0.5) at y = 400; the ship only touches
# x = 400, so the x0 = 0 patches leave it out.
V2_EXPECTED = {
    'P9000__1.0__0___0': [('airport', 1, _rect(200, 150, 400, 350)),
                          ('helipad', 0, _rect(20, 20, 80, 80)),
                          ('plane', 0, [(350, 30), (370, 50), (350, 70), (330, 50)]),
                          ('small-vehicle', 2, _rect(100, 390, 120, 400))],
    'P9000__1.0__0___100': [('airport', 1, _rect(200, 50, 400, 250)),
                            ('small-vehicle', 0, _rect(100, 290, 120, 310))],
    'P9000__1.0__300___0': [('airport', 2, _rect(0, 150, 150, 350)),
                            ('plane', 0, [(50, 30), (70, 50), (50, 70), (30, 50)])],
    'P9000__1.0__300___100': [('container-crane', 0, _rect(200, 320, 260, 380)),
                              ('airport', 2, _rect(0, 50, 150, 250)),
                              ('ship', 0, _rect(100, 320, 120, 340))],
}


def _load_tool(name):
    path = osp.join(osp.dirname(__file__), '..', '..', '..', 'tools', 'dataset_converters',
                    f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'dataset_converters_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _write_v2_release(root):
    image = np.random.RandomState(0).randint(0, 256, (500, 700, 3)).astype(np.uint8)
    for folder in ('images', 'labelTxt'):
        os.makedirs(osp.join(root, 'train', folder))
    cv2.imwrite(osp.join(root, 'train', 'images', 'P9000.png'), image)
    with open(osp.join(root, 'train', 'labelTxt', 'P9000.txt'), 'w') as f:
        f.write(V2_LABEL)
    return image


def test_dota_v2_labels_split_by_hand(tmp_path, capsys):
    src, out = str(tmp_path / 'DOTA-v2.0'), str(tmp_path / 'split')
    image = _write_v2_release(src)
    tool = _load_tool('dota_split')
    tool.main([src, out, '--phases', 'train', '--size', '400', '--gap', '100', '--classes',
               'v2.0'])
    names = sorted(n[:-4] for n in os.listdir(osp.join(out, 'train', 'annfiles')))
    assert names == sorted(V2_EXPECTED)
    for name, expected in V2_EXPECTED.items():
        objects = read_dota_txt(osp.join(out, 'train', 'annfiles', name + '.txt'),
                                DOTA_V2_CLASSES).objects
        assert [(o.name, o.difficult) for o in objects] == [(c, d) for c, d, _ in expected]
        for obj, (_, _, corners) in zip(objects, expected):
            # Clipped corners start at the corner closest to the source's first one.
            np.testing.assert_allclose(sorted(map(tuple, obj.poly)), sorted(corners),
                                       atol=1e-6, err_msg=name)
        _, _, x, y = parse_patch_name(name)
        patch = cv2.imread(osp.join(out, 'train', 'images', name + '.png'))
        np.testing.assert_array_equal(patch, image[y:y + 400, x:x + 400])

    # The same label against DOTA-v1.0 (the default) and v1.5: stopped at the first class the
    # set lacks, with file and line, before any patch is written.
    label = osp.join(src, 'train', 'labelTxt', 'P9000.txt')
    for classes, line, name in ((None, 3, 'container-crane'), ('v1.5', 4, 'airport')):
        args = [src, str(tmp_path / f'out_{line}'), '--phases', 'train', '--size', '400']
        with pytest.raises(SystemExit) as info:
            tool.main(args + (['--classes', classes] if classes else []))
        assert str(info.value).startswith(f"error: {label}:{line}: unknown class '{name}'")
        assert '--classes v1.5 / v2.0' in str(info.value)
        assert not glob.glob(str(tmp_path / f'out_{line}' / 'train' / 'images' / '*'))

    # A class file with the v2 names in another order reads the same label.
    class_file = tmp_path / 'sota.txt'
    class_file.write_text('\n'.join(reversed(DOTA_V2_CLASSES)) + '\n')
    tool.main([src, str(tmp_path / 'by_file'), '--phases', 'train', '--size', '400', '--gap',
               '100', '--classes', str(class_file)])
    assert sorted(os.listdir(tmp_path / 'by_file' / 'train' / 'annfiles')) == \
        sorted(n + '.txt' for n in V2_EXPECTED)


def test_dota_v2_patches_to_sota_labels_and_merge(tmp_path, capsys):
    """The SOTA recipe's steps after the split: generate_labels' DOTA reader with --classes sota
    maps the v2.0 names to SOTA's label order; dota_merge --classes v2.0 merges detections of
    a model trained in mmrotate's v2.0 order back to the full image."""
    import torch
    from mmrotate.structures.bbox.box_converters import qbox2rbox

    from mmrsfm.datasets.samrs_metainfo import SOTA_CLASSES
    from mmrsfm.datatools.sam_labels import ClassMapper
    from mmrsfm.datatools.sam_labels.annotations import load_objects

    src, out = str(tmp_path / 'DOTA-v2.0'), str(tmp_path / 'split')
    _write_v2_release(src)
    _load_tool('dota_split').main([src, out, '--phases', 'train', '--size', '400', '--gap',
                                   '100', '--classes', 'v2.0'])
    ann_dir = osp.join(out, 'train', 'annfiles')
    objects = load_objects(osp.join(ann_dir, 'P9000__1.0__300___100.txt'), 'dota',
                           ClassMapper.from_spec('sota'))
    assert [o.label for o in objects] == [15, 16, 5]  # container-crane, airport, ship
    assert [SOTA_CLASSES[o.label] for o in objects] == [o.name for o in objects]

    results = []
    for name in sorted(V2_EXPECTED):
        kept = [o for o in read_dota_txt(osp.join(ann_dir, name + '.txt')).objects
                if o.poly.min() > 0 and o.poly.max() < 400]  # not cut by the patch border
        quads = torch.tensor(np.array([o.poly.ravel() for o in kept]).reshape(-1, 8),
                             dtype=torch.float32)
        results.append({'img_id': name, 'pred_instances': {
            'bboxes': qbox2rbox(quads) if kept else torch.zeros(0, 5),
            'scores': torch.ones(len(kept)),
            'labels': torch.tensor([DOTA_V2_CLASSES.index(o.name) for o in kept],
                                   dtype=torch.long)}})
    with open(tmp_path / 'preds.pkl', 'wb') as f:
        pickle.dump(results, f)
    task1 = tmp_path / 'Task1'
    capsys.readouterr()
    _load_tool('dota_merge').main([str(tmp_path / 'preds.pkl'), str(task1), '--classes', 'v2.0',
                                   '--eval-ann-dir', osp.join(src, 'train', 'labelTxt')])
    scores = json.loads(capsys.readouterr().out.split('dota task1: ')[1])
    assert sorted(os.listdir(task1)) == sorted(f'Task1_{c}.txt' for c in DOTA_V2_CLASSES)
    # One detection per non-difficult object, merged from overlapping patches.
    for cls in ('container-crane', 'helipad', 'plane', 'small-vehicle', 'ship'):
        assert len((task1 / f'Task1_{cls}.txt').read_text().splitlines()) == 1, cls
    assert scores['mAP'] == pytest.approx(1.0)
