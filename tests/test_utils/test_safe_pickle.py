"""Restricted unpickling: the values our inputs hold load, anything that could run code is
refused with the file and the global named."""
import codecs
import io
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch

from mmrsfm.utils.safe_pickle import (BUILTIN_GLOBALS, NUMPY_GLOBALS, TORCH_TENSOR_GLOBALS,
                                      restricted_load)

ALL = BUILTIN_GLOBALS | NUMPY_GLOBALS | TORCH_TENSOR_GLOBALS


@pytest.mark.parametrize('protocol', [2, pickle.DEFAULT_PROTOCOL])
def test_builtins_numpy_and_tensors_round_trip(tmp_path, protocol):
    value = {'ids': {1, 2}, 'frozen': frozenset('ab'), 'raw': b'\x00\xff', 'z': 1 + 2j,
             'ordered': OrderedDict(a=1), 'array': np.arange(6, dtype=np.float32).reshape(2, 3),
             'scalar': np.int64(7), 'tensor': torch.arange(6.).reshape(2, 3)[:, 1:],
             'labels': torch.tensor([3, 1], dtype=torch.long), 'shape': (2, 3), 'none': None}
    path = tmp_path / 'values.pkl'
    path.write_bytes(pickle.dumps(value, protocol=protocol))
    loaded = restricted_load(str(path), ALL)
    assert loaded.keys() == value.keys()
    for key in ('ids', 'frozen', 'raw', 'z', 'ordered', 'shape', 'none'):
        assert loaded[key] == value[key] and type(loaded[key]) is type(value[key]), key
    np.testing.assert_array_equal(loaded['array'], value['array'])
    assert loaded['array'].dtype == np.float32 and loaded['scalar'].dtype == np.int64
    torch.testing.assert_close(loaded['tensor'], value['tensor'])
    torch.testing.assert_close(loaded['labels'], value['labels'])


class _Marker:
    """Unpickling it would create a file: what a crafted pickle does with os.system."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return open, (self.path, 'w')


def test_code_is_refused_with_file_and_global(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'crafted.pkl'
    path.write_bytes(pickle.dumps({'ok': [1], 'bad': _Marker(str(marker))}, protocol=2))
    with pytest.raises(pickle.UnpicklingError,
                       match=r'crafted\.pkl: refusing to load io\.open.*\(use --x\)'):
        restricted_load(str(path), ALL, hint='use --x')
    assert not marker.exists()
    # Numpy arrays alone do not open the door to other numpy functions.
    with pytest.raises(pickle.UnpicklingError, match='refusing to load numpy.load'):
        restricted_load(io.BytesIO(pickle.dumps(np.load)), ALL)

    # bytes via _codecs.encode, but no other codec (e.g. one that evaluates or decompresses).
    class OtherCodec:

        def __reduce__(self):
            return codecs.encode, ('x', 'zlib_codec')

    with pytest.raises(pickle.UnpicklingError, match='only allowed for latin-1'):
        restricted_load(io.BytesIO(pickle.dumps(OtherCodec(), protocol=2)), ALL)


def test_tensor_storage_is_read_weights_only(tmp_path):
    # A tensor's storage is a nested torch.save payload that torch itself reads with
    # weights_only=False; a crafted one must not run code either.
    marker = tmp_path / 'pwned'
    nested = io.BytesIO()
    torch.save(_Marker(str(marker)), nested, _use_new_zipfile_serialization=False)

    class CraftedStorage:

        def __reduce__(self):
            return torch.storage._load_from_bytes, (nested.getvalue(), )

    data = pickle.dumps([CraftedStorage()], protocol=2)
    with pytest.raises(pickle.UnpicklingError):
        restricted_load(io.BytesIO(data), ALL)
    assert not marker.exists()
