"""RandomGamma against gamma corrections computed by hand."""
import numpy as np
import pytest
from mmseg.registry import TRANSFORMS

import mmrsfm.datasets  # noqa: F401 (registers the transforms)


def _build(**kwargs):
    return TRANSFORMS.build(dict(type='RandomGamma', **kwargs))


def test_fixed_gamma_on_uint8_by_hand():
    img = np.array([[[0, 64, 128], [200, 255, 1]]], np.uint8)
    out = _build(gamma_range=(2.0, 2.0), prob=1.0)(dict(img=img.copy()))
    # 255 * (v / 255) ** 2, rounded: 64 -> 16.06 -> 16, 128 -> 64.25 -> 64,
    # 200 -> 156.86 -> 157, 1 -> 0.0039 -> 0.
    np.testing.assert_array_equal(out['img'], [[[0, 16, 64], [157, 255, 0]]])
    assert out['img'].dtype == np.uint8 and out['gamma'] == 2.0
    out = _build(gamma_range=(0.5, 0.5), prob=1.0)(dict(img=img.copy()))
    # 255 * sqrt(v / 255): 64 -> 127.75 -> 128, 128 -> 180.67 -> 181, 200 -> 225.83 -> 226,
    # 1 -> 15.97 -> 16.
    np.testing.assert_array_equal(out['img'], [[[0, 128, 181], [226, 255, 16]]])


def test_float_images_keep_dtype_and_are_clipped():
    img = np.array([[100.0, -5.0, 300.0]], np.float32)
    out = _build(gamma_range=(2.0, 2.0), prob=1.0)(dict(img=img))
    # 255 * (100 / 255) ** 2 = 39.2157; -5 -> 0; 300 -> 255.
    np.testing.assert_allclose(out['img'], [[39.2157, 0.0, 255.0]], atol=1e-3)
    assert out['img'].dtype == np.float32


def test_probability_and_range_of_the_draws():
    img = np.full((2, 2, 3), 100, np.uint8)
    assert _build(prob=0.0)(dict(img=img.copy()))['gamma'] is None
    transform = _build(gamma_range=(0.8, 1.2), prob=0.5, seed=0)
    gammas = [transform(dict(img=img.copy()))['gamma'] for _ in range(400)]
    applied = [g for g in gammas if g is not None]
    assert 160 < len(applied) < 240  # binomial(400, 0.5): +-4 sigma
    assert 0.8 <= min(applied) < 0.85 and 1.15 < max(applied) <= 1.2
    # Each applied draw changes the image exactly as the hand formula with its gamma.
    out = transform(dict(img=img.copy()))
    while out['gamma'] is None:
        out = transform(dict(img=img.copy()))
    assert (out['img'] == round(255 * (100 / 255) ** out['gamma'])).all()
    # Seeded: the same seed gives the same draws.
    again = _build(gamma_range=(0.8, 1.2), prob=0.5, seed=0)
    assert [again(dict(img=img.copy()))['gamma'] for _ in range(400)] == gammas


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match='gamma_range'):
        _build(gamma_range=(1.2, 0.8))
    with pytest.raises(ValueError, match='gamma_range'):
        _build(gamma_range=(0.0, 1.0))
    with pytest.raises(ValueError, match='prob'):
        _build(prob=1.5)
