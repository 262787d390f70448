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


# PSTS stage orders (issue 13 item 2). Stages at the epochs the hook sets, hand-computed from
# the boundaries 0.35 / 0.375 / 0.725 / 0.75 of 800 epochs = 280 / 300 / 580 / 600: the first
# stage until 280, a ramp to the second by 300 (weight of the first 1 - (e - 280) / 20), the
# second until 580, a ramp to the third by 600 (1 - (e - 580) / 20), then the third.
ORDER_EPOCHS = (0, 279, 280, 290, 299, 300, 579, 580, 595, 600, 799)


def _expected_stages(a, b, c):
    return [(a, a, 1.0), (a, a, 1.0), (a, b, 1.0), (a, b, 0.5), (a, b, 0.05), (b, b, 1.0),
            (b, b, 1.0), (b, c, 1.0), (b, c, 0.25), (c, c, 1.0),
            (c, c, 1.0)]


@pytest.mark.parametrize('order', [('near', 'far', 'random'), ('far', 'near', 'random'),
                                   ('random', 'near', 'far'), ('far', 'random', 'near')])
def test_stage_order_sets_the_stage_sequence(order):
    selector = HOGTokenSelector(psts=dict(stage_order=order))  # default fraction boundaries
    stages = []
    for epoch in ORDER_EPOCHS:
        selector.set_epoch(epoch, 800)
        stages.append(selector.stage())
    expected = _expected_stages(*order)
    assert [s[:2] for s in stages] == [e[:2] for e in expected]
    np.testing.assert_allclose([s[2] for s in stages], [e[2] for e in expected], atol=1e-12)
    # one epoch per stage, whatever the order (the ramps sit at the same epochs)
    assert selector.stage_epochs(800) == [0, 289, 439, 589, 699]


def test_default_stage_order_is_near_far_random():
    default = HOGTokenSelector(psts=PSTS)
    explicit = HOGTokenSelector(psts=dict(PSTS, stage_order=('near', 'far', 'random')))
    assert default.psts == explicit.psts
    assert default.psts['stage_order'] == ('near', 'far', 'random')
    for epoch in ORDER_EPOCHS:
        default.set_epoch(epoch, 800)
        explicit.set_epoch(epoch, 800)
        assert default.stage() == explicit.stage()


def test_two_and_one_stage_orders():
    # near until epoch 100, ramp to random by 200: at 150 half of each step is 'near'
    two = HOGTokenSelector(psts=dict(stage_order=['near', 'random'], boundaries=(100, 200)))
    expected = {0: ('near', 'near', 1.0), 99: ('near', 'near', 1.0),
                150: ('near', 'random', 0.5), 200: ('random', 'random', 1.0)}
    for epoch, stage in expected.items():
        two.set_epoch(epoch, 300)
        assert two.stage() == stage
    one = HOGTokenSelector(psts=dict(stage_order=('far',)))
    for epoch in (0, 799):
        one.set_epoch(epoch, 800)
        assert one.stage() == ('far', 'far', 1.0)
    assert one.stage_epochs(800) == [0]


@pytest.mark.parametrize('psts,match', [
    (dict(stage_order=('near', 'farther', 'random')), r"unknown \['farther'\]"),
    (dict(stage_order=('near', 'near', 'random')), r"repeated \['near'\]"),
    (dict(stage_order=()), 'distinct stages'),
    (dict(stage_order='near'), 'sequence of stage names'),
    (dict(stage_order=('near', 'far')), 'give its 2 psts.boundaries'),
    (dict(stage_order=('near', 'far'), boundaries=(1, 2, 3, 4)), 'must be 2 increasing'),
    (dict(stage_order=('far', 'near', 'random'), boundaries=(3, 2, 5, 6)), '4 increasing'),
    (dict(stage_orders=('near', 'far', 'random')), 'unknown psts keys'),
])
def test_stage_order_errors(psts, match):
    with pytest.raises(ValueError, match=match):
        HOGTokenSelector(psts=psts)


def test_far_first_order_adds_complementary_tokens_from_the_start():
    images, feats = _batch(b=8)
    normed = torch.nn.functional.normalize(feats, dim=-1)
    mean_similarity = {}
    for order in (('near', 'far', 'random'), ('far', 'near', 'random')):
        selector = HOGTokenSelector(psts=dict(PSTS, stage_order=order))
        selector.set_epoch(0, 800)
        visible, _, scores = selector(images, feats)
        sims = []
        for i in range(8):
            seeds = scores[i].topk(14).indices
            added = [j for j in visible[i].tolist() if j not in set(seeds.tolist())]
            sims.append((normed[i, added] @ normed[i, seeds].T).max(1).values.mean())
        mean_similarity[order[0]] = torch.stack(sims).mean().item()
    assert mean_similarity['near'] > mean_similarity['far'] + 0.1


# sampling='random' (issue 13 item 6): the authors' code scores every patch ~0, so its top-k
# seeds and targets are uniformly random. Over many seeded draws of one image with strong edges
# in 3 of its 16 patches, every patch must be a seed / target equally often.
def _edge_image():
    image = torch.zeros(1, 3, 64, 64)
    image[..., 0:16, 4:12] = 1.0  # patches 0, 5 and 10 hold bright bars: top HOG scores
    image[..., 16:32, 20:28] = 1.0
    image[..., 32:48, 36:44] = 1.0
    return image


@pytest.mark.parametrize('psts', [None, dict(seed_ratio=1.0)])
def test_random_sampling_draws_seeds_and_targets_uniformly(psts):
    # L = 16, V = int(16 * 0.25) = 4 visible (all seeds when seed_ratio = 1), T = 8 targets.
    draws = 4000
    torch.manual_seed(0)
    images = _edge_image().repeat(draws, 1, 1, 1)
    feats = torch.randn(1, 16, 8).repeat(draws, 1, 1)
    selector = HOGTokenSelector(patch_size=16, mask_ratio=0.75, recon_ratio=0.5,
                                sampling='random', psts=psts)
    visible, targets, scores = selector(images, feats)
    assert set(scores[0].topk(3).indices.tolist()) == {0, 5, 10}
    visible_freq = torch.zeros(16).index_add_(0, visible.reshape(-1), torch.ones(draws * 4))
    target_freq = torch.zeros(16).index_add_(0, targets.reshape(-1), torch.ones(draws * 8))
    # binomial standard errors: sqrt(0.25 * 0.75 / 4000) = 0.0068, sqrt(0.25 / 4000) = 0.0079
    np.testing.assert_allclose(visible_freq / draws, 4 / 16, atol=0.03)
    np.testing.assert_allclose(target_freq / draws, 8 / 16, atol=0.03)
    # top-k, as a check that the test can tell: the edge patches are always visible
    topk = HOGTokenSelector(patch_size=16, mask_ratio=0.75, recon_ratio=0.5, psts=psts)
    visible, _, _ = topk(images[:10], feats[:10])
    assert all({0, 5, 10} <= set(v.tolist()) for v in visible)


def test_random_sampling_with_psts_growth_follows_the_stage():
    # The seeds are the first random draw of the selection: with the same torch seed, both
    # stages start from the same 14 seeds, reproduced here; 'near' then adds similar tokens,
    # 'far' complementary ones.
    images, feats = _batch(b=8)
    normed = torch.nn.functional.normalize(feats, dim=-1)
    mean_similarity = {}
    for epoch, name in ((0, 'near'), (400, 'far')):
        torch.manual_seed(0)
        seeds = torch.rand(8, 196).topk(14).indices
        torch.manual_seed(0)
        selector = HOGTokenSelector(sampling='random', psts=PSTS)
        selector.set_epoch(epoch, 800)
        visible, _, _ = selector(images, feats)
        sims = []
        for i in range(8):
            assert set(seeds[i].tolist()) <= set(visible[i].tolist())
            added = [j for j in visible[i].tolist() if j not in set(seeds[i].tolist())]
            sims.append((normed[i, added] @ normed[i, seeds[i]].T).max(1).values.mean())
        mean_similarity[name] = torch.stack(sims).mean().item()
    assert mean_similarity['near'] > mean_similarity['far'] + 0.1
