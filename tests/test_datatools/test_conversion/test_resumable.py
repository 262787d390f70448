"""Atomic writes: a failed write leaves neither a partial target nor a temporary file."""
import os

import numpy as np
import pytest

from mmrsfm.datatools.conversion.resumable import (DoneMarkers, atomic_write_bytes,
                                                   atomic_write_image, atomic_write_text)


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / 'patch.png'
    with pytest.raises(ValueError, match='patch.png: OpenCV could not encode'):
        atomic_write_image(str(target), np.zeros((4, 4, 7), np.uint8))  # 7 channels: no PNG
    assert os.listdir(tmp_path) == []

    atomic_write_text(str(tmp_path / 'a.txt'), 'old\n')
    with pytest.raises(TypeError):  # fails inside the write, after the temporary file opened
        atomic_write_bytes(str(tmp_path / 'a.txt'), 12345)
    assert os.listdir(tmp_path) == ['a.txt']
    assert (tmp_path / 'a.txt').read_text() == 'old\n'


def test_done_markers(tmp_path):
    markers = DoneMarkers(str(tmp_path))
    assert not markers.is_done('P0001__1.0')
    markers.mark('P0001__1.0', ['P0001__1.0__0___0'])
    assert markers.is_done('P0001__1.0')
    assert markers.load('P0001__1.0') == ['P0001__1.0__0___0']
    assert DoneMarkers(str(tmp_path)).is_done('P0001__1.0')  # survives a restart
