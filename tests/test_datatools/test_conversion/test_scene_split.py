"""Stratified, seeded train/test splits of scene-classification folders."""
from collections import Counter

import pytest

from mmrsfm.datatools.conversion import scan_scene_folder, stratified_split
from mmrsfm.testing import write_scene_folder

COUNTS = (10, 7, 13)  # images per class (train + val written by the generator)


@pytest.fixture
def scene_root(tmp_path):
    root = str(tmp_path / 'AID')
    write_scene_folder(root, classes=('Airport', 'Beach', 'Forest'),
                       per_class=[c - 2 for c in COUNTS], val_per_class=2, size=16)
    return root


@pytest.mark.parametrize('ratio', [0.1, 0.2, 0.5])
def test_split_sizes_per_class_and_disjoint(scene_root, ratio):
    classes, files = scan_scene_folder(scene_root)
    assert classes == ['Airport', 'Beach', 'Forest']
    train, test = stratified_split(files, classes, ratio, seed=0)
    train_counts = Counter(int(line.split()[1]) for line in train)
    test_counts = Counter(int(line.split()[1]) for line in test)
    for label, total in enumerate(COUNTS):
        expected = min(max(round(ratio * total), 1), total - 1)
        assert train_counts[label] == expected
        assert test_counts[label] == total - expected
    assert not set(train) & set(test)
    all_files = {f'{path} {label}' for label, name in enumerate(classes)
                 for path in files[name]}
    assert set(train) | set(test) == all_files
    for line in train + test:  # label = index of the class folder of the path
        path, label = line.split()
        assert classes[int(label)] == path.split('/')[0]


def test_split_is_seeded(scene_root):
    classes, files = scan_scene_folder(scene_root)
    first = stratified_split(files, classes, 0.5, seed=3)
    assert stratified_split(files, classes, 0.5, seed=3) == first
    assert stratified_split(files, classes, 0.5, seed=4) != first


def test_bad_inputs(tmp_path, scene_root):
    (tmp_path / 'AID' / 'Empty').mkdir()
    with pytest.raises(ValueError, match='Empty: class folder has no images'):
        scan_scene_folder(scene_root)
    with pytest.raises(FileNotFoundError, match='no class folders'):
        scan_scene_folder(str(tmp_path / 'AID' / 'Empty'))
    with pytest.raises(ValueError, match='train_ratio'):
        stratified_split({'a': ['a/1.jpg', 'a/2.jpg']}, ['a'], 1.0)
