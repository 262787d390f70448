"""Batched SAM decoding (boxes, points, mask prompts and their combinations) equals
segment-anything's own single-prompt API on the same embedding; the mask-prompt geometry by
hand."""
import numpy as np
import pytest
import torch

from mmrsfm.datatools.sam_labels.sam_labeler import (SamBoxLabeler, box_corners, build_sam,
                                                     region_mask_input)


def _image(h=48, w=70, seed=0):
    rng = np.random.RandomState(seed)
    image = rng.randint(0, 60, size=(h, w, 3)).astype(np.uint8)
    image[10:30, 20:50] = (200, 180, 40)
    return image


def test_batched_boxes_and_points_match_single_prompt_predict(tiny_sam):
    labeler = SamBoxLabeler(tiny_sam, batch_size=2)
    labeler.set_image(_image())
    boxes = np.array([[20, 10, 50, 30], [0, 0, 69, 47], [5.5, 7.25, 18, 40], [30, 5, 66, 44],
                      [1, 1, 3, 3]], dtype=np.float64)
    batches = list(labeler.predict_boxes(boxes))
    assert [m.shape for m, _ in batches] == [(2, 48, 70), (2, 48, 70), (1, 48, 70)]
    masks = np.concatenate([m for m, _ in batches])
    scores = np.concatenate([s for _, s in batches])
    assert masks.dtype == bool
    for i, box in enumerate(boxes):
        ref_mask, ref_score, _ = labeler.predictor.predict(box=box, multimask_output=False)
        np.testing.assert_array_equal(masks[i], ref_mask[0])
        assert scores[i] == pytest.approx(float(ref_score[0]), abs=1e-5)

    points = np.array([[35, 20], [3, 40], [60.5, 2]])
    masks = np.concatenate([m for m, _ in labeler.predict_points(points)])
    for i, point in enumerate(points):
        ref_mask, _, _ = labeler.predictor.predict(point_coords=point[None],
                                                   point_labels=np.array([1]),
                                                   multimask_output=False)
        np.testing.assert_array_equal(masks[i], ref_mask[0])


def test_input_checks_and_checkpoint_errors(tiny_sam, tmp_path):
    labeler = SamBoxLabeler(tiny_sam)
    with pytest.raises(ValueError, match=r'\(H, W, 3\) uint8 RGB'):
        labeler.set_image(np.zeros((8, 8), np.uint8))
    with pytest.raises(ValueError, match='batch_size'):
        SamBoxLabeler(tiny_sam, batch_size=0)
    with pytest.raises(FileNotFoundError, match='does not exist'):
        build_sam('vit_b', str(tmp_path / 'missing.pth'))
    with pytest.raises(ValueError, match='unknown SAM model type'):
        build_sam('vit_s', None)
    path = tmp_path / 'tiny.pth'
    torch.save(tiny_sam.state_dict(), path)
    with pytest.raises(ValueError, match=r'tiny\.pth is not a SAM vit_b checkpoint'):
        build_sam('vit_b', str(path))


# Mask prompts. The tiny SAM has img_size 64 and a 16 x 16 mask input (one cell per 4 x 4 input
# pixels), so for an (H, W) = (40, 80) image: scale 64 / 80 = 0.8, resized to 32 x 64, padded
# to 64 x 64; cell (r, c) has its centre at input pixel (4c + 2, 4r + 2), i.e. at original
# x = (4c + 2) / 0.8 = 5c + 2.5 and y = 5r + 2.5; rows r >= 8 are padding.

def test_region_mask_input_of_a_box_by_hand():
    got = region_mask_input(box_corners([10, 5, 30, 26]), (40, 80), img_size=64,
                            mask_size=(16, 16))
    # 10 <= 5c + 2.5 <= 30 -> c = 2..5; 5 <= 5r + 2.5 <= 26 -> r = 1..4.
    expected = np.full((16, 16), -1000, np.float32)
    expected[1:5, 2:6] = 1000
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected)
    # Boundary included: x = 5c + 2.5 = 12.5 exactly for c = 2.
    got = region_mask_input(box_corners([12.5, 5, 30, 26]), (40, 80), 64, (16, 16))
    np.testing.assert_array_equal(got, expected)
    # A box reaching past the image: the padding (rows >= 8) stays outside.
    got = region_mask_input(box_corners([70, 30, 200, 100]), (40, 80), 64, (16, 16), value=5)
    expected = np.full((16, 16), -5, np.float32)
    expected[6:8, 14:16] = 5   # 70 <= 5c + 2.5 -> c >= 14; 30 <= 5r + 2.5 -> r >= 6
    np.testing.assert_array_equal(got, expected)


def test_region_mask_input_of_a_rotated_box_by_hand():
    # A diamond |x - 40| + |y - 20| <= 20 (an R-Box at 45 degrees), corners in any order.
    diamond = np.array([[40, 0], [20, 20], [40, 40], [60, 20]])
    got = region_mask_input(diamond, (40, 80), 64, (16, 16))
    r, c = np.mgrid[:16, :16]
    x, y = 5 * c + 2.5, 5 * r + 2.5
    inside = (np.abs(x - 40) + np.abs(y - 20) <= 20) & (r < 8)
    np.testing.assert_array_equal(got, np.where(inside, 1000, -1000))
    assert inside.sum() > 10
    # Portrait image (H, W) = (80, 40): scale 0.8 to 64 x 32; columns >= 8 are padding.
    got = region_mask_input(box_corners([0, 0, 40, 80]), (80, 40), 64, (16, 16))
    expected = np.full((16, 16), -1000, np.float32)
    expected[:, :8] = 1000
    np.testing.assert_array_equal(got, expected)


def test_combined_prompts_match_single_prompt_predict(tiny_sam):
    labeler = SamBoxLabeler(tiny_sam, batch_size=2)
    with pytest.raises(RuntimeError, match='set_image'):
        labeler.region_masks([box_corners([1, 1, 5, 5])])
    image = _image()
    labeler.set_image(image)
    assert labeler.mask_input_size == (16, 16)
    boxes = np.array([[20, 10, 50, 30], [5.5, 7.25, 18, 40], [30, 5, 66, 44]])
    points = (boxes[:, :2] + boxes[:, 2:]) / 2
    regions = [box_corners(b) for b in boxes]
    regions[2] = np.array([[48, 5], [66, 24], [48, 44], [30, 24]])   # rotated
    masks_in = labeler.region_masks(regions)
    assert masks_in.shape == (3, 16, 16)
    np.testing.assert_array_equal(masks_in[0], region_mask_input(regions[0], (48, 70), 64,
                                                                 (16, 16)))
    combos = [dict(mask_inputs=masks_in), dict(points=points, mask_inputs=masks_in),
              dict(boxes=boxes, mask_inputs=masks_in),
              dict(points=points, boxes=boxes, mask_inputs=masks_in),
              dict(points=points, boxes=boxes)]
    for combo in combos:
        batches = list(labeler.predict(**combo))
        assert [m.shape[0] for m, _ in batches] == [2, 1]
        masks = np.concatenate([m for m, _ in batches])
        scores = np.concatenate([s for _, s in batches])
        for i in range(3):
            kwargs = dict(multimask_output=False)
            if 'points' in combo:
                kwargs.update(point_coords=points[i][None], point_labels=np.array([1]))
            if 'boxes' in combo:
                kwargs.update(box=boxes[i])
            if 'mask_inputs' in combo:
                kwargs.update(mask_input=masks_in[i][None])
            ref_mask, ref_score, _ = labeler.predictor.predict(**kwargs)
            np.testing.assert_array_equal(masks[i], ref_mask[0])
            assert scores[i] == pytest.approx(float(ref_score[0]), abs=1e-5)
    # The mask prompt changes SAM's answer (it is not ignored).
    with_mask = np.concatenate([m for m, _ in labeler.predict(boxes=boxes,
                                                              mask_inputs=masks_in)])
    without = np.concatenate([m for m, _ in labeler.predict_boxes(boxes)])
    assert (with_mask != without).any()


def test_predict_input_checks(tiny_sam):
    labeler = SamBoxLabeler(tiny_sam)
    labeler.set_image(_image())
    with pytest.raises(ValueError, match='at least one'):
        next(labeler.predict())
    with pytest.raises(ValueError, match='differ in length'):
        next(labeler.predict(points=np.zeros((2, 2)), boxes=np.zeros((3, 4))))
    with pytest.raises(ValueError, match=r'\(N, 16, 16\)'):
        next(labeler.predict(mask_inputs=np.zeros((2, 256, 256), np.float32)))
