"""Walk an OpticalRS-style source root: one sub-folder per source dataset, images below it."""
from __future__ import annotations

import os
import os.path as osp
from typing import List, Sequence, Tuple

from mmrsfm.datasets.opticalrs import IMG_EXTENSIONS

#: ``(path relative to the source root (posix), size in bytes, mtime in ns)``
FileEntry = Tuple[str, int, int]


def _is_excluded(path: str, excluded: Sequence[str]) -> bool:
    path = osp.realpath(path)
    return any(path == e or path.startswith(e + os.sep) for e in excluded)


def list_sources(src_root: str, exclude: Sequence[str] = ()) -> List[str]:
    """Sorted names of the source-dataset folders directly under ``src_root``.

    Hidden folders and any folder in ``exclude`` (e.g. an output root placed inside the source
    root) are skipped.

    Args:
        src_root (str): Source root, one sub-folder per source dataset.
        exclude (Sequence[str]): Folders to skip (compared after resolving links).
            Defaults to ``()``.

    Returns:
        List[str]: Sorted folder names (not paths).

    Raises:
        FileNotFoundError: If ``src_root`` is not a folder.
    """
    if not osp.isdir(src_root):
        raise FileNotFoundError(f'source root {src_root} is not a folder')
    excluded = [osp.realpath(e) for e in exclude]
    return sorted(
        e.name for e in os.scandir(src_root)
        if e.is_dir() and not e.name.startswith('.')
        and not _is_excluded(e.path, excluded))


def list_files(src_root: str, source: str, extensions: Sequence[str] = IMG_EXTENSIONS,
               exclude: Sequence[str] = ()) -> List[FileEntry]:
    """Every image file (by suffix, any depth) of one source folder, sorted by path.

    Hidden files and folders and any folder in ``exclude`` are skipped.

    Args:
        src_root (str): Source root.
        source (str): Name of the source-dataset folder under ``src_root``.
        extensions (Sequence[str]): Image suffixes, compared case-insensitively.
            Defaults to ``IMG_EXTENSIONS`` of :mod:`mmrsfm.datasets.opticalrs`.
        exclude (Sequence[str]): Folders to skip (compared after resolving links).
            Defaults to ``()``.

    Returns:
        List[FileEntry]: ``(path relative to src_root (posix), size in bytes, mtime in ns)``
        per image, sorted.
    """
    extensions = tuple(e.lower() for e in extensions)
    excluded = [osp.realpath(e) for e in exclude]
    found: List[FileEntry] = []
    stack = [osp.join(src_root, source)]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith('.'):
                    continue
                if entry.is_dir():
                    if not _is_excluded(entry.path, excluded):
                        stack.append(entry.path)
                elif entry.name.lower().endswith(extensions):
                    stat = entry.stat()
                    rel = osp.relpath(entry.path, src_root).replace(os.sep, '/')
                    found.append((rel, stat.st_size, stat.st_mtime_ns))
    return sorted(found)


def stray_files(src_root: str, extensions: Sequence[str] = IMG_EXTENSIONS) -> List[str]:
    """Images lying directly in ``src_root``, outside any source folder (they get quarantined).

    Args:
        src_root (str): Source root.
        extensions (Sequence[str]): Image suffixes, compared case-insensitively.
            Defaults to ``IMG_EXTENSIONS`` of :mod:`mmrsfm.datasets.opticalrs`.

    Returns:
        List[str]: Sorted file names.
    """
    extensions = tuple(e.lower() for e in extensions)
    return sorted(e.name for e in os.scandir(src_root)
                  if e.is_file() and e.name.lower().endswith(extensions))
