"""Near-duplicate search over packed perceptual hashes by Hamming distance, and grouping.

Two exact searches return the same pairs ``i < j`` with ``hamming(code_i, code_j) <= threshold``:

* ``'flat'``: faiss ``IndexBinaryFlat.range_search`` (brute force, O(N^2) popcounts in C++);
  the right choice up to some 10^5 codes.
* ``'mih'``: multi-index hashing (Norouzi et al., CVPR 2012) in vectorised numpy. Each 64-bit
  word is cut into ``k`` chunks of at most 24 bits; ``m`` chunks in all. By the pigeonhole
  principle two codes within ``threshold`` bits agree to within ``s = threshold // m`` bits on at
  least one chunk, so probing every chunk's bucket table with all flips of at most ``s`` bits
  finds every pair; candidates are then checked with exact popcounts. ``k`` is chosen by a cost
  model (probes + expected candidates). About ``N * 66 * (1 + N / 2**21)`` candidate checks for
  64-bit codes and ``threshold`` 3-5, i.e. minutes for 13M codes.

Exact duplicates are collapsed before either search (a million identical blank tiles would
otherwise give 5e11 pairs).
"""
from __future__ import annotations

import itertools
import math
from typing import Dict, List, Optional, Tuple

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .hashing import codes_to_words, hamming

MAX_CHUNK_BITS = 24  # a dense bucket table of 2**24 int64 offsets is 128 MiB
FLAT_MAX_CODES = 50_000


def plan_chunks(num_codes: int, num_words: int, threshold: int) -> Tuple[List[int], int]:
    """Chunk widths (bits, per 64-bit word) and flips per chunk of the cheapest exact MIH plan.

    Args:
        num_codes (int): Number of (distinct) codes searched.
        num_words (int): 64-bit words per code.
        threshold (int): Largest Hamming distance (bits, inclusive) searched for.

    Returns:
        Tuple[List[int], int]: The widths in bits of the ``k`` chunks of every word (summing
        to 64, each at most ``MAX_CHUNK_BITS``) and the number of bits flipped per probe,
        ``threshold // (k * num_words)``.
    """
    best: Optional[Tuple[float, List[int], int]] = None
    for k in range(math.ceil(64 / MAX_CHUNK_BITS), 65):
        widths = [64 // k + (1 if i < 64 % k else 0) for i in range(k)]
        flips = threshold // (k * num_words)
        cost = num_words * sum(
            sum(math.comb(b, f) for f in range(flips + 1)) * (1 + num_codes / 2**b)
            for b in widths)
        if best is None or cost < best[0]:
            best = (cost, widths, flips)
    return best[1], best[2]


def _flip_masks(width: int, flips: int) -> np.ndarray:
    masks = [0]
    for num in range(1, flips + 1):
        masks += [sum(1 << i for i in bits) for bits in itertools.combinations(range(width), num)]
    return np.asarray(masks, dtype=np.int64)


def _mih_pairs(words: np.ndarray, threshold: int, budget: int) -> np.ndarray:
    num, num_words = words.shape
    widths, flips = plan_chunks(num, num_words, threshold)
    index_dtype = np.int32 if num < 2**31 else np.int64
    found = []
    for word in range(num_words):
        shift = 0
        for width in widths:
            key = ((words[:, word] >> np.uint64(shift)) & np.uint64((1 << width) - 1)).astype(
                np.int64)
            shift += width
            order = np.argsort(key, kind='stable').astype(index_dtype)
            offsets = np.zeros((1 << width) + 1, np.int64)
            np.cumsum(np.bincount(key, minlength=1 << width), out=offsets[1:])
            for mask in _flip_masks(width, flips):
                # Two keys differing by a non-zero mask differ on its lowest bit: query only
                # from the side where that bit is 0, so each pair is probed once.
                low = int(mask & -mask)
                for q0 in range(0, num, 1 << 20):
                    queries = np.arange(q0, min(q0 + (1 << 20), num))
                    if low:
                        queries = queries[(key[queries] & low) == 0]
                    probe = key[queries] ^ mask
                    start = offsets[probe]
                    count = offsets[probe + 1] - start
                    found += _check_candidates(words, queries, start, count, order, threshold,
                                               budget, same_bucket=not low)
    if not found:
        return np.zeros(0, np.int64)
    pairs = np.concatenate(found)
    return np.unique(pairs.min(axis=1) * num + pairs.max(axis=1))


def _check_candidates(words, queries, start, count, order, threshold, budget,
                      same_bucket) -> list:
    """Expand (query, bucket range) into candidate pairs in slices of ``budget`` candidates."""
    csum = np.cumsum(count)
    total = int(csum[-1]) if len(csum) else 0
    if total == 0:
        return []
    cuts = np.unique(np.concatenate(
        [[0], np.searchsorted(csum, np.arange(budget, total, budget)), [len(queries)]]))
    out = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        cnt = count[a:b]
        ntot = int(cnt.sum())
        if ntot == 0:
            continue
        qi = np.repeat(queries[a:b], cnt)
        pos = np.arange(ntot) + np.repeat(start[a:b] - (np.cumsum(cnt) - cnt), cnt)
        dj = order[pos].astype(np.int64)
        if same_bucket:  # both orders of a pair meet here: keep one, drop self-matches
            keep = qi < dj
            qi, dj = qi[keep], dj[keep]
        if words.shape[1] == 1:  # one word: skip the per-row sum
            keep = np.bitwise_count(words[qi, 0] ^ words[dj, 0]) <= threshold
        else:
            keep = hamming(words[qi], words[dj]) <= threshold
        if keep.any():
            out.append(np.stack([qi[keep], dj[keep]], axis=1))
    return out


def _flat_pairs(codes: np.ndarray, threshold: int, block: int = 4096) -> np.ndarray:
    import faiss
    num = len(codes)
    index = faiss.IndexBinaryFlat(codes.shape[1] * 8)
    index.add(codes)
    found = []
    for q0 in range(0, num, block):
        # faiss keeps distances strictly below the radius
        lims, _, ids = index.range_search(codes[q0:q0 + block], threshold + 1)
        lims = lims.astype(np.int64)
        ids = ids.astype(np.int64)
        qi = np.repeat(np.arange(q0, q0 + len(lims) - 1), np.diff(lims))
        keep = qi < ids
        found.append(qi[keep] * num + ids[keep])
    return np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)


def hamming_pairs(codes: np.ndarray, threshold: int, method: str = 'auto',
                  budget: int = 1 << 22) -> Tuple[np.ndarray, np.ndarray]:
    """All pairs of codes within ``threshold`` bits.

    Args:
        codes (np.ndarray): ``(N, B)`` uint8 packed hashes.
        threshold (int): Largest Hamming distance (bits, inclusive) of a near duplicate.
        method (str): ``'flat'`` (faiss brute force), ``'mih'`` (multi-index hashing) or
            ``'auto'`` (``'flat'`` up to 50k codes). Defaults to 'auto'.
        budget (int): Candidates checked at once by ``'mih'`` (bounds its temporary memory).
            Defaults to ``1 << 22``.

    Returns:
        Tuple[np.ndarray, np.ndarray]: ``(P, 2)`` int64 pairs ``i < j`` sorted row-wise, and
        their ``(P,)`` int64 distances in bits.

    Raises:
        ValueError: If ``codes`` is not 2-D or ``method`` is unknown.
    """
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    if codes.ndim != 2:
        raise ValueError(f'codes must be (N, bytes) uint8, got shape {codes.shape}')
    num = len(codes)
    if method == 'auto':
        method = 'flat' if num <= FLAT_MAX_CODES else 'mih'
    if num < 2:
        flat = np.zeros(0, np.int64)
    elif method == 'flat':
        flat = _flat_pairs(codes, threshold)
    elif method == 'mih':
        flat = _mih_pairs(codes_to_words(codes), threshold, budget)
    else:
        raise ValueError(f"unknown search method {method!r}: use 'auto', 'flat' or 'mih'")
    pairs = np.stack([flat // max(num, 1), flat % max(num, 1)], axis=1).astype(np.int64)
    words = codes_to_words(codes)
    return pairs, hamming(words[pairs[:, 0]], words[pairs[:, 1]])


def group_near_duplicates(codes: np.ndarray, threshold: int, method: str = 'auto'
                          ) -> Tuple[np.ndarray, Dict[str, int]]:
    """Connected components of the "within ``threshold`` bits" graph over ``codes``.

    Groups are transitive (A~B and B~C put A, B, C together even if A and C differ by more);
    ``duplicates.json`` lists each member's own distance to the kept image for review.

    Args:
        codes (np.ndarray): ``(N, B)`` uint8 packed hashes.
        threshold (int): Largest Hamming distance (bits, inclusive) of a near duplicate.
        method (str): Search method of :func:`hamming_pairs` (``'flat'``, ``'mih'`` or
            ``'auto'``). Defaults to 'auto'.

    Returns:
        Tuple[np.ndarray, Dict[str, int]]: ``(N,)`` int64 group label per code (equal labels =
        one group), and counts (``unique_codes``, ``pairs`` between distinct codes).
    """
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    if len(codes) == 0:
        return np.zeros(0, np.int64), dict(unique_codes=0, pairs=0)
    words = codes_to_words(codes)
    if words.shape[1] == 1:  # one 64-bit word: a 1-D sort, far faster than axis=0
        _, first, inverse = np.unique(words[:, 0], return_index=True, return_inverse=True)
        unique = codes[first]
    else:
        unique, inverse = np.unique(codes, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    pairs, _ = hamming_pairs(unique, threshold, method)
    num = len(unique)
    graph = coo_matrix((np.ones(len(pairs), np.int8), (pairs[:, 0], pairs[:, 1])),
                       shape=(num, num)).tocsr()
    _, labels = connected_components(graph, directed=False)
    return labels[inverse].astype(np.int64), dict(unique_codes=num, pairs=len(pairs))


def choose_kept(labels: np.ndarray, areas: np.ndarray) -> np.ndarray:
    """Boolean ``(N,)`` mask of the image kept per group.

    Rule: the largest image (``areas``, pixels) of each group; among equals the first in index
    order (sources, then files, sorted by path).

    Args:
        labels (np.ndarray): ``(N,)`` int group labels, as :func:`group_near_duplicates`
            returns them.
        areas (np.ndarray): ``(N,)`` image areas in pixels.

    Returns:
        np.ndarray: ``(N,)`` bool mask, True for exactly one image per group.
    """
    order = np.lexsort((np.arange(len(labels)), -np.asarray(areas, np.int64), labels))
    first = np.ones(len(order), bool)
    first[1:] = labels[order][1:] != labels[order][:-1]
    kept = np.zeros(len(labels), bool)
    kept[order[first]] = True
    return kept
