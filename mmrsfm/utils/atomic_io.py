"""Atomic file writes: a temporary file in the target folder, then ``os.replace``.

An interrupted job (Ctrl-C, a killed worker, a full disk) therefore never leaves a half-written
output behind, and resumable tools can treat "the file exists" as "the item is finished".
"""
from __future__ import annotations

import io
import json
import os
import os.path as osp
import tempfile
from typing import Any


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder + ``os.replace``.

    The folder is created if needed; on any error the temporary file is removed and an existing
    ``path`` is left as it was.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.tmp_', suffix=osp.basename(path))
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def atomic_write_text(path: str, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    atomic_write_bytes(path, text.encode('utf-8'))


def atomic_write_json(path: str, obj: Any, **dump_kwargs) -> None:
    """Dump ``obj`` as JSON to ``path`` atomically (``dump_kwargs`` go to :func:`json.dumps`)."""
    atomic_write_text(path, json.dumps(obj, **dump_kwargs))


def atomic_torch_save(obj: Any, path: str) -> None:
    """``torch.save(obj, path)`` atomically (checkpoints, converted weights)."""
    import torch
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    atomic_write_bytes(path, buffer.getvalue())
