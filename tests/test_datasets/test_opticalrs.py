"""mmrsfm.datasets.opticalrs: OpticalRS13M from a folder walk or an index file, skipping
unreadable images with a warning while keeping the epoch length."""
import logging
import os.path as osp

import pytest
from mmengine.logging import MMLogger

from mmrsfm.datasets import OpticalRS13M
from mmrsfm.testing import write_scene_folder

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]


@pytest.fixture
def root(tmp_path):
    root = str(tmp_path / 'OpticalRS-13M')
    write_scene_folder(root, classes=('AID', 'fMoW'), per_class=3, val_per_class=0, size=32)
    return root


def test_walk_and_index_agree(root):
    walked = OpticalRS13M(data_root=root, pipeline=PIPELINE)
    assert len(walked) == 6
    assert OpticalRS13M.write_index(root, osp.join(root, 'index.txt')) == 6
    indexed = OpticalRS13M(data_root=root, index_file='index.txt', pipeline=PIPELINE)
    assert [indexed.get_data_info(i)['img_path'] for i in range(6)] == \
        [walked.get_data_info(i)['img_path'] for i in range(6)]
    assert indexed[0]['inputs'].shape == (3, 32, 32)
    with pytest.raises(FileNotFoundError, match='missing.txt'):
        OpticalRS13M(data_root=root, index_file='missing.txt', pipeline=PIPELINE)


class _Collect(logging.Handler):

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_unreadable_images_are_skipped_and_counted(root):
    corrupt = osp.join(root, 'AID', 'aid_2.jpg')
    with open(corrupt, 'wb') as f:
        f.write(b'not a jpeg at all')
    with open(osp.join(root, 'index.txt'), 'w') as f:
        f.write('\n'.join(['AID/aid_1.jpg', 'AID/aid_2.jpg', 'AID/gone.jpg',
                           'fMoW/fmow_1.jpg']) + '\n')
    dataset = OpticalRS13M(data_root=root, index_file='index.txt', pipeline=PIPELINE)
    collect = _Collect()
    logger = MMLogger.get_current_instance()
    logger.addHandler(collect)
    try:
        items = [dataset[i] for i in range(len(dataset))]
    finally:
        logger.removeHandler(collect)
    assert len(dataset) == 4 and all(item['inputs'].shape == (3, 32, 32) for item in items)
    assert dataset.num_unreadable >= 2
    text = '\n'.join(collect.messages)
    assert 'aid_2.jpg' in text and 'gone.jpg' in text and 'another image is served' in text


def test_empty_image_is_skipped_with_its_name(root):
    # OpenCV raises cv2.error ('!buf.empty()') on a 0-byte file, not OSError/ValueError
    empty = osp.join(root, 'fMoW', 'empty.png')
    open(empty, 'wb').close()
    dataset = OpticalRS13M(data_root=root, pipeline=PIPELINE)
    assert len(dataset) == 7
    index = [dataset.get_data_info(i)['img_path'] for i in range(7)].index(empty)
    collect = _Collect()
    logger = MMLogger.get_current_instance()
    logger.addHandler(collect)
    try:
        item = dataset[index]
    finally:
        logger.removeHandler(collect)
    assert item['inputs'].shape == (3, 32, 32)  # another image served in its place
    # The replacement index is drawn at random and may hit the empty image again: every skip
    # is counted and logged with the file and the reason.
    skips = [m for m in collect.messages if empty in m and 'empty file (0 bytes)' in m]
    assert dataset.num_unreadable == len(skips) >= 1, collect.messages
