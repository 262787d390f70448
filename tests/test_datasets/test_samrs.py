"""SAMRS subsets: class lists (mmrsfm.datasets.samrs_metainfo), the mmseg datasets
(mmrsfm.datasets.samrs) reading data written by mmrsfm.testing.samrs_format, and the split tool
tools/dataset_converters/samrs_split.py."""
import os
import os.path as osp
import subprocess

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mmrsfm.datasets import DIOR_CLASSES, FASTDataset, SIORDataset, SOTADataset
from mmrsfm.datasets.samrs import SAMRS_META_KEYS
from mmrsfm.datasets.samrs_metainfo import (FAST_CLASSES, IGNORE_INDEX, SIOR_CLASSES, SOTA_CLASSES,
                                            samrs_metainfo)
from mmrsfm.testing import DOTA_CLASSES
from mmrsfm.testing.samrs_format import write_samrs
from tests.conftest import REPO_ROOT, run_tool

SPLIT_TOOL = osp.join(REPO_ROOT, 'tools', 'dataset_converters', 'samrs_split.py')


def test_class_lists_follow_the_source_datasets():
    # Counts from the paper (Table 2): SOTA 18, SIOR 20, FAST 37.
    assert (len(SOTA_CLASSES), len(SIOR_CLASSES), len(FAST_CLASSES)) == (18, 20, 37)
    for classes in (SOTA_CLASSES, SIOR_CLASSES, FAST_CLASSES):
        assert len(set(classes)) == len(classes)
    # SOTA = DOTA-v2.0: the 15 DOTA-v1.0 classes + container-crane, airport, helipad, in the
    # label order of the released PNGs.
    assert set(SOTA_CLASSES) == set(DOTA_CLASSES) | {'container-crane', 'airport', 'helipad'}
    assert SOTA_CLASSES[:3] == ('large-vehicle', 'swimming-pool', 'helicopter')
    assert SOTA_CLASSES[-1] == 'helipad'
    # SIOR = DIOR, same order as the DIOR detection dataset.
    assert SIOR_CLASSES == DIOR_CLASSES
    assert FAST_CLASSES[0] == 'A220' and FAST_CLASSES[-1] == 'Warship'
    assert {'Boeing737', 'Small-Car', 'Tugboat', 'other-airplane'} <= set(FAST_CLASSES)


@pytest.mark.parametrize('dataset_cls,classes', [(SOTADataset, SOTA_CLASSES),
                                                 (SIORDataset, SIOR_CLASSES),
                                                 (FASTDataset, FAST_CLASSES)])
def test_dataset_metainfo(dataset_cls, classes):
    meta = dataset_cls.METAINFO
    assert meta['classes'] == classes
    assert meta == samrs_metainfo(dataset_cls.SUBSET)
    assert len(meta['palette']) == len(classes)
    assert len({tuple(c) for c in meta['palette']}) == len(classes)
    assert all(0 <= v <= 255 for c in meta['palette'] for v in c)


@pytest.mark.parametrize('subset,dataset_cls,suffix', [('sota', SOTADataset, '.png'),
                                                       ('sior', SIORDataset, '.jpg')])
def test_dataset_reads_image_and_gray_label_pairs(tmp_path, subset, dataset_cls, suffix):
    init_default_scope('mmseg')
    root = str(tmp_path / subset)
    names = write_samrs(root, subset, {'train': 3, 'val': 1}, size=48, num_classes=4, seed=3)
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations'),
                dict(type='PackSegInputs', meta_keys=SAMRS_META_KEYS)]
    dataset = dataset_cls(data_root=root, ann_file='train.txt', pipeline=pipeline)
    assert len(dataset) == 3
    assert dataset.metainfo['classes'] == dataset_cls.METAINFO['classes']
    assert dataset.metainfo['reduce_zero_label'] is False
    for i, name in enumerate(names['train']):
        sample = dataset[i]['data_samples']
        assert sample.img_path == osp.join(root, 'images', name + suffix)
        assert sample.source == subset
        expected = cv2.imread(osp.join(root, 'gray', name + '.png'), cv2.IMREAD_UNCHANGED)
        got = sample.gt_sem_seg.data.numpy()[0]
        np.testing.assert_array_equal(got, expected)  # no zero-label shift, 255 kept
        assert IGNORE_INDEX in got and set(np.unique(got)) <= set(range(4)) | {IGNORE_INDEX}


def test_dataset_errors_name_split_file_line_and_entry(tmp_path):
    root = str(tmp_path / 'FAST')
    names = write_samrs(root, 'fast', {'train': 3}, size=32)
    with open(osp.join(root, 'train.txt'), 'w') as f:
        f.write(f'# header\n{names["train"][0]}\n\n{names["train"][1]}\n{names["train"][2]}\n')
    os.remove(osp.join(root, 'images', names['train'][1] + '.png'))
    os.remove(osp.join(root, 'gray', names['train'][2] + '.png'))
    with pytest.raises(FileNotFoundError) as err:
        FASTDataset(data_root=root, ann_file='train.txt', pipeline=[])
    message = str(err.value)
    split_file = osp.join(root, 'train.txt')
    assert f"{split_file}:4: entry '{names['train'][1]}': image" in message
    assert f"{split_file}:5: entry '{names['train'][2]}': label" in message
    assert '2 file(s)' in message
    with pytest.raises(FileNotFoundError, match='val.txt'):
        FASTDataset(data_root=root, ann_file='val.txt', pipeline=[])
    with pytest.raises(ValueError, match='reduce_zero_label'):
        FASTDataset(data_root=root, ann_file='train.txt', reduce_zero_label=True)


def _subset_folder(root, num_images, unlabelled=()):
    write_samrs(root, 'sota', {'all': num_images}, size=16, max_objects=1)
    os.remove(osp.join(root, 'all.txt'))
    for name in unlabelled:
        os.remove(osp.join(root, 'gray', name + '.png'))


def _read(path):
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def test_split_tool_seeded_95_5_disjoint_reproducible(tmp_path, python):
    root = str(tmp_path / 'SOTA')
    missing = ['sota_00007', 'sota_00031']
    _subset_folder(root, 42, unlabelled=missing)
    labelled = sorted(f'sota_{i:05d}' for i in range(42) if f'sota_{i:05d}' not in missing)

    result = run_tool([python, SPLIT_TOOL, root, '--seed', '3'], cwd=REPO_ROOT)
    train, val = _read(osp.join(root, 'train.txt')), _read(osp.join(root, 'val.txt'))
    assert (len(train), len(val)) == (38, 2)  # 40 labelled images: round(40 * 0.05) = 2
    assert not set(train) & set(val) and sorted(train + val) == labelled
    assert train == sorted(train) and val == sorted(val)
    assert _read(osp.join(root, 'missing_labels.txt')) == missing
    assert '2 image(s) have no label' in result.stdout

    # Existing splits are kept unless --force; the same seed rewrites the same files.
    proc = subprocess.run([python, SPLIT_TOOL, root, '--seed', '4'], cwd=REPO_ROOT,
                          capture_output=True, text=True)
    assert proc.returncode != 0 and '--force' in proc.stderr
    assert _read(osp.join(root, 'val.txt')) == val
    run_tool([python, SPLIT_TOOL, root, '--seed', '3', '--force'], cwd=REPO_ROOT)
    assert _read(osp.join(root, 'train.txt')) == train and _read(osp.join(root, 'val.txt')) == val
    run_tool([python, SPLIT_TOOL, root, '--seed', '4', '--force'], cwd=REPO_ROOT)
    assert _read(osp.join(root, 'val.txt')) != val
    run_tool([python, SPLIT_TOOL, root, '--seed', '4', '--force', '--val-ratio', '0.25'],
             cwd=REPO_ROOT)
    val4 = _read(osp.join(root, 'val.txt'))
    assert len(val4) == 10 and len(_read(osp.join(root, 'train.txt'))) == 30
    assert sorted(val4 + _read(osp.join(root, 'train.txt'))) == labelled

    # The split files are what the dataset reads.
    dataset = SOTADataset(data_root=root, ann_file='val.txt', pipeline=[])
    assert [osp.basename(dataset.get_data_info(i)['seg_map_path'])[:-4]
            for i in range(len(dataset))] == val4


def test_split_tool_only_splits_the_listed_images(tmp_path, python):
    # SIOR is pretrained on the DIOR trainval images only (the DIOR test set is a benchmark).
    root = str(tmp_path / 'SIOR')
    _subset_folder(root, 30, unlabelled=['sota_00003'])
    listed = [f'sota_{i:05d}' for i in range(20)]
    with open(tmp_path / 'trainval.txt', 'w') as f:
        f.write('\n'.join(listed + ['not_there']) + '\n')
    result = run_tool([python, SPLIT_TOOL, root, '--only', str(tmp_path / 'trainval.txt')],
                      cwd=REPO_ROOT)
    train, val = _read(osp.join(root, 'train.txt')), _read(osp.join(root, 'val.txt'))
    assert sorted(train + val) == [n for n in listed if n != 'sota_00003']
    assert len(val) == 1  # round(19 * 0.05) = 1
    assert "1 name(s) of" in result.stdout and '1 image(s) have no label' in result.stdout


@pytest.mark.parametrize('name', ['sota_train', 'sior_train', 'fast_train', 'sior_val'])
def test_samrs_config_pipelines_run(tmp_path, name):
    # The augmentation of the real SAMRS configs (rescale, 224 crop, flips, rot90, jitter).
    from mmengine.config import Config
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'samrs', '_base_', 'datasets',
                                   'samrs.py'))
    dataset_cfg = cfg[name]
    subset = name.split('_')[0]
    root = str(tmp_path / subset)
    write_samrs(root, subset, {'train': 2, 'val': 2}, size=256, num_classes=5)
    dataset = DATASETS.build(dict(dataset_cfg, data_root=root))
    for seed in range(4):
        np.random.seed(seed)
        sample = dataset[seed % len(dataset)]
        image, seg = sample['inputs'], sample['data_samples'].gt_sem_seg.data
        side = 256 if name.endswith('val') else 224
        assert image.shape == (3, side, side) and seg.shape == (1, side, side)
        assert set(np.unique(seg.numpy())) <= set(range(5)) | {IGNORE_INDEX}
        assert sample['data_samples'].source == subset
