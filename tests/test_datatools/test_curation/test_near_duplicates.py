"""mmrsfm.datatools.curation.near_duplicates and .hashing: both exact searches (faiss flat and
multi-index hashing) against a brute-force numpy Hamming matrix, grouping and the kept image,
and pHash codes of re-encoded / resized copies against distinct images."""
import imagehash
import numpy as np
import pytest

from mmrsfm.datatools.curation import choose_kept, group_near_duplicates, hamming_pairs, phash_code
from mmrsfm.datatools.curation.near_duplicates import plan_chunks
from mmrsfm.testing.synthetic_images import near_copy, smooth_image


def _brute_force(codes, threshold):
    bits = np.unpackbits(codes, axis=1).astype(np.int16)
    dist = (bits[:, None, :] != bits[None, :, :]).sum(-1)
    i, j = np.nonzero(np.triu(dist <= threshold, 1))
    return set(zip(i.tolist(), j.tolist())), dist


def _planted_codes(rng, num, nbytes, flip_prob):
    base = rng.integers(0, 256, (num, nbytes), np.uint8)
    flips = np.packbits(rng.random((num, nbytes * 8)) < flip_prob, axis=1)
    return np.concatenate([base, base ^ flips, base[:5]])  # near and exact copies


@pytest.mark.parametrize('nbytes,thresholds', [(8, (0, 2, 4, 7, 11)), (32, (6, 20))])
def test_searches_match_brute_force(nbytes, thresholds):
    rng = np.random.default_rng(nbytes)
    codes = _planted_codes(rng, 150, nbytes, 0.06)
    for threshold in thresholds:
        expected, dist = _brute_force(codes, threshold)
        for method in ('flat', 'mih'):
            pairs, d = hamming_pairs(codes, threshold, method, budget=97)
            assert set(map(tuple, pairs.tolist())) == expected, (method, threshold)
            np.testing.assert_array_equal(d, dist[pairs[:, 0], pairs[:, 1]])
        assert len(expected) > 5  # the planted copies are in range


def test_mih_plan_is_exact_by_pigeonhole():
    for num, threshold in [(1000, 4), (13_000_000, 4), (13_000_000, 6), (100, 10)]:
        widths, flips = plan_chunks(num, 1, threshold)
        assert sum(widths) == 64 and max(widths) <= 24
        assert len(widths) * (flips + 1) > threshold


def test_groups_and_kept_image():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, 8, np.uint8)
    b = a.copy()
    b[0] ^= 0b111  # 3 bits from a
    c = b.copy()
    c[1] ^= 0b111  # 3 bits from b, 6 from a: joined to a through b
    far = a ^ 0xFF
    codes = np.stack([a, b, c, far, a])
    labels, counts = group_near_duplicates(codes, 4)
    assert labels[0] == labels[1] == labels[2] == labels[4] != labels[3]
    assert counts == dict(unique_codes=4, pairs=2)
    kept = choose_kept(labels, np.array([100, 400, 400, 50, 900]))
    # largest in the group is index 4 (900 px); the lone far code keeps itself
    assert kept.tolist() == [False, False, False, True, True]


def test_phash_codes_find_copies_not_distinct_images():
    rng = np.random.default_rng(5)
    originals = [smooth_image(rng, 128, 128) for _ in range(6)]
    for image in originals[:2]:
        # packed bits are imagehash's own hash
        ref = imagehash.phash(image).hash.reshape(-1)
        np.testing.assert_array_equal(np.unpackbits(phash_code(image)), ref)
    images = originals + [near_copy(originals[0], 'jpeg'), near_copy(originals[1], 'resize'),
                          near_copy(originals[2], 'brightness')]
    codes = np.stack([phash_code(im) for im in images])
    expected, _ = _brute_force(codes, 4)
    pairs, _ = hamming_pairs(codes, 4)
    assert set(map(tuple, pairs.tolist())) == expected == {(0, 6), (1, 7), (2, 8)}
