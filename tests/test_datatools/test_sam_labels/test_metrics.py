"""mIoU_I / mIoU_P (SAMRS Eq. 1) against a hand computation."""
import numpy as np
import pytest

from mmrsfm.datatools.sam_labels.metrics import InstanceIoU, intersection_union


def test_instance_and_pixel_miou_by_hand():
    metric = InstanceIoU()
    # Instance A (class 1): gt 4 px, pred 2 of them + 2 outside -> I=2, U=6.
    gt_a = np.zeros((4, 4), bool)
    gt_a[0, :] = True
    pred_a = np.zeros((4, 4), bool)
    pred_a[0, :2] = True
    pred_a[1, :2] = True
    assert intersection_union(pred_a, gt_a) == (2, 6)
    metric.add(pred_a, gt_a, label=1)
    # Instance B (class 2): gt 8 px, pred equal -> I=8, U=8.
    gt_b = np.zeros((4, 4), bool)
    gt_b[2:, :] = True
    metric.add(gt_b.copy(), gt_b, label=2)
    # Instance C (class 1): pred 1 px, gt empty -> I=0, U=1.
    pred_c = np.zeros((4, 4), bool)
    pred_c[3, 3] = True
    metric.add(pred_c, np.zeros((4, 4), bool), label=1)
    # Both empty: left out.
    metric.add(np.zeros((4, 4), bool), np.zeros((4, 4), bool), label=1)

    result = metric.compute()
    assert result['num_instances'] == 3 and result['num_empty'] == 1
    assert result['mIoU_I'] == pytest.approx(100 * (2 / 6 + 8 / 8 + 0 / 1) / 3)
    assert result['mIoU_P'] == pytest.approx(100 * (2 + 8 + 0) / (6 + 8 + 1))
    assert result['per_class'][1]['mIoU_I'] == pytest.approx(100 * (2 / 6 + 0) / 2)
    assert result['per_class'][1]['mIoU_P'] == pytest.approx(100 * 2 / 7)
    assert result['per_class'][2]['mIoU_P'] == pytest.approx(100.0)


def test_empty_metric_and_shape_mismatch():
    assert np.isnan(InstanceIoU().compute()['mIoU_I'])
    with pytest.raises(ValueError, match='shapes differ'):
        intersection_union(np.zeros((2, 2)), np.zeros((2, 3)))


def test_per_instance_iou_matches_scikit_learn():
    from sklearn.metrics import jaccard_score
    rng = np.random.RandomState(0)
    metric = InstanceIoU()
    ious, inters, unions = [], [], []
    for _ in range(5):
        pred, gt = rng.rand(2, 9, 7) > 0.6
        metric.add(pred, gt)
        ious.append(jaccard_score(gt.ravel(), pred.ravel()))
        inter, union = intersection_union(pred, gt)
        inters.append(inter)
        unions.append(union)
    result = metric.compute()
    assert result['mIoU_I'] == pytest.approx(100 * np.mean(ious))
    # mIoU_P is the ratio of the summed pixels, not the mean of the ratios.
    assert result['mIoU_P'] == pytest.approx(100 * sum(inters) / sum(unions))
    assert result['mIoU_P'] != pytest.approx(result['mIoU_I'])
    assert result['per_class'] == {}
