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
