"""SelectiveMAE token selection (mmrsfm.models.selfsup.token_selection)."""
import numpy as np
import pytest
import torch
from skimage.feature import hog

from mmrsfm.models.selfsup import (HOGTokenSelector, hog_cell_histograms, hog_patch_scores,
                                   token_budget)


def test_hog_histograms_agree_with_skimage():
    rng = np.random.RandomState(0)
    image = rng.rand(48, 64, 3)
    image[:, 20:] += np.linspace(0, 2, 44)[None, :, None]  # some structure besides noise
    ours = hog_cell_histograms(torch.from_numpy(image).permute(2, 0, 1)[None], 8, 9)[0]
    for channel in range(3):
        ref = hog(image[..., channel], orientations=9, pixels_per_cell=(8, 8),
                  cells_per_block=(1, 1), block_norm='L1', feature_vector=False)[:, :, 0, 0]
        # skimage only returns block-normalised histograms: L1-normalise ours the same way.
        h = ours[channel].numpy()
        np.testing.assert_allclose(h / (h.sum(-1, keepdims=True) + 1e-5), ref, atol=1e-6)
    assert ours.shape == (3, 6, 8, 9)


def test_scores_rank_edges_over_flat_patches():
    image = torch.zeros(1, 3, 64, 64)
    image[:, :, 16:32, 40:48] = 1.0  # a bright bar inside patch (1, 2) of a 4x4 grid
    scores = hog_patch_scores(image, patch_size=16)
    assert scores.shape == (1, 16)
    assert scores[0, 1 * 4 + 2] == scores.max() and scores.max() > 0
    assert scores[0, 15] == 0  # flat patch far from the bar
    with pytest.raises(ValueError, match='divisible by the patch size'):
        hog_patch_scores(torch.zeros(1, 3, 60, 64))


def test_token_budget_and_impossible_ratios():
    assert token_budget(196, 0.85, 0.25) == (29, 49)
    assert token_budget(14 * 10, 0.85, 0.25) == (21, 35)
    with pytest.raises(ValueError, match='recon_ratio'):
        token_budget(196, 0.5, 0.6)
    with pytest.raises(ValueError, match='recon_ratio'):
        token_budget(10, 0.5, 0.5 + 1e-9)
    with pytest.raises(ValueError, match='both must be >= 1'):
        token_budget(4, 0.9, 0.2)
    with pytest.raises(ValueError, match='mask_ratio'):
        HOGTokenSelector(mask_ratio=1.0)


def _batch(b=4, h=224, w=224, seed=0):
    gen = torch.Generator().manual_seed(seed)
    images = torch.rand(b, 3, h, w, generator=gen)
    feats = torch.randn(b, (h // 16) * (w // 16), 32, generator=gen)
    return images, feats


PSTS = dict(seed_ratio=0.5, num_steps=2, boundaries=(280, 300, 580, 600))


@pytest.mark.parametrize('epoch,expected', [
    (0, ('near', 'near', 1.0)), (290, ('near', 'far', 0.5)), (400, ('far', 'far', 1.0)),
    (595, ('far', 'random', 0.25)), (700, ('random', 'random', 1.0))])
def test_stage_schedule_and_token_counts(epoch, expected):
    selector = HOGTokenSelector(psts=PSTS)
    selector.set_epoch(epoch, 800)
    assert selector.stage() == expected
    images, feats = _batch(h=160, w=224)  # 10 x 14 patches: any size divisible by the patch
    visible, targets, scores = selector(images, feats)
    assert visible.shape == (4, 21) and targets.shape == (4, 35) and scores.shape == (4, 140)
    for v, t in zip(visible, targets):
        assert len(set(v.tolist())) == 21 and len(set(t.tolist())) == 35
        assert not set(v.tolist()) & set(t.tolist())
    # Fractions of the schedule give the same stages.
    frac = HOGTokenSelector(psts=dict(PSTS, boundaries=(0.35, 0.375, 0.725, 0.75)))
    frac.set_epoch(epoch, 800)
    assert frac.stage() == expected


def test_stage_epochs_follow_the_schedule():
    frac = HOGTokenSelector(psts=dict(PSTS, boundaries=(0.35, 0.375, 0.725, 0.75)))
    frac.set_epoch(7, 10)
    # one epoch per stage: near, near -> far, far, far -> random, random
    assert frac.stage_epochs(800) == [0, 289, 439, 589, 699]
    # 2 epochs as PSTSStageHook sets them (0, 1): near, then far; 'random' is never reached
    assert frac.stage_epochs(2) == [0, 1]
    assert (frac.epoch, frac.max_epochs) == (7, 10)  # left as it was
    # boundaries in epochs do not scale: a 2-epoch schedule stays 'near'
    assert HOGTokenSelector(psts=PSTS).stage_epochs(2) == [0]
    assert HOGTokenSelector().stage_epochs(800) == [0]  # no PSTS: one stage (random)


def test_seeds_are_top_scored_and_targets_top_among_the_rest():
    images, feats = _batch()
    selector = HOGTokenSelector(psts=PSTS)
    visible, targets, scores = selector(images, feats)
    for i in range(4):
        order = scores[i].argsort(descending=True).tolist()
        assert set(order[:14]) <= set(visible[i].tolist())  # int(29 * 0.5) seeds
        rest = [j for j in order if j not in set(visible[i].tolist())]
        assert set(targets[i].tolist()) == set(rest[:49])


def test_selection_is_per_sample():
    images, feats = _batch()
    for psts in (None, PSTS):
        selector = HOGTokenSelector(psts=psts)
        visible, targets, _ = selector(images, feats)
        for i in range(4):
            v_i, t_i, _ = selector(images[i:i + 1], feats[i:i + 1])
            assert torch.equal(v_i[0], visible[i]) and torch.equal(t_i[0], targets[i])
    # Random orders draw independently per sample, even for identical samples.
    random_stage = HOGTokenSelector(psts=PSTS)
    random_stage.set_epoch(799, 800)
    same = images[:1].repeat(4, 1, 1, 1), feats[:1].repeat(4, 1, 1)
    visible, _, _ = random_stage(*same)
    assert len({tuple(v.tolist()) for v in visible}) > 1
    visible, _, _ = HOGTokenSelector(sampling='random')(*same)
    assert len({tuple(v.tolist()) for v in visible}) > 1


def test_near_adds_similar_tokens_and_far_complementary_ones():
    images, feats = _batch(b=8)
    mean_similarity = {}
    for epoch, name in ((0, 'near'), (400, 'far')):
        selector = HOGTokenSelector(psts=PSTS)
        selector.set_epoch(epoch, 800)
        visible, _, scores = selector(images, feats)
        normed = torch.nn.functional.normalize(feats, dim=-1)
        sims = []
        for i in range(8):
            seeds = scores[i].topk(14).indices
            added = [j for j in visible[i].tolist() if j not in set(seeds.tolist())]
            sims.append((normed[i, added] @ normed[i, seeds].T).max(1).values.mean())
        mean_similarity[name] = torch.stack(sims).mean().item()
    assert mean_similarity['near'] > mean_similarity['far'] + 0.1
