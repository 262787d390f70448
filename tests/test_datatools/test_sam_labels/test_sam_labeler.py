"""Batched SAM decoding equals segment-anything's own single-prompt API on the same embedding."""
import numpy as np
import pytest
import torch

from mmrsfm.datatools.sam_labels.sam_labeler import SamBoxLabeler, build_sam


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
