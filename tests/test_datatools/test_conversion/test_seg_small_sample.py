"""Seeded small-sample training subsets (SAMRS Sec. 4.3) and their split-file tool."""
import importlib.util
import os
import os.path as osp

import pytest

from mmrsfm.datatools.conversion.seg_small_sample import (list_samples, small_sample_subsets,
                                                          split_file_name, subset_size)
from tests.conftest import REPO_ROOT

_spec = importlib.util.spec_from_file_location(
    'seg_small_sample_split',
    osp.join(REPO_ROOT, 'tools', 'dataset_converters', 'seg_small_sample_split.py'))
seg_small_sample_split = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(seg_small_sample_split)


def test_subset_sizes_by_hand():
    # Potsdam SAMRS protocol: 8,664 training patches; iSAID: 33,620 (paper appendix A.6).
    # Round half up: 86.64 -> 87, 259.92 -> 260, 433.2 -> 433; 336.2, 1008.6, 1681.0.
    assert [subset_size(f, 8664) for f in (0.01, 0.03, 0.05)] == [87, 260, 433]
    assert [subset_size(f, 33620) for f in (0.01, 0.03, 0.05)] == [336, 1009, 1681]
    assert subset_size(0.01, 50) == 1  # 0.5 rounds up
    assert subset_size(0.01, 10) == 1  # at least one
    assert subset_size(1.0, 7) == 7
    with pytest.raises(ValueError, match='fraction'):
        subset_size(0.0, 10)
    with pytest.raises(ValueError, match='total'):
        subset_size(0.1, 0)


def test_subsets_are_seeded_nested_and_drawn_from_the_names():
    names = [f'p{i:04d}' for i in range(1000)]
    subsets = small_sample_subsets(names, (0.01, 0.03, 0.05), seed=0)
    assert [len(subsets[f]) for f in (0.01, 0.03, 0.05)] == [10, 30, 50]
    assert set(subsets[0.01]) < set(subsets[0.03]) < set(subsets[0.05]) < set(names)
    assert all(s == sorted(s) for s in subsets.values())
    # Same seed, any input order -> same subsets; another seed -> other ones.
    again = small_sample_subsets(list(reversed(names)), (0.05, 0.01, 0.03), seed=0)
    assert again == subsets
    other = small_sample_subsets(names, (0.01, 0.03, 0.05), seed=1)
    assert other[0.05] != subsets[0.05]
    with pytest.raises(ValueError, match='duplicate'):
        small_sample_subsets(['a', 'a'], (0.5, ), seed=0)
    with pytest.raises(ValueError, match='no training samples'):
        small_sample_subsets([], (0.5, ), seed=0)


def test_split_file_names():
    assert [split_file_name(f) for f in (0.01, 0.03, 0.05)] == [
        'train_1pct.txt', 'train_3pct.txt', 'train_5pct.txt']
    assert split_file_name(0.005) == 'train_0.5pct.txt'


def _touch(path):
    os.makedirs(osp.dirname(path), exist_ok=True)
    open(path, 'wb').close()


def test_tool_writes_split_files_mmseg_reads(tmp_path, capsys):
    root = str(tmp_path / 'isaid')
    names = [f'P{i:04d}_0_896_0_896' for i in range(120)]
    for name in names:
        _touch(osp.join(root, 'img_dir', 'train', name + '.png'))
        _touch(osp.join(root, 'ann_dir', 'train', name + '_instance_color_RGB.png'))
    _touch(osp.join(root, 'img_dir', 'train', 'notes.txt'))  # not an image: left out
    assert list_samples(osp.join(root, 'img_dir', 'train'), '.png') == names
    argv = [root, '--seed', '3', '--seg-map-suffix', '_instance_color_RGB.png']
    seg_small_sample_split.main(argv)
    assert 'train_1pct.txt: 1 of 120 images' in capsys.readouterr().out
    written = {}
    for percent, count in ((1, 1), (3, 4), (5, 6)):  # 1.2 -> 1, 3.6 -> 4, 6.0 -> 6
        path = osp.join(root, 'splits', f'train_{percent}pct.txt')
        with open(path) as f:
            lines = f.read().splitlines()
        assert len(lines) == count
        for name in lines:  # what mmseg's BaseSegDataset opens for each line
            assert osp.isfile(osp.join(root, 'img_dir', 'train', name + '.png'))
            assert osp.isfile(osp.join(root, 'ann_dir', 'train',
                                       name + '_instance_color_RGB.png'))
        written[percent] = lines
    assert written == {int(f * 100): v for f, v in small_sample_subsets(
        names, (0.01, 0.03, 0.05), seed=3).items()}
    # Never replaced without --force.
    with pytest.raises(SystemExit, match='--force'):
        seg_small_sample_split.main(argv)
    seg_small_sample_split.main(argv + ['--force', '--seed', '4'])


def test_tool_stops_on_an_image_without_label(tmp_path):
    root = str(tmp_path / 'potsdam')
    _touch(osp.join(root, 'img_dir', 'train', '2_10_0_0_512_512.png'))
    with pytest.raises(SystemExit, match=r'2_10_0_0_512_512\.png: its label .* does not exist'):
        seg_small_sample_split.main([root])
    os.makedirs(tmp_path / 'empty')
    with pytest.raises(SystemExit, match='no \\*.png images'):
        seg_small_sample_split.main([str(tmp_path / 'empty'), '--img-dir', '.'])
    with pytest.raises(SystemExit, match='img_dir/train: folder not found'):
        seg_small_sample_split.main([str(tmp_path / 'missing')])
