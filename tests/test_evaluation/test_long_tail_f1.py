"""LongTailF1 (mmrsfm.evaluation.long_tail_f1) against scikit-learn's f1_score, per group."""
import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score

from mmrsfm.evaluation import LongTailF1

GROUPS = dict(head=[0, 1], middle=[2, 3], tail=[4, 5, 6])


def _run(metric, preds, labels, as_scores=False):
    samples = []
    for p, y in zip(preds, labels):
        sample = {'gt_label': torch.tensor([y])}
        if as_scores:
            score = torch.zeros(7)
            score[p] = 1.0
            sample['pred_score'] = score
        else:
            sample['pred_label'] = torch.tensor([p])
        samples.append(sample)
    metric.process(None, samples)
    return metric.evaluate(len(samples))


@pytest.mark.parametrize('as_scores', [False, True])
def test_matches_sklearn_per_group(as_scores):
    rng = np.random.RandomState(0)
    labels = rng.randint(0, 7, size=300)
    preds = np.where(rng.rand(300) < 0.6, labels, rng.randint(0, 7, size=300))
    preds[preds == 6] = 5  # class 6 is never predicted: its F1 is 0
    result = _run(LongTailF1(groups=GROUPS), preds, labels, as_scores)
    for name, members in GROUPS.items():
        expected = 100 * f1_score(labels, preds, labels=members, average='macro', zero_division=0)
        assert result[f'long-tail/{name}_f1'] == pytest.approx(expected)
    assert result['long-tail/macro_f1'] == pytest.approx(
        100 * f1_score(labels, preds, average='macro', zero_division=0))


def test_groups_from_dataset_metainfo_and_errors():
    metric = LongTailF1()
    metric.dataset_meta = {'class_groups': GROUPS}
    result = _run(metric, [0, 1, 4, 4], [0, 1, 4, 5])
    assert result['long-tail/head_f1'] == pytest.approx(100.0)
    # Tail: class 4 F1 = 2*1/(2*1+1+0) = 2/3, class 5 = 0, class 6 absent = 0.
    assert result['long-tail/tail_f1'] == pytest.approx(100 * (2 / 3) / 3)
    with pytest.raises(ValueError, match='class_groups'):
        _run(LongTailF1(), [0], [0])
    with pytest.raises(ValueError, match='unknown class groups'):
        LongTailF1(groups=dict(rare=[1]))


# A head-biased case (issue 15 item 5): head 0, 1 (20 test samples each, all right); middle 2
# (10 samples: 8 right, 2 -> 0); tail 3, 4 (10 samples each: 3 right, 7 -> head class 0 / 1).
BIASED_GROUPS = dict(head=[0, 1], middle=[2], tail=[3, 4])
BIASED_LABELS = [0] * 20 + [1] * 20 + [2] * 10 + [3] * 10 + [4] * 10
BIASED_PREDS = ([0] * 20 + [1] * 20 + [2] * 8 + [0] * 2 + [3] * 3 + [0] * 7 + [4] * 3
                + [1] * 7)


def _f1(tp, fp, fn):
    return 2 * tp / (2 * tp + fp + fn)


def test_head_biased_case_both_groupings_by_hand():
    all_samples = _run(LongTailF1(groups=BIASED_GROUPS), BIASED_PREDS, BIASED_LABELS)
    group_samples = _run(LongTailF1(groups=BIASED_GROUPS, group_mode='group_samples'),
                         BIASED_PREDS, BIASED_LABELS)
    # All samples, one-vs-rest per class: class 0 has TP 20 and FP 2 + 7 (middle and tail
    # samples predicted 0), class 1 TP 20 FP 7, class 2 TP 8 FN 2, classes 3 and 4 TP 3 FN 7.
    hand_all = dict(head=(_f1(20, 9, 0) + _f1(20, 7, 0)) / 2, middle=_f1(8, 0, 2),
                    tail=(_f1(3, 0, 7) + _f1(3, 0, 7)) / 2)
    # Group subsets (the authors' grouping): the head subset is all right (100); the middle
    # subset holds class 2 (TP 8, FN 2) and class 0 (predicted twice, never true: F1 0); the
    # tail subset holds classes 3, 4 (TP 3, FN 7 each) and the predicted head classes 0, 1 (0).
    hand_group = dict(head=1.0, middle=(_f1(8, 0, 2) + 0) / 2,
                      tail=(_f1(3, 0, 7) * 2 + 0 + 0) / 4)
    assert hand_all == pytest.approx(dict(head=0.8337, middle=0.8889, tail=0.4615), abs=1e-4)
    assert hand_group == pytest.approx(dict(head=1.0, middle=0.4444, tail=0.2308), abs=1e-4)
    labels, preds = np.array(BIASED_LABELS), np.array(BIASED_PREDS)
    for name, members in BIASED_GROUPS.items():
        assert all_samples[f'long-tail/{name}_f1'] == pytest.approx(100 * hand_all[name])
        assert group_samples[f'long-tail/{name}_f1'] == pytest.approx(100 * hand_group[name])
        # Independent reference: scikit-learn's macro-F1 on the group's subset.
        keep = np.isin(labels, members)
        assert group_samples[f'long-tail/{name}_f1'] == pytest.approx(
            100 * f1_score(labels[keep], preds[keep], average='macro'))
    # The two definitions differ by tens of points here (middle: 88.9 vs 44.4).
    assert all_samples['long-tail/middle_f1'] - group_samples['long-tail/middle_f1'] > 40
    assert all_samples['long-tail/tail_f1'] - group_samples['long-tail/tail_f1'] > 20
    # macro_f1 is the same in both modes.
    assert group_samples['long-tail/macro_f1'] == pytest.approx(all_samples['long-tail/macro_f1'])


def test_group_samples_matches_sklearn_on_random_predictions():
    rng = np.random.RandomState(1)
    labels = rng.randint(0, 7, size=300)
    preds = np.where(rng.rand(300) < 0.5, labels, rng.randint(0, 7, size=300))
    result = _run(LongTailF1(groups=GROUPS, group_mode='group_samples'), preds, labels)
    for name, members in GROUPS.items():
        keep = np.isin(labels, members)
        assert result[f'long-tail/{name}_f1'] == pytest.approx(
            100 * f1_score(labels[keep], preds[keep], average='macro'))


def test_group_samples_group_without_samples_and_bad_mode():
    result = _run(LongTailF1(groups=dict(head=[0], tail=[1]), group_mode='group_samples'),
                  [0, 1], [0, 0])
    assert result['long-tail/head_f1'] == pytest.approx(100 * (_f1(1, 0, 1) + 0) / 2)
    assert np.isnan(result['long-tail/tail_f1'])
    with pytest.raises(ValueError, match='group_mode'):
        LongTailF1(groups=GROUPS, group_mode='authors')
