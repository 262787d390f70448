"""Label PNG content under both overlap orders, against hand-computed arrays."""
import numpy as np
import pytest
from PIL import Image

from mmrsfm.datasets.samrs_metainfo import make_palette
from mmrsfm.datatools.sam_labels.coco import encode_mask
from mmrsfm.datatools.sam_labels.label_maps import (colorize, paint_order, render_semantic,
                                                    write_png_atomic)


def _masks():
    # 4 x 6 image. Instance 0 (class 3): a small 2 x 2 square at rows 1-2, cols 1-2.
    # Instance 1 (class 7): a large block over rows 0-3, cols 0-3 (covers instance 0).
    # Instance 2 (class 1): cols 3-5 of row 2, partly overlapping instance 1.
    small = np.zeros((4, 6), bool)
    small[1:3, 1:3] = True
    large = np.zeros((4, 6), bool)
    large[0:4, 0:4] = True
    strip = np.zeros((4, 6), bool)
    strip[2, 3:6] = True
    return [small, large, strip], [3, 7, 1]


def test_annotation_order_later_overwrites():
    masks, labels = _masks()
    expected = np.array([[7, 7, 7, 7, 255, 255],
                         [7, 7, 7, 7, 255, 255],
                         [7, 7, 7, 1, 1, 1],
                         [7, 7, 7, 7, 255, 255]], dtype=np.uint8)
    np.testing.assert_array_equal(render_semantic(masks, labels, 4, 6, 'annotation'), expected)


def test_larger_first_keeps_small_objects_visible():
    masks, labels = _masks()
    # Areas 4, 16, 3: painted large (7), small (3), strip (1).
    assert paint_order([4, 16, 3], 'larger-first') == [1, 0, 2]
    expected = np.array([[7, 7, 7, 7, 255, 255],
                         [7, 3, 3, 7, 255, 255],
                         [7, 3, 3, 1, 1, 1],
                         [7, 7, 7, 7, 255, 255]], dtype=np.uint8)
    np.testing.assert_array_equal(render_semantic(masks, labels, 4, 6, 'larger-first'), expected)
    # The same from COCO RLE masks.
    rles = [encode_mask(m) for m in masks]
    np.testing.assert_array_equal(render_semantic(rles, labels, 4, 6, 'larger-first'), expected)


def test_equal_areas_keep_annotation_order_and_errors():
    assert paint_order([5, 9, 5, 9], 'larger-first') == [1, 3, 0, 2]
    with pytest.raises(ValueError, match='overlap order'):
        paint_order([1], 'smallest-last')
    with pytest.raises(ValueError, match=r'\[0, 255\)'):
        render_semantic([np.ones((2, 2), bool)], [255], 2, 2)
    assert (render_semantic([], [], 3, 2) == 255).all()


def test_colour_png_round_trip(tmp_path):
    label = np.array([[0, 255], [2, 1]], dtype=np.uint8)
    rgb = colorize(label, 3)
    palette = make_palette(3)
    assert rgb[0, 0].tolist() == palette[0] and rgb[1, 0].tolist() == palette[2]
    assert rgb[0, 1].tolist() == [0, 0, 0]
    write_png_atomic(rgb, str(tmp_path / 'c.png'))
    write_png_atomic(label, str(tmp_path / 'g.png'))
    np.testing.assert_array_equal(np.array(Image.open(tmp_path / 'c.png')), rgb)
    gray = Image.open(tmp_path / 'g.png')
    assert gray.mode == 'L'
    np.testing.assert_array_equal(np.array(gray), label)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['c.png', 'g.png']
