"""debLoRA's clustering, de-biased centres and calibration (mmrsfm.models.peft.calibration)."""
import sys

import numpy as np
import pytest

from mmrsfm.models.peft.calibration import (Calibration, ClusterState, calibration_alpha,
                                            class_groups, cluster_features, debias,
                                            min_cluster_size)


def test_clusters_respect_the_minimum_size_rule():
    rng = np.random.RandomState(0)
    # Eight blobs of very different sizes, plus 3 isolated outliers that k-means makes clusters of.
    sizes = [400, 300, 200, 100, 50, 20, 10, 3]
    feats = np.concatenate([rng.randn(n, 4) * 0.3 + 6 * rng.randn(4) for n in sizes])
    state = cluster_features(feats, num_clusters=8, rho=2.0)
    min_size = min_cluster_size(len(feats), 8, 2.0)
    assert min_size == int(np.ceil(1083 / 16))
    assert state.sizes.min() >= min_size
    assert state.sizes.sum() == len(feats) and len(state.assignments) == len(feats)
    np.testing.assert_array_equal(np.bincount(state.assignments), state.sizes)
    for k, centre in enumerate(state.centres):
        np.testing.assert_allclose(centre, feats[state.assignments == k].mean(0), rtol=1e-5,
                                   atol=1e-5)
    dbscan = cluster_features(feats, num_clusters=8, rho=2.0, method='dbscan', dbscan_eps=1.0)
    assert dbscan.sizes.min() >= min_size and dbscan.sizes.sum() == len(feats)


def test_debiased_centre_and_alpha_by_hand(tmp_path):
    # Class 0: 100 samples (head), class 1: 5 samples (tail, ir = 20 -> alpha = 10/20 = 0.5).
    feats = np.zeros((105, 2), dtype=np.float32)
    feats[100:] = [[1, 1], [1, 1], [1, 1], [9, 1], [9, 1]]
    labels = np.array([0] * 100 + [1] * 5)
    clusters = ClusterState(centres=np.array([[0., 0.], [10., 0.]]), sizes=np.array([103, 2]),
                            assignments=np.array([0] * 103 + [1] * 2))
    np.testing.assert_allclose(calibration_alpha([100, 5]), [1.0, 0.5])
    calib = debias(feats, labels, num_classes=2, clusters=clusters)
    # 3 of the 5 tail samples in cluster 0, 2 in cluster 1: 0.6 * (0, 0) + 0.4 * (10, 0).
    np.testing.assert_allclose(calib.centres[1], [4.0, 0.0])
    np.testing.assert_allclose(calib.alpha, [1.0, 0.5])
    z_tilde = calib.apply(feats, labels)
    np.testing.assert_allclose(z_tilde[100], 0.5 * np.array([1, 1]) + 0.5 * np.array([4, 0]))
    # Head classes stay put.
    np.testing.assert_array_equal(z_tilde[:100], feats[:100])
    path = str(tmp_path / 'calib.npz')
    calib.save(path, clusters)
    loaded = Calibration.load(path)
    np.testing.assert_array_equal(loaded.centres, calib.centres)
    np.testing.assert_array_equal(loaded.alpha, calib.alpha)
    with pytest.raises(FileNotFoundError, match='clustering stage'):
        Calibration.load(str(tmp_path / 'missing.npz'))


def test_clustering_without_scikit_learn_names_the_extra(monkeypatch):
    # scikit-learn is an optional extra: the module imports without it, the clustering says
    # what to install (a None entry in sys.modules makes the import fail).
    monkeypatch.setitem(sys.modules, 'sklearn.cluster', None)
    with pytest.raises(ImportError, match=r'scikit-learn.*pip install "mmrsfm\[deblora\]"'):
        cluster_features(np.zeros((10, 2), np.float32), num_clusters=2)


def test_class_groups_from_thresholds_or_metainfo():
    counts = [1000, 400, 90, 30, 5]
    np.testing.assert_array_equal(class_groups(counts, head_min=300, tail_max=50),
                                  [0, 0, 1, 2, 2])
    np.testing.assert_array_equal(class_groups(counts, groups=dict(head=[0], tail=[3, 4])),
                                  [0, 1, 1, 2, 2])
    with pytest.raises(ValueError, match='tail_max < head_min'):
        class_groups(counts, head_min=10, tail_max=50)


def _biased_long_tail(rng, num_classes=10, dim=16):
    """Gaussian classes, imbalance ratio 50, with the feature bias debLoRA targets: a tail class's
    training features are fitted (compact, close to their own centre) while its unseen features
    drift towards the nearest head class ("tail validation features fall into head regions")."""
    counts = np.round(1000 * (1 / 50)**(np.arange(num_classes) / (num_classes - 1))).astype(int)
    means = rng.randn(num_classes, dim) * 2.0
    head = np.where(counts >= counts.max() / 10)[0]
    nearest_head = {c: head[np.argmin(np.linalg.norm(means[head] - means[c], axis=1))]
                    for c in range(num_classes) if c not in head}

    def sample(per_class, train):
        feats, labels = [], []
        for c, n in enumerate(per_class):
            if c in nearest_head:
                drift, spread = (0.15, 0.5) if train else (0.5, 1.0)
                centre = (1 - drift) * means[c] + drift * means[nearest_head[c]]
                feats.append(centre + rng.randn(n, dim) * spread)
            else:
                feats.append(means[c] + rng.randn(n, dim))
            labels.append(np.full(n, c))
        return np.concatenate(feats), np.concatenate(labels)

    return sample(counts, True), sample([200] * num_classes, False), counts


def test_calibration_raises_tail_f1_of_a_linear_probe():
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    (x_train, y_train), (x_test, y_test), counts = _biased_long_tail(np.random.RandomState(0))
    groups = class_groups(counts, head_min=counts.max() // 10, tail_max=counts.max() // 10 - 1)
    tail = np.where(groups == 2)[0]
    clusters = cluster_features(x_train, num_clusters=32)
    calib = debias(x_train, y_train, len(counts), clusters)
    scores = {}
    for name, feats in (('uncalibrated', x_train), ('calibrated', calib.apply(x_train, y_train))):
        probe = LogisticRegression(max_iter=3000).fit(feats, y_train)
        pred = probe.predict(x_test)
        scores[name] = (100 * f1_score(y_test, pred, labels=tail, average='macro'),
                        100 * f1_score(y_test, pred, average='macro'))
    for name, (tail_f1, macro_f1) in scores.items():
        print(f'linear probe on {name} training features: tail macro-F1 {tail_f1:.1f}, '
              f'overall macro-F1 {macro_f1:.1f}')
    assert scores['calibrated'][0] > scores['uncalibrated'][0] + 5.0
    assert scores['calibrated'][1] > scores['uncalibrated'][1]
