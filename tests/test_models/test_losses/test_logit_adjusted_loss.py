"""LogitAdjustedLoss against a hand computation of Menon et al.'s logit-adjusted cross-entropy,
its reductions to plain cross-entropy, soft labels, errors, and its use in mmpretrain's head.

Module under test: ``mmrsfm/models/losses/logit_adjusted_loss.py`` (its priors come from
``mmrsfm/engine/hooks/class_counts_hook.py``, run through the Runner in
tests/test_deblora_rows.py)."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmrsfm.runtime  # noqa: F401


def _hand_loss(scores: np.ndarray, labels: np.ndarray, counts, tau: float) -> float:
    """Mean over samples of -log(exp(z_y) / sum_j exp(z_j)), z = f + tau * log(n / N)."""
    prior = np.asarray(counts, dtype=np.float64) / np.sum(counts)
    total = 0.0
    for row, y in zip(scores.astype(np.float64), labels):
        z = [row[j] + tau * math.log(prior[j]) for j in range(len(row))]
        total += -(z[y] - math.log(sum(math.exp(v) for v in z)))
    return total / len(labels)


@pytest.mark.parametrize('tau', [1.0, 0.5, 2.0])
def test_loss_equals_the_hand_computation(tau):
    rng = np.random.RandomState(0)
    counts = [50, 20, 5, 1]
    scores = rng.randn(6, 4).astype(np.float32) * 2
    labels = np.array([0, 1, 2, 3, 3, 2])
    loss = MODELS.build(dict(type='LogitAdjustedLoss', tau=tau, class_counts=counts))
    value = loss(torch.from_numpy(scores), torch.from_numpy(labels))
    assert float(value) == pytest.approx(_hand_loss(scores, labels, counts, tau), rel=1e-5)
    # The adjustment favours tail labels in the loss: a tail sample costs more than under plain
    # cross-entropy (its logit is lowered relative to the head's).
    plain = F.cross_entropy(torch.from_numpy(scores), torch.from_numpy(labels))
    assert float(value) != pytest.approx(float(plain), rel=1e-3)


def test_equal_counts_or_tau_zero_is_plain_cross_entropy():
    scores, labels = torch.randn(5, 3), torch.tensor([0, 1, 2, 2, 0])
    plain = F.cross_entropy(scores, labels)
    equal = MODELS.build(dict(type='LogitAdjustedLoss', class_counts=[7, 7, 7]))
    no_shift = MODELS.build(dict(type='LogitAdjustedLoss', tau=0.0, class_counts=[9, 3, 1]))
    assert torch.allclose(equal(scores, labels), plain, atol=1e-6)
    assert torch.allclose(no_shift(scores, labels), plain, atol=1e-6)


def test_soft_labels_weights_and_loss_weight():
    counts = [30, 10, 2]
    scores = torch.randn(4, 3)
    soft = torch.softmax(torch.randn(4, 3), dim=1)
    loss = MODELS.build(dict(type='LogitAdjustedLoss', class_counts=counts, use_soft=True,
                             loss_weight=0.5))
    adjusted = scores + torch.log(torch.tensor(counts, dtype=torch.float) / sum(counts))
    expected = 0.5 * (-(soft * F.log_softmax(adjusted, dim=1)).sum(1)).mean()
    assert torch.allclose(loss(scores, soft), expected, atol=1e-6)
    hard = MODELS.build(dict(type='LogitAdjustedLoss', class_counts=counts, reduction='none'))
    labels = torch.tensor([0, 2, 1, 2])
    per_sample = F.cross_entropy(adjusted, labels, reduction='none')
    assert torch.allclose(hard(scores, labels), per_sample, atol=1e-6)


def test_counts_set_later_and_not_saved():
    loss = MODELS.build(dict(type='LogitAdjustedLoss'))
    with pytest.raises(RuntimeError, match='no class counts'):
        loss(torch.zeros(2, 3), torch.tensor([0, 1]))
    loss.set_class_counts([6, 3, 1])
    np.testing.assert_allclose(loss.log_prior.numpy(), np.log([0.6, 0.3, 0.1]), rtol=1e-6)
    assert 'log_prior' not in loss.state_dict()
    with pytest.raises(RuntimeError, match='counts of 3 classes for scores of 4'):
        loss(torch.zeros(2, 4), torch.tensor([0, 1]))


@pytest.mark.parametrize('counts, match', [([5, 0, 2], r'classes \[1\] have no training'),
                                           ([4], 'at least 2 classes')])
def test_bad_counts_are_refused(counts, match):
    with pytest.raises(ValueError, match=match):
        MODELS.build(dict(type='LogitAdjustedLoss', class_counts=counts))


def test_sigmoid_is_refused():
    with pytest.raises(ValueError, match='softmax'):
        MODELS.build(dict(type='LogitAdjustedLoss', use_sigmoid=True))


def test_in_a_linear_head_only_the_loss_is_adjusted():
    counts = [40, 8, 2]
    head = MODELS.build(dict(type='LinearClsHead', num_classes=3, in_channels=4,
                             loss=dict(type='LogitAdjustedLoss', class_counts=counts)))
    feats = (torch.randn(5, 4), )
    labels = [0, 0, 1, 2, 1]
    samples = [DataSample().set_gt_label(y) for y in labels]
    logits = head(feats).detach().numpy()
    losses = head.loss(feats, samples)
    assert float(losses['loss']) == pytest.approx(
        _hand_loss(logits, np.array(labels), counts, 1.0), rel=1e-5)
    predicted = head.predict(feats)
    scores = torch.stack([s.pred_score for s in predicted])
    assert torch.allclose(scores, torch.softmax(torch.from_numpy(logits), dim=1), atol=1e-6)
