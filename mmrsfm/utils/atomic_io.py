"""Atomic file writes: a temporary file in the target folder, then ``os.replace``.

An interrupted job (Ctrl-C, a killed worker, a full disk) therefore never leaves a half-written
output behind, and resumable tools can treat "the file exists" as "the item is finished".

Files are created with the permissions ``open()`` would give them (``0o666`` less the process
umask), not the ``0o600`` of :func:`tempfile.mkstemp`, so datasets and checkpoints we write stay
readable by the other users and services the umask allows.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import os.path as osp
import tempfile
from contextlib import contextmanager
from typing import IO, Any, Iterator


def current_umask() -> int:
    """Return the process umask without changing it for other threads where possible.

    Linux exposes it in ``/proc/self/status``; elsewhere it is read by setting and restoring it.

    Returns:
        int: The umask, e.g. ``0o022``.
    """
    with contextlib.suppress(OSError, ValueError), \
            open('/proc/self/status', encoding='ascii') as f:
        for line in f:
            if line.startswith('Umask:'):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_open(path: str, mode: str = 'wb', **open_kwargs) -> Iterator[IO]:
    """Open a temporary file next to ``path``; move it onto ``path`` when the block succeeds.

    The folder is created if needed. On any error inside the block the temporary file is removed
    and an existing ``path`` is left as it was.

    Args:
        path (str): The final file path.
        mode (str): ``'wb'`` or ``'w'``. Defaults to ``'wb'``.
        **open_kwargs: Passed to :func:`os.fdopen` (e.g. ``encoding='utf-8'``, ``newline=''``).

    Yields:
        IO: The temporary file, open in ``mode``.

    Raises:
        ValueError: If ``mode`` is neither ``'w'`` nor ``'wb'``.

    Example:
        >>> path = osp.join(tempfile.mkdtemp(), 'index.txt')
        >>> with atomic_open(path, 'w', encoding='utf-8') as f:
        ...     _ = f.write('AID/a.jpg\\n')
        >>> open(path).read()
        'AID/a.jpg\\n'
    """
    if mode not in ('w', 'wb'):
        raise ValueError(f'atomic_open writes whole files; mode must be "w" or "wb", got {mode!r}')
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.tmp_', suffix=osp.basename(path))
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, mode, **open_kwargs) as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder + ``os.replace``.

    Args:
        path (str): The target file; its folder is created if needed.
        data (bytes): The whole content.
    """
    with atomic_open(path, 'wb') as f:
        f.write(data)


def atomic_write_text(path: str, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically.

    Args:
        path (str): The target file.
        text (str): The whole content.
    """
    atomic_write_bytes(path, text.encode('utf-8'))


def atomic_write_json(path: str, obj: Any, **dump_kwargs) -> None:
    """Dump ``obj`` as JSON to ``path`` atomically.

    Args:
        path (str): The target file.
        obj (Any): A JSON-serialisable object.
        **dump_kwargs: Passed to :func:`json.dumps` (e.g. ``indent=1``).
    """
    atomic_write_text(path, json.dumps(obj, **dump_kwargs))


def atomic_torch_save(obj: Any, path: str) -> None:
    """``torch.save(obj, path)`` atomically (checkpoints, converted weights).

    Args:
        obj (Any): What :func:`torch.save` accepts.
        path (str): The target file.
    """
    import torch
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    atomic_write_bytes(path, buffer.getvalue())
