"""Perceptual hashes packed to bytes, the form the near-duplicate search works on."""
from __future__ import annotations

import imagehash
import numpy as np
from PIL import Image


def code_bytes(hash_size: int) -> int:
    """Bytes of one packed code: ``hash_size**2`` bits rounded up to whole bytes.

    Args:
        hash_size (int): Side of the pHash DCT block.

    Returns:
        int: ``ceil(hash_size**2 / 8)``.
    """
    return -(-hash_size * hash_size // 8)


def phash_code(image: Image.Image, hash_size: int = 8) -> np.ndarray:
    """Perceptual hash (DCT pHash of ``imagehash``) of ``image``, packed big-endian.

    Args:
        image (Image.Image): Any PIL image; ``imagehash`` converts it to 8-bit grey itself.
        hash_size (int): Side of the DCT low-frequency block; the hash has ``hash_size**2``
            bits (8 -> the usual 64-bit pHash). Defaults to 8.

    Returns:
        np.ndarray: ``(code_bytes(hash_size),)`` uint8 array (zero padding bits at the end,
        which never change a Hamming distance).
    """
    bits = imagehash.phash(image, hash_size=hash_size).hash.reshape(-1)
    return np.packbits(bits)


def codes_to_words(codes: np.ndarray) -> np.ndarray:
    """``(N, B)`` uint8 codes -> ``(N, ceil(B / 8))`` uint64 words (big-endian, zero padded).

    Args:
        codes (np.ndarray): ``(N, B)`` packed codes, as :func:`phash_code` returns them.

    Returns:
        np.ndarray: ``(N, ceil(B / 8))`` uint64 words; the first byte of a code is the most
        significant byte of its first word.
    """
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    num, nbytes = codes.shape
    width = -(-nbytes // 8) * 8
    if width != nbytes:
        codes = np.concatenate([codes, np.zeros((num, width - nbytes), np.uint8)], axis=1)
    return codes.view('>u8').astype(np.uint64)


def hamming(words_a: np.ndarray, words_b: np.ndarray) -> np.ndarray:
    """Row-wise Hamming distances of two ``(N, W)`` uint64 word arrays -> ``(N,)`` int64.

    Args:
        words_a (np.ndarray): ``(N, W)`` uint64 words (see :func:`codes_to_words`).
        words_b (np.ndarray): ``(N, W)`` uint64 words, or any shape broadcasting with
            ``words_a``.

    Returns:
        np.ndarray: ``(N,)`` int64 numbers of differing bits per row.
    """
    return np.bitwise_count(words_a ^ words_b).sum(axis=-1, dtype=np.int64)
