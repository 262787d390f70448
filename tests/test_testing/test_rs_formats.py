"""The synthetic RS-format writers (rs_formats) read back through the upstream dataset classes."""
import os.path as osp

import cv2
import numpy as np

from mmrsfm.datasets.formats import DOTA_V1_CLASSES
from mmrsfm.testing import (DOTA_CLASSES, LOVEDA_CLASSES, write_dota, write_loveda,
                            write_scene_folder)
from mmrsfm.version import __version__, parse_version_info


def test_dota_polygons_round_trip_through_mmrotate(tmp_path):
    from mmrotate.datasets import DOTADataset

    # One DOTA class list (mmrsfm.datasets.formats), in mmrotate's label order.
    assert DOTA_CLASSES is DOTA_V1_CLASSES
    assert DOTA_V1_CLASSES == tuple(DOTADataset.METAINFO['classes'])
    root = str(tmp_path)
    ids = write_dota(root, 'trainval', num_images=3, num_classes=5, seed=3)
    dataset = DOTADataset(data_root=root, ann_file='trainval/annfiles/',
                          data_prefix=dict(img_path='trainval/images/'), pipeline=[])
    assert sorted(dataset.get_data_info(i)['img_id'] for i in range(len(dataset))) == ids
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        lines = open(osp.join(root, 'trainval', 'annfiles', f'{info["img_id"]}.txt')).readlines()
        assert len(info['instances']) == len(lines)
        for inst, line in zip(info['instances'], lines):
            parts = line.split()
            np.testing.assert_allclose(inst['bbox'], [float(v) for v in parts[:8]])
            assert dataset.metainfo['classes'][inst['bbox_label']] == parts[8]
            # Every polygon is a rectangle: opposite sides of equal length.
            p = np.array(inst['bbox']).reshape(4, 2)
            sides = np.linalg.norm(p - np.roll(p, -1, axis=0), axis=1)
            np.testing.assert_allclose(sides[0], sides[2], atol=0.2)
        image = cv2.imread(info['img_path'])
        assert image.shape == (256, 256, 3)
    raw = write_dota(str(tmp_path / 'raw'), 'train', num_images=1, raw_release=True)
    header = open(osp.join(tmp_path, 'raw', 'train', 'labelTxt', f'{raw[0]}.txt')).readlines()
    assert header[0].startswith('imagesource:') and header[1].startswith('gsd:')


def test_loveda_labels_and_mmseg_reduction(tmp_path):
    from mmseg.datasets import LoveDADataset
    write_loveda(str(tmp_path), {'train': 2})
    dataset = LoveDADataset(
        data_root=str(tmp_path),
        data_prefix=dict(img_path='img_dir/train', seg_map_path='ann_dir/train'), pipeline=[])
    assert len(dataset) == 2 and dataset.metainfo['classes'] == LOVEDA_CLASSES
    label = cv2.imread(dataset.get_data_info(0)['seg_map_path'], cv2.IMREAD_UNCHANGED)
    assert label.ndim == 2 and label[0, 0] == 0  # no-data corner
    assert set(np.unique(label)) <= set(range(len(LOVEDA_CLASSES) + 1))
    assert len(np.unique(label)) >= 3


def test_scene_folder_split_files(tmp_path):
    lines = write_scene_folder(str(tmp_path), classes=('A', 'B'), per_class=3, val_per_class=1)
    assert len(lines['train']) == 6 and len(lines['val']) == 2
    for line in lines['train'] + lines['val']:
        rel, label = line.split()
        assert osp.isfile(osp.join(tmp_path, rel)) and rel.split('/')[0] == 'AB'[int(label)]


def test_version_info():
    assert parse_version_info(__version__)[:2] == (0, 1)
    assert parse_version_info('1.2.0rc3') == (1, 2, 0, 'rc3')
