"""Resumable state of a curation run: one atomically written shard per chunk of source files.

A shard's name holds a key hashing the run parameters that change its content and the chunk's
file list (path, size, mtime), so a rerun reuses every shard whose inputs are unchanged,
recomputes only the others, and a crash leaves either a whole shard or none.
"""
from __future__ import annotations

import hashlib
import io
import json
import os.path as osp
from typing import Dict, Sequence

import numpy as np

from mmrsfm.utils.atomic_io import atomic_open, atomic_write_bytes, atomic_write_text

from .scan import FileEntry


def save_arrays(path: str, arrays: Dict[str, np.ndarray]) -> None:
    """Atomically save named arrays as an uncompressed ``.npz``.

    Args:
        path (str): Output ``.npz`` file.
        arrays (Dict[str, np.ndarray]): Arrays by name; object arrays are not allowed, since
            :func:`load_arrays` reads without pickles.
    """
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write_bytes(path, buffer.getvalue())


def load_arrays(path: str) -> Dict[str, np.ndarray]:
    """Read every array of an ``.npz`` written by :func:`save_arrays` (no pickles).

    Args:
        path (str): The ``.npz`` file.

    Returns:
        Dict[str, np.ndarray]: The arrays by name, loaded into memory.
    """
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def params_key(params: dict) -> str:
    """Short stable hash of JSON-serialisable run parameters.

    Args:
        params (dict): JSON-serialisable parameters; key order does not matter.

    Returns:
        str: The first 12 hex digits of the SHA-1 of the sorted JSON.
    """
    return hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:12]


class ShardStore:
    """Shards of one parameter set under ``<state_root>/<params_key>/<source>/``.

    Args:
        state_root (str): Folder of the run state (``<out>/.curation_state``).
        params (dict): JSON-serialisable parameters that change a shard's content (sizes,
            slicing, hash size, seed...).
    """

    def __init__(self, state_root: str, params: dict) -> None:
        self.root = osp.join(state_root, params_key(params))
        self.params = params

    def shard_path(self, source: str, index: int, files: Sequence[FileEntry]) -> str:
        """Path of the shard of one chunk of a source's files.

        Args:
            source (str): Name of the source-dataset folder.
            index (int): Index of the chunk within the source.
            files (Sequence[FileEntry]): The chunk's ``(path, size, mtime)`` entries; any change
                to them gives another path, so a stale shard is never reused.

        Returns:
            str: ``<root>/<source>/<index:06d>-<digest>.npz``.
        """
        digest = hashlib.sha1(json.dumps([list(f) for f in files]).encode()).hexdigest()[:12]
        return osp.join(self.root, source, f'{index:06d}-{digest}.npz')

    def write_params(self) -> None:
        """Write the parameter set to ``<root>/params.json`` (sorted keys), atomically."""
        atomic_write_text(osp.join(self.root, 'params.json'),
                          json.dumps(self.params, indent=1, sort_keys=True))


def atomic_text_file(path: str):
    """Open ``path`` for an atomic UTF-8 text write (see :func:`~mmrsfm.utils.atomic_open`).

    Args:
        path (str): The final file path.

    Returns:
        ContextManager: A context manager yielding a text file object; on a clean exit the
        file is moved to ``path``, on an error ``path`` is left untouched.

    Examples:
        >>> with atomic_text_file('index.txt') as f:
        ...     f.write('AID/a.jpg\\n')
    """
    return atomic_open(path, 'w', encoding='utf-8', newline='')
