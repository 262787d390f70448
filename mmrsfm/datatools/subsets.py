"""Seeded, nested random subsets of an OpticalRS-13M ``index.txt`` (the paper's data-scaling
study: random 1M / 2M / 3M / 4M / 8M subsets of OpticalRS-13M, Tables 1, 2, 4 and 6).

One seeded permutation of the index entries is drawn; the subset of size ``k`` holds the first
``k`` entries of that permutation, so every smaller subset lies inside every larger one of the
same seed (the 1M subset is part of the 2M one). Subset files list their entries in the input's
order, unchanged, so :class:`~mmrsfm.datasets.OpticalRS13M` reads them with the input's
``data_root`` (``index_file=<subset file>``). Needs only numpy.
"""
from __future__ import annotations

import os.path as osp
import re
from bisect import bisect_right
from contextlib import ExitStack
from fractions import Fraction
from typing import Dict, Iterator, List, Optional, Sequence

import numpy as np

from mmrsfm.utils.atomic_io import atomic_open

_SUFFIXES = {'': 1, 'k': 10**3, 'm': 10**6}
_SIZE = re.compile(r'^(\d+(?:\.\d+)?)([kKmM]?)$')


def _entries(index_file: str) -> Iterator[str]:
    """The entries of an index as ``OpticalRS13M`` reads them: stripped, non-empty lines not
    starting with ``#``."""
    with open(index_file, encoding='utf-8') as f:
        for line in f:
            if line.strip() and not line.startswith('#'):
                yield line.strip()


def count_entries(index_file: str) -> int:
    """Number of image entries of an index file (comment and blank lines excluded).

    Args:
        index_file (str): An ``index.txt`` as ``OpticalRS13M`` reads it.

    Returns:
        int: The number of entries.

    Raises:
        FileNotFoundError: If ``index_file`` does not exist.
        ValueError: If it holds no entry.

    Examples:
        >>> import tempfile
        >>> path = osp.join(tempfile.mkdtemp(), 'index.txt')
        >>> _ = open(path, 'w').write('# header\\nAID/a.jpg\\n\\nAID/b.jpg\\n')
        >>> count_entries(path)
        2
    """
    if not osp.isfile(index_file):
        raise FileNotFoundError(f'index file {index_file} does not exist')
    total = sum(1 for _ in _entries(index_file))
    if total == 0:
        raise ValueError(f'index file {index_file} lists no image')
    return total


def parse_size(size: str, total: int, index_file: str = 'the index') -> int:
    """Number of entries a size string asks for out of ``total``.

    Counts are whole numbers with an optional ``k`` (thousand) or ``M`` (million) suffix
    (``1000000``, ``1M``, ``2.5M``, ``500k``); fractions are decimals in (0, 1] without a suffix
    (``0.25``, ``1.0``), rounded down to whole entries (computed exactly, without float error).

    Args:
        size (str): The size, e.g. ``'2M'`` or ``'0.25'``.
        total (int): Entries in the index.
        index_file (str): The index's path, named in errors. Defaults to ``'the index'``.

    Returns:
        int: The subset size, in [1, ``total``].

    Raises:
        ValueError: If ``size`` is not a count or a fraction, is 0, is not a whole number of
            entries, or exceeds ``total``.

    Examples:
        >>> parse_size('2M', 13_000_000), parse_size('0.25', 10), parse_size('1.0', 7)
        (2000000, 2, 7)
    """
    text = str(size).strip()
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f'subset size {size!r} for {index_file}: expected a count (1000000, '
                         f'1M, 500k) or a fraction in (0, 1] (0.25)')
    number, suffix = Fraction(match.group(1)), match.group(2).lower()
    if '.' in match.group(1) and not suffix:  # a fraction of the index
        if not 0 < number <= 1:
            raise ValueError(f'subset size {size!r} for {index_file}: a fraction must be in '
                             f'(0, 1]; counts are whole numbers (e.g. 2000000 or 2M)')
        count = int(number * total)
    else:
        count = number * _SUFFIXES[suffix]
        if count.denominator != 1:
            raise ValueError(f'subset size {size!r} for {index_file} is not a whole number of '
                             'images')
        count = int(count)
    if count < 1:
        raise ValueError(f'subset size {size!r} of {index_file} ({total} entries) selects no '
                         'image')
    if count > total:
        raise ValueError(f'subset size {size!r} ({count} images) is larger than {index_file}, '
                         f'which lists {total}')
    return count


def subset_ranks(total: int, seed: int) -> np.ndarray:
    """Position of every index entry in the seeded permutation: entry ``i`` belongs to the subset
    of size ``k`` iff ``ranks[i] < k``.

    The permutation is numpy's legacy ``RandomState(seed).permutation``, whose stream numpy keeps
    fixed across versions, so a seed names the same subsets on every machine.

    Args:
        total (int): Entries in the index.
        seed (int): The permutation's seed.

    Returns:
        np.ndarray: ``(total,)`` int64 ranks, a permutation of ``0 .. total - 1``.

    Examples:
        >>> ranks = subset_ranks(10, seed=0)
        >>> sorted(ranks.tolist()) == list(range(10))
        True
    """
    order = np.random.RandomState(seed).permutation(total)
    ranks = np.empty(total, dtype=np.int64)
    ranks[order] = np.arange(total, dtype=np.int64)
    return ranks


def subset_path(index_file: str, count: int, seed: int, out_dir: Optional[str] = None) -> str:
    """Where :func:`write_nested_subsets` writes a subset: ``<out_dir>/<stem>-<count>-seed<seed>
    .txt``, ``out_dir`` defaulting to ``subsets/`` next to the index.

    Args:
        index_file (str): The input index.
        count (int): The subset size.
        seed (int): The permutation's seed.
        out_dir (str, optional): Output folder. Defaults to None (``subsets/`` next to the
            index).

    Returns:
        str: The subset file's path.

    Examples:
        >>> subset_path('data/OpticalRS-13M/index.txt', 1000000, 0)
        'data/OpticalRS-13M/subsets/index-1000000-seed0.txt'
    """
    folder = out_dir if out_dir is not None else osp.join(osp.dirname(index_file), 'subsets')
    stem = osp.splitext(osp.basename(index_file))[0]
    return osp.join(folder, f'{stem}-{count}-seed{seed}.txt')


def write_nested_subsets(index_file: str, sizes: Sequence[str], seed: int = 0,
                         out_dir: Optional[str] = None) -> Dict[int, str]:
    """Write seeded, nested random subsets of an index, one file per size.

    The input is only read (twice, streaming: no entry list is held in memory); each output is
    written atomically. Entries keep the input's text and order, so a subset is read with the
    input's ``data_root``.

    Args:
        index_file (str): The input ``index.txt``.
        sizes (Sequence[str]): Sizes as counts (``'1000000'``, ``'2M'``) or fractions
            (``'0.25'``); see :func:`parse_size`.
        seed (int): Seed of the one permutation all subsets are prefixes of. Defaults to 0.
        out_dir (str, optional): Output folder. Defaults to None (``subsets/`` next to the
            index).

    Returns:
        dict[int, str]: Subset size -> file written, smallest first.

    Raises:
        FileNotFoundError: If ``index_file`` does not exist.
        ValueError: If a size is malformed or too large, ``sizes`` is empty, or an output
            would overwrite the input.

    Examples:
        >>> import tempfile
        >>> root = tempfile.mkdtemp()
        >>> index = osp.join(root, 'index.txt')
        >>> _ = open(index, 'w').write(''.join(f'AID/{i}.jpg\\n' for i in range(10)))
        >>> written = write_nested_subsets(index, ['2', '0.5'], seed=0)
        >>> sorted(written), osp.relpath(written[2], root)
        ([2, 5], 'subsets/index-2-seed0.txt')
        >>> small, large = (set(read_subset(written[k])) for k in (2, 5))
        >>> small < large
        True
    """
    if not sizes:
        raise ValueError(f'no subset size given for {index_file}')
    total = count_entries(index_file)
    counts = sorted({parse_size(size, total, index_file) for size in sizes})
    paths = {count: subset_path(index_file, count, seed, out_dir) for count in counts}
    for path in paths.values():
        if osp.abspath(path) == osp.abspath(index_file) or (
                osp.exists(path) and osp.samefile(path, index_file)):
            raise ValueError(f'subset file {path} would overwrite its input index {index_file}')
    ranks = subset_ranks(total, seed)
    with ExitStack() as stack:
        outputs = [(count, stack.enter_context(
            atomic_open(paths[count], 'w', encoding='utf-8', newline='')))
            for count in counts]
        for count, out in outputs:
            out.write(f'# {count} of the {total} entries of {osp.basename(index_file)}, a '
                      f'random subset (seed {seed}) nested in the larger ones of this seed; '
                      'paths as in that index, relative to its data_root '
                      '(tools/dataset_converters/opticalrs_subsets.py)\n')
        for position, entry in enumerate(_entries(index_file)):
            # the subsets holding this entry: those larger than its rank (counts are sorted)
            for _, out in outputs[bisect_right(counts, int(ranks[position])):]:
                out.write(entry + '\n')
    return paths


def read_subset(path: str) -> List[str]:
    """The entries of a subset (or index) file, in file order.

    Args:
        path (str): A file written by :func:`write_nested_subsets`, or any index.

    Returns:
        list[str]: Its entries, comment and blank lines excluded.

    Raises:
        FileNotFoundError: If ``path`` does not exist.

    Examples:
        >>> import tempfile
        >>> path = osp.join(tempfile.mkdtemp(), 'subset.txt')
        >>> _ = open(path, 'w').write('# 1 of 2\\nAID/a.jpg\\n')
        >>> read_subset(path)
        ['AID/a.jpg']
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'subset file {path} does not exist')
    return list(_entries(path))
