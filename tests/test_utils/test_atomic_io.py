"""Atomic writes: the target appears complete or not at all, and a failed write leaves an
existing file and the folder as they were."""
import json
import os

import pytest
import torch

from mmrsfm.utils.atomic_io import (atomic_open, atomic_torch_save, atomic_write_bytes,
                                    atomic_write_json, atomic_write_text)


def test_writes_create_folders_and_round_trip(tmp_path):
    atomic_write_text(str(tmp_path / 'a' / 'b.txt'), 'line 1\nline 2\n')
    assert (tmp_path / 'a' / 'b.txt').read_text() == 'line 1\nline 2\n'
    atomic_write_json(str(tmp_path / 'c.json'), {'k': [1, 2]})
    assert json.loads((tmp_path / 'c.json').read_text()) == {'k': [1, 2]}
    atomic_torch_save({'w': torch.arange(4.0)}, str(tmp_path / 'd.pth'))
    loaded = torch.load(str(tmp_path / 'd.pth'), weights_only=True)
    assert torch.equal(loaded['w'], torch.arange(4.0))


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / 'index.txt'
    target.write_bytes(b'old content')
    with pytest.raises(TypeError):
        atomic_write_bytes(str(target), 'not bytes')  # fails inside the write
    assert target.read_bytes() == b'old content'
    assert os.listdir(tmp_path) == ['index.txt']


@pytest.mark.parametrize('umask', [0o022, 0o027, 0o002])
def test_files_get_the_umask_permissions_open_would_give(tmp_path, umask):
    reference = tmp_path / 'reference.txt'
    old = os.umask(umask)
    try:
        with open(reference, 'w') as f:  # the independent expectation: what open() creates
            f.write('x')
        atomic_write_text(str(tmp_path / 'text.txt'), 'x')
        atomic_torch_save({'w': torch.zeros(1)}, str(tmp_path / 'w.pth'))
        with atomic_open(str(tmp_path / 'stream.txt'), 'w', encoding='utf-8') as f:
            f.write('x')
    finally:
        os.umask(old)
    expected = reference.stat().st_mode & 0o777
    assert expected == 0o666 & ~umask
    for name in ('text.txt', 'w.pth', 'stream.txt'):
        assert (tmp_path / name).stat().st_mode & 0o777 == expected, name
