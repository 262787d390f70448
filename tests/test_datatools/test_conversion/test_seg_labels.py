"""Colour label -> index conversion (Potsdam, iSAID) and sliding-window cropping."""
import numpy as np

from mmrsfm.datatools.conversion import (ISAID_PALETTE, POTSDAM_PALETTE, POTSDAM_TRAIN_TILES,
                                         POTSDAM_VAL_TILES)
from mmrsfm.datatools.conversion.isaid import ISAID_PROTOCOLS, ignore_background
from mmrsfm.datatools.conversion.potsdam import POTSDAM_PROTOCOLS, ignore_clutter
from mmrsfm.datatools.conversion.rgb_labels import rgb_to_index
from mmrsfm.datatools.conversion.seg_patches import crop_patches, window_starts


def test_potsdam_colours_to_mmseg_indices():
    # Hand-made 2 x 4 label in RGB: white, blue, cyan, green / yellow, red, black, odd colour.
    rgb = np.array([[[255, 255, 255], [0, 0, 255], [0, 255, 255], [0, 255, 0]],
                    [[255, 255, 0], [255, 0, 0], [0, 0, 0], [10, 20, 30]]], np.uint8)
    index, unknown = rgb_to_index(rgb, POTSDAM_PALETTE, unknown_value=0)
    # mmseg's PotsdamDataset (reduce_zero_label) reads these as impervious surface 0,
    # building 1, low vegetation 2, tree 3, car 4, clutter 5, and 0 -> 255 ignored.
    np.testing.assert_array_equal(index, [[1, 2, 3, 4], [5, 6, 0, 0]])
    assert unknown == 1


def test_isaid_colours_to_indices():
    rgb = np.array([[[0, 0, 0], [0, 0, 63], [0, 100, 155]],
                    [[0, 127, 255], [0, 63, 127], [1, 1, 1]]], np.uint8)
    index, unknown = rgb_to_index(rgb, ISAID_PALETTE)
    np.testing.assert_array_equal(index, [[0, 1, 15], [14, 4, 255]])
    assert unknown == 1


def test_crop_windows_cover_tile_and_pad_small_tiles():
    assert window_starts(1000, 512, 256) == [0, 256, 488]
    assert window_starts(768, 512, 256) == [0, 256]
    assert window_starts(300, 512, 256) == [0]
    image = np.arange(5 * 7 * 3, dtype=np.uint8).reshape(5, 7, 3)
    label = np.arange(5 * 7, dtype=np.uint8).reshape(5, 7)
    patches = list(crop_patches(image, label, size=4, stride=3))
    assert [box for box, _, _ in patches] == [(0, 0, 4, 4), (3, 0, 7, 4), (0, 1, 4, 5),
                                              (3, 1, 7, 5)]
    for (x0, y0, x1, y1), img, lbl in patches:
        np.testing.assert_array_equal(img, image[y0:y1, x0:x1])
        np.testing.assert_array_equal(lbl, label[y0:y1, x0:x1])
    (box, img, lbl), = crop_patches(image[:3, :3], label[:3, :3], size=4, stride=2)
    assert box == (0, 0, 4, 4) and img.shape == (4, 4, 3)
    assert (lbl[3] == 255).all() and (lbl[:, 3] == 255).all() and (img[3] == 0).all()


def test_samrs_potsdam_windows_give_the_papers_patch_counts():
    # Paper appendix A.6: 512 crops with stride 320 of the 6,000 px tiles -> 8,664 train and
    # 5,054 test patches. By hand: starts 0, 320, ..., 5440 (18) and 5488 at the border = 19.
    size, stride = POTSDAM_PROTOCOLS['samrs']['size'], POTSDAM_PROTOCOLS['samrs']['stride']
    starts = window_starts(6000, size, stride)
    assert starts[:3] == [0, 320, 640] and starts[-2:] == [5440, 5488] and len(starts) == 19
    per_tile = len(starts) ** 2
    assert (len(POTSDAM_TRAIN_TILES) * per_tile, len(POTSDAM_VAL_TILES) * per_tile) == (8664, 5054)
    # iSAID: stride 512 = 896 - overlap 384, the windows of mmseg's converter.
    samrs, mmseg = ISAID_PROTOCOLS['samrs'], ISAID_PROTOCOLS['mmseg']
    assert samrs['size'] - samrs['overlap'] == 512 and samrs['size'] == 896
    assert (samrs['size'], samrs['overlap']) == (mmseg['size'], mmseg['overlap'])


def test_ignore_clutter_and_background_by_hand():
    label = np.array([[0, 1, 2, 3], [4, 5, 6, 255]], np.uint8)
    out = ignore_clutter(label)
    np.testing.assert_array_equal(out, [[0, 1, 2, 3], [4, 5, 255, 255]])
    assert label[1, 2] == 6  # input untouched
    isaid = np.array([[0, 1, 15], [0, 7, 255]], np.uint8)
    np.testing.assert_array_equal(ignore_background(isaid), [[255, 1, 15], [255, 7, 255]])
    assert isaid[0, 0] == 0
