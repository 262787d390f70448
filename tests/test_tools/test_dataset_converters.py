"""The dataset preparation CLIs of tools/dataset_converters/ on tiny data in the release
formats: outputs, resume (finished outputs are skipped), and errors naming file and line."""
import glob
import importlib.util
import json
import os
import os.path as osp
import pickle
import shutil

import cv2
import numpy as np
import pytest
import torch
from mmrotate.structures.bbox.box_converters import qbox2rbox
from pycocotools.coco import COCO

from mmrsfm.datasets.formats import read_dota_txt
from mmrsfm.testing import write_dior, write_dota, write_scene_folder
from mmrsfm.testing.rs_formats import (write_isaid_release, write_potsdam_release,
                                       write_spacenet_v1_release)
from tests.conftest import REPO_ROOT, run_tool


def load_tool(name: str):
    """Import ``tools/dataset_converters/<name>.py`` as a module (its ``main(argv)``)."""
    path = osp.join(REPO_ROOT, 'tools', 'dataset_converters', f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'dataset_converters_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _mtimes(folder):
    return {p: os.stat(p).st_mtime_ns
            for p in glob.glob(osp.join(folder, '**', '*'), recursive=True) if osp.isfile(p)}


def make_dota_release(root, size=256):
    """A raw DOTA release: train/val with labelTxt (header lines), test with images only."""
    write_dota(root, 'train', num_images=3, size=size, raw_release=True, seed=1)
    write_dota(root, 'val', num_images=2, size=size, raw_release=True, seed=2)
    write_dota(root, 'test', num_images=1, size=size, raw_release=True, seed=3)
    shutil.rmtree(osp.join(root, 'test', 'labelTxt'))
    for img in glob.glob(osp.join(root, 'val', 'images', '*.png')):  # distinct ids per split
        os.rename(img, img.replace('P0', 'P1'))
    for txt in glob.glob(osp.join(root, 'val', 'labelTxt', '*.txt')):
        os.rename(txt, txt.replace('P0', 'P1'))
    for img in glob.glob(osp.join(root, 'test', 'images', '*.png')):
        os.rename(img, img.replace('P0', 'P2'))


def test_dota_split_cli_resume_and_errors(tmp_path, capsys):
    src, out = str(tmp_path / 'DOTA'), str(tmp_path / 'split')
    make_dota_release(src)
    tool = load_tool('dota_split')
    args = [src, out, '--size', '200', '--gap', '100', '--rates', '1.0', '0.5']
    tool.main(args)
    # 256 px at rate 1.0: 2 x 2 windows; at 0.5 (128 px): 1 padded window.
    for split, count in (('train', 3), ('val', 2), ('test', 1)):
        assert len(os.listdir(osp.join(out, split, 'images'))) == count * 5
    assert not osp.exists(osp.join(out, 'test', 'annfiles'))
    assert sorted(os.listdir(osp.join(out, 'trainval', 'annfiles'))) == sorted(
        os.listdir(osp.join(out, 'train', 'annfiles')) + os.listdir(osp.join(out, 'val',
                                                                             'annfiles')))
    patch = cv2.imread(osp.join(out, 'train', 'images', 'P0000__0.5__0___0.png'))
    assert patch.shape == (200, 200, 3) and not patch[128:].any()  # zero padding
    objects = read_dota_txt(osp.join(out, 'train', 'annfiles', 'P0000__0.5__0___0.txt')).objects
    original = read_dota_txt(osp.join(src, 'train', 'labelTxt', 'P0000.txt')).objects
    np.testing.assert_allclose([o.poly * 0.5 for o in original], [o.poly for o in objects],
                               atol=0.01)

    before = _mtimes(out)
    capsys.readouterr()
    tool.main(args)  # resume: nothing left to do
    assert 'train: 0 new patches' in capsys.readouterr().out
    assert _mtimes(out) == before
    os.remove(osp.join(out, 'train', '.done', 'P0001__1.0'))  # an interrupted image is redone
    tool.main(args)
    assert 'train: 4 new patches' in capsys.readouterr().out

    with open(osp.join(src, 'val', 'labelTxt', 'P1001.txt'), 'a') as f:
        f.write('10 10 20 10 20 20 10 plane 0\n')
    shutil.rmtree(out)
    with pytest.raises(SystemExit, match=r'P1001\.txt:\d+: the first 8 fields must be numbers'):
        tool.main(args)


def test_dota_split_runs_as_a_script(tmp_path, python):
    src, out = str(tmp_path / 'DOTA'), str(tmp_path / 'split')
    make_dota_release(src)
    result = run_tool([python, 'tools/dataset_converters/dota_split.py', src, out,
                       '--phases', 'val', '--size', '200', '--gap', '100'], cwd=REPO_ROOT)
    assert 'val: 8 new patches' in result.stdout
    assert len(os.listdir(osp.join(out, 'val', 'annfiles'))) == 8


def test_dota_merge_cli_scores_merged_ground_truth_perfectly(tmp_path, capsys):
    src, out = str(tmp_path / 'DOTA'), str(tmp_path / 'split')
    make_dota_release(src)
    load_tool('dota_split').main([src, out, '--phases', 'val', '--size', '200', '--gap',
                                  '100', '--rates', '1.0', '0.5'])
    from mmrsfm.datasets.formats import DOTA_V1_CLASSES
    results = []
    for ann in sorted(glob.glob(osp.join(out, 'val', 'annfiles', '*.txt'))):
        name = osp.basename(ann)[:-4]
        objects = [o for o in read_dota_txt(ann).objects
                   if o.poly.min() > 0 and o.poly.max() < 200]  # not cut by the border
        quads = torch.tensor(np.array([o.poly.ravel() for o in objects]).reshape(-1, 8),
                             dtype=torch.float32)
        results.append({'img_id': name, 'img_path': osp.join(out, 'val', 'images', name),
                        'pred_instances': {
                            'bboxes': qbox2rbox(quads) if len(objects) else torch.zeros(0, 5),
                            'scores': torch.linspace(1.0, 0.5, len(objects)),
                            'labels': torch.tensor([DOTA_V1_CLASSES.index(o.name)
                                                    for o in objects], dtype=torch.long)}})
    with open(tmp_path / 'preds.pkl', 'wb') as f:
        pickle.dump(results, f)
    task1 = str(tmp_path / 'Task1')
    capsys.readouterr()
    load_tool('dota_merge').main([str(tmp_path / 'preds.pkl'), task1, '--zip',
                                  '--eval-ann-dir', osp.join(src, 'val', 'labelTxt')])
    printed = capsys.readouterr().out
    scores = json.loads(printed.split('dota task1: ')[1])
    assert scores['mAP'] == pytest.approx(1.0)
    assert sorted(os.listdir(task1)) == sorted([f'Task1_{c}.txt' for c in DOTA_V1_CLASSES] +
                                               ['Task1.zip'])
    with pytest.raises(SystemExit, match='not a DOTA patch name'):
        results[0]['img_id'] = 'P1000'
        with open(tmp_path / 'preds.pkl', 'wb') as f:
            pickle.dump(results, f)
        load_tool('dota_merge').main([str(tmp_path / 'preds.pkl'), task1])


def test_dior_to_coco_cli(tmp_path, capsys):
    root = str(tmp_path / 'DIOR')
    written = write_dior(root, {'train': 2, 'val': 1, 'test': 2})
    tool = load_tool('dior_to_coco')
    tool.main([root])
    coco = COCO(osp.join(root, 'coco', 'test.json'))
    assert [coco.imgs[i]['file_name'] for i in sorted(coco.imgs)] == [
        f'JPEGImages-test/{i}.jpg' for i in written['test']]
    assert len(COCO(osp.join(root, 'coco', 'trainval.json')).imgs) == 3
    before = _mtimes(osp.join(root, 'coco'))
    tool.main([root])
    assert 'exists, skipped' in capsys.readouterr().out
    assert _mtimes(osp.join(root, 'coco')) == before
    os.remove(osp.join(root, 'Annotations', 'Horizontal Bounding Boxes',
                       f'{written["test"][0]}.xml'))
    with pytest.raises(SystemExit, match=f'{written["test"][0]}.xml: annotation of image'):
        tool.main([root, '--splits', 'test', '--overwrite'])
    # A missing image stops the tool before any split is written, naming the file.
    shutil.rmtree(osp.join(root, 'coco'))
    os.remove(osp.join(root, 'JPEGImages-test', f'{written["test"][1]}.jpg'))
    with pytest.raises(SystemExit, match=f'1 of the 2 images .* missing: {written["test"][1]}.jpg'):
        tool.main([root])
    assert not osp.exists(osp.join(root, 'coco', 'trainval.json'))


def test_scene_split_cli(tmp_path, capsys):
    root = str(tmp_path / 'RESISC45')
    write_scene_folder(root, classes=('airplane', 'beach'), per_class=8, val_per_class=2,
                       size=16)
    tool = load_tool('scene_split')
    tool.main([root, '--ratios', '10', '20'])
    for percent, per_class in ((10, 1), (20, 2)):
        folder = osp.join(root, 'splits', f'tr{percent}_seed0')
        train = open(osp.join(folder, 'train.txt')).read().split('\n')[:-1]
        test = open(osp.join(folder, 'test.txt')).read().split('\n')[:-1]
        assert len(train) == 2 * per_class and len(test) == 2 * (10 - per_class)
        assert open(osp.join(folder, 'classes.txt')).read() == 'airplane\nbeach\n'
        for line in train + test:
            assert osp.isfile(osp.join(root, line.split()[0]))
    before = _mtimes(osp.join(root, 'splits'))
    tool.main([root, '--ratios', '10'])
    assert 'exists, skipped' in capsys.readouterr().out
    assert _mtimes(osp.join(root, 'splits')) == before


def test_spacenet_v1_cli(tmp_path, capsys):
    src, out = str(tmp_path / 'raw'), str(tmp_path / 'spacenet')
    boxes = write_spacenet_v1_release(src, num_tiles=4, size=(30, 36))
    tool = load_tool('spacenet_v1')
    tool.main([src, out, '--num-train', '3'])
    train = open(osp.join(out, 'train.txt')).read().split()
    val = open(osp.join(out, 'val.txt')).read().split()
    assert len(train) == 3 and len(val) == 1 and sorted(train + val) == sorted(boxes)
    for tile, tile_boxes in boxes.items():
        split = 'train' if tile in train else 'val'
        mask = cv2.imread(osp.join(out, 'ann_dir', split, f'{tile}.png'), cv2.IMREAD_UNCHANGED)
        expected = np.zeros((30, 36), np.uint8)
        for c0, r0, c1, r1 in tile_boxes:
            expected[r0:r1, c0:c1] = 1
        np.testing.assert_array_equal(mask, expected)
        assert cv2.imread(osp.join(out, 'img_dir', split, f'{tile}.png')).shape == (30, 36, 3)
    before = _mtimes(osp.join(out, 'ann_dir'))
    capsys.readouterr()
    tool.main([src, out, '--num-train', '3'])
    assert '4 already done' in capsys.readouterr().out
    assert _mtimes(osp.join(out, 'ann_dir')) == before
    os.remove(osp.join(src, 'vectordata', 'geojson', 'Geo_AOI_1_RIO_img2.geojson'))
    with pytest.raises(SystemExit, match='3band_AOI_1_RIO_img2.tif: no GeoJSON'):
        tool.main([src, str(tmp_path / 'other'), '--num-train', '3'])


def test_potsdam_cli(tmp_path, capsys):
    src, out = str(tmp_path / 'raw'), str(tmp_path / 'potsdam')
    labels = write_potsdam_release(src, tiles=('2_10', '2_13'), size=96)
    tool = load_tool('potsdam')
    tool.main([src, out, '--size', '64', '--stride', '32'])
    for tile, split in (('2_10', 'train'), ('2_13', 'val')):
        names = sorted(os.listdir(osp.join(out, 'ann_dir', split)))
        assert names == sorted(f'{tile}_{x}_{y}_{x + 64}_{y + 64}.png'
                               for x in (0, 32) for y in (0, 32))
        patch = cv2.imread(osp.join(out, 'ann_dir', split, f'{tile}_32_0_96_64.png'),
                           cv2.IMREAD_UNCHANGED)
        np.testing.assert_array_equal(patch, labels[tile][0:64, 32:96])
    before = _mtimes(osp.join(out, 'ann_dir'))
    tool.main([src, out, '--size', '64', '--stride', '32'])
    assert _mtimes(osp.join(out, 'ann_dir')) == before
    os.remove(glob.glob(osp.join(src, '**', '*2_13_RGB.tif'), recursive=True)[0])
    with pytest.raises(SystemExit, match='2_13_label_noBoundary.tif: the rgb file of tile 2_13'):
        tool.main([src, out])


def test_isaid_cli(tmp_path):
    src, out = str(tmp_path / 'raw'), str(tmp_path / 'iSAID')
    labels = write_isaid_release(src, {'train': 1, 'val': 1}, size=(80, 120))
    tool = load_tool('isaid')
    tool.main([src, out, '--size', '64', '--overlap', '16'])
    names = sorted(os.listdir(osp.join(out, 'ann_dir', 'train')))
    # Windows start every 48 px, the last one moved back to the border.
    assert names == sorted(f'P0000_{y}_{y + 64}_{x}_{x + 64}_instance_color_RGB.png'
                           for y in (0, 16) for x in (0, 48, 56))
    patch = cv2.imread(osp.join(out, 'ann_dir', 'val', 'P0001_16_80_48_112_instance_color_RGB'
                                '.png'), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(patch, labels['val']['P0001'][16:80, 48:112])
    assert osp.isfile(osp.join(out, 'img_dir', 'val', 'P0001_16_80_48_112.png'))
    before = _mtimes(osp.join(out, 'img_dir'))
    tool.main([src, out, '--size', '64', '--overlap', '16'])
    assert _mtimes(osp.join(out, 'img_dir')) == before
