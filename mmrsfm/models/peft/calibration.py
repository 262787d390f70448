"""debLoRA's feature de-biasing: clustering, de-biased class centres and calibration.

Notation (debLoRA, NeurIPS 2024): ``N`` training features ``z_i`` of dimension ``C`` with labels
``y_i``; ``K`` clusters with centres ``mu_k`` and sizes ``n_k``; ``n_c`` samples of class ``c``,
``n_k^c`` of them in cluster ``k``.

* clusters respect a minimum size ``n_k >= N / (K * rho)``; smaller clusters are dissolved into
  the nearest remaining centre;
* de-biased centre of a tail class ``mu_hat_c = sum_k (n_k^c / n_c) mu_k``;
* calibration ``z_tilde = alpha_c z + (1 - alpha_c) mu_hat_c`` with
  ``alpha_c = min(1, 10 / ir_c)``, ``ir_c = n_max / n_c``: head classes stay put.

The clustering runs offline (stage 2, ``tools/deblora/cluster_features.py``) and needs
scikit-learn, an optional dependency (``pip install "mmrsfm[deblora]"``) imported only when
:func:`cluster_features` runs; the rest of this module needs numpy only.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from typing import Dict, Optional, Sequence

import numpy as np

from mmrsfm.utils import atomic_write_bytes
from mmrsfm.utils.extras import import_from_extra

#: Names of the class groups, in the order of the indices :func:`class_groups` returns.
GROUPS = ('head', 'middle', 'tail')


@dataclass
class ClusterState:
    """Result of :func:`cluster_features`.

    Attributes:
        centres (np.ndarray): (K', C) centres of the clusters kept (K' <= K).
        sizes (np.ndarray): (K',) number of training features in each cluster.
        assignments (np.ndarray): (N,) cluster index of every training feature.
    """
    centres: np.ndarray
    sizes: np.ndarray
    assignments: np.ndarray


def min_cluster_size(num_samples: int, num_clusters: int, rho: float) -> int:
    """The smallest admissible cluster, ``ceil(N / (K * rho))``.

    Args:
        num_samples (int): ``N``, the number of clustered features.
        num_clusters (int): ``K``, the number of clusters asked for.
        rho (float): Cluster-size ratio ``rho`` (> 0).

    Returns:
        int: The minimum number of features a kept cluster must hold.

    Raises:
        ValueError: ``num_clusters < 1`` or ``rho <= 0``.
    """
    if num_clusters < 1 or rho <= 0:
        raise ValueError(f'need num_clusters >= 1 and rho > 0, got {num_clusters}, {rho}')
    return int(np.ceil(num_samples / (num_clusters * rho)))


def cluster_features(features: np.ndarray,
                     num_clusters: int = 32,
                     rho: float = 2.0,
                     method: str = 'kmeans',
                     batch_size: int = 4096,
                     dbscan_eps: float = 0.5,
                     seed: int = 0) -> ClusterState:
    """Cluster ``features`` (N, C) and enforce the minimum-size rule.

    ``kmeans`` uses scikit-learn's ``MiniBatchKMeans`` (memory bounded by ``batch_size``; a
    million 768-d features cluster on a CPU); ``dbscan`` uses ``DBSCAN`` (noise points are then
    assigned to the nearest cluster, and ``num_clusters`` only sets the size rule).

    Args:
        features (np.ndarray): (N, C) features to cluster.
        num_clusters (int): ``K`` of k-means and of the size rule. Defaults to 32.
        rho (float): Minimum cluster size ``N / (K * rho)``. Defaults to 2.0.
        method (str): ``'kmeans'`` or ``'dbscan'``. Defaults to ``'kmeans'``.
        batch_size (int): Mini-batch size of k-means. Defaults to 4096.
        dbscan_eps (float): ``eps`` of DBSCAN. Defaults to 0.5.
        seed (int): ``random_state`` of k-means: the same features and seed give the same
            clusters (DBSCAN is deterministic). Defaults to 0.

    Returns:
        ClusterState: Centres, sizes and assignments of the clusters kept.

    Raises:
        MissingExtraError: scikit-learn is not installed (an ``ImportError`` that names
            ``pip install "mmrsfm[deblora]"``).
        ValueError: ``features`` is not (N, C) with ``N >= num_clusters``, ``method`` is
            unknown, or DBSCAN found no cluster.
    """
    sk_cluster = import_from_extra('sklearn.cluster', 'deblora', 'debLoRA feature clustering')

    features = np.asarray(features, dtype=np.float32)
    if features.ndim != 2 or len(features) < num_clusters:
        raise ValueError(f'need (N, C) features with N >= num_clusters={num_clusters}, '
                         f'got shape {features.shape}')
    if method == 'kmeans':
        km = sk_cluster.MiniBatchKMeans(n_clusters=num_clusters, batch_size=batch_size,
                                        random_state=seed, n_init=3).fit(features)
        labels = km.labels_.astype(np.int64)
    elif method == 'dbscan':
        labels = sk_cluster.DBSCAN(eps=dbscan_eps).fit_predict(features).astype(np.int64)
        if (labels < 0).all():
            raise ValueError(f'DBSCAN with eps={dbscan_eps} found no cluster; increase eps')
    else:
        raise ValueError(f"method must be 'kmeans' or 'dbscan', got {method!r}")
    return _enforce_min_size(features, labels, min_cluster_size(len(features), num_clusters, rho))


def _enforce_min_size(features: np.ndarray, labels: np.ndarray, min_size: int) -> ClusterState:
    """Dissolve clusters below ``min_size`` (and DBSCAN noise, label -1) into the nearest kept one.

    Clusters are dissolved smallest first, one at a time, recomputing centres, until every kept
    cluster has at least ``min_size`` members (the largest cluster is always kept).
    """
    labels = labels.copy()
    while True:
        ids, counts = np.unique(labels[labels >= 0], return_counts=True)
        if len(ids) > 1 and counts.min() < min_size:
            labels[labels == ids[np.argmin(counts)]] = -1
        orphan = labels < 0
        if not orphan.any():
            break
        kept = np.unique(labels[~orphan])
        centres = np.stack([features[labels == k].mean(0) for k in kept])
        labels[orphan] = kept[_nearest(features[orphan], centres)]
    ids = np.unique(labels)
    assignments = np.searchsorted(ids, labels).astype(np.int64)
    centres = np.stack([features[assignments == k].mean(0) for k in range(len(ids))])
    sizes = np.bincount(assignments, minlength=len(ids))
    return ClusterState(centres=centres, sizes=sizes, assignments=assignments)


def _nearest(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index (P,) of the nearest of ``centres`` (K, C) to each of ``points`` (P, C)."""
    d = (points**2).sum(1, keepdims=True) - 2 * points @ centres.T + (centres**2).sum(1)
    return d.argmin(1)


def calibration_alpha(class_counts: Sequence[int], scale: float = 10.0) -> np.ndarray:
    """Calibration weights ``alpha_c = min(1, scale / ir_c)`` with ``ir_c = n_max / n_c``.

    Args:
        class_counts (Sequence[int]): Training samples of each class, (num_classes,).
        scale (float): Imbalance ratio up to which a class keeps ``alpha = 1``.
            Defaults to 10.0.

    Returns:
        np.ndarray: (num_classes,) float64 weights in (0, 1].

    Raises:
        ValueError: A class has no training sample.
    """
    counts = np.asarray(class_counts, dtype=np.float64)
    if (counts <= 0).any():
        raise ValueError(f'every class needs at least one training sample, got counts {counts}')
    return np.minimum(1.0, scale / (counts.max() / counts))


def class_groups(class_counts: Sequence[int],
                 head_min: Optional[int] = None,
                 tail_max: Optional[int] = None,
                 groups: Optional[Dict[str, Sequence[int]]] = None) -> np.ndarray:
    """Group of every class: 0 head, 1 middle, 2 tail (names in :data:`GROUPS`).

    Either ``groups`` (e.g. a dataset's metainfo: ``{'head': [...], 'tail': [...]}``, other
    classes middle) or count thresholds: ``n_c >= head_min`` head, ``n_c <= tail_max`` tail.

    Args:
        class_counts (Sequence[int]): Training samples of each class, (num_classes,).
        head_min (int, optional): Classes with at least this many samples are head.
            Defaults to None.
        tail_max (int, optional): Classes with at most this many samples are tail.
            Defaults to None.
        groups (dict[str, Sequence[int]], optional): Class indices of each group; takes
            precedence over the thresholds. Defaults to None.

    Returns:
        np.ndarray: (num_classes,) int64 group index of every class.

    Raises:
        ValueError: An unknown group name, or neither ``groups`` nor thresholds with
            ``tail_max < head_min``.
    """
    counts = np.asarray(class_counts)
    out = np.ones(len(counts), dtype=np.int64)
    if groups is not None:
        unknown = set(groups) - set(GROUPS)
        if unknown:
            raise ValueError(f'unknown class groups {sorted(unknown)}; use {GROUPS}')
        for index, name in enumerate(GROUPS):
            out[np.asarray(groups.get(name, []), dtype=np.int64)] = index
        return out
    if head_min is None or tail_max is None or tail_max >= head_min:
        raise ValueError('give groups, or thresholds with tail_max < head_min, '
                         f'got head_min={head_min}, tail_max={tail_max}')
    out[counts >= head_min] = 0
    out[counts <= tail_max] = 2
    return out


@dataclass
class Calibration:
    """Per-class calibration targets.

    Attributes:
        centres (np.ndarray): (num_classes, C) de-biased centres ``mu_hat_c`` (rows of
            non-calibrated classes hold the class mean and are unused since their alpha is 1).
        alpha (np.ndarray): (num_classes,) weights of the original feature.
    """
    centres: np.ndarray
    alpha: np.ndarray

    def apply(self, features: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Calibrated features ``z_tilde = alpha_y z + (1 - alpha_y) mu_hat_y``.

        Args:
            features (np.ndarray): (N, C) features ``z``.
            labels (np.ndarray): (N,) their class indices ``y``.

        Returns:
            np.ndarray: (N, C) calibrated features.
        """
        a = self.alpha[labels][:, None]
        return a * features + (1.0 - a) * self.centres[labels]

    def save(self, path: str, clusters: Optional[ClusterState] = None) -> None:
        """Write the calibration (and the clustering it came from) atomically to ``path``.

        Args:
            path (str): ``.npz`` file to write (arrays ``calib_centres``, ``calib_alpha`` and,
                with ``clusters``, ``cluster_centres``, ``cluster_sizes``,
                ``cluster_assignments``).
            clusters (ClusterState, optional): The clustering to record beside it.
                Defaults to None.
        """
        arrays = dict(calib_centres=self.centres, calib_alpha=self.alpha)
        if clusters is not None:
            arrays.update(cluster_centres=clusters.centres, cluster_sizes=clusters.sizes,
                          cluster_assignments=clusters.assignments)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        atomic_write_bytes(path, buffer.getvalue())

    @classmethod
    def load(cls, path: str) -> 'Calibration':
        """Read a calibration written by :meth:`save`.

        Args:
            path (str): The ``.npz`` file.

        Returns:
            Calibration: Its centres and alphas.

        Raises:
            FileNotFoundError: ``path`` does not exist.
            ValueError: ``path`` lacks ``calib_centres`` or ``calib_alpha``.
        """
        if not os.path.isfile(path):
            raise FileNotFoundError(f'calibration file {path} does not exist; run the '
                                    'clustering stage first')
        with np.load(path) as data:
            missing = {'calib_centres', 'calib_alpha'} - set(data.files)
            if missing:
                raise ValueError(f'{path}: not a debLoRA calibration file (missing {missing})')
            return cls(centres=data['calib_centres'], alpha=data['calib_alpha'])


def debias(features: np.ndarray,
           labels: np.ndarray,
           num_classes: int,
           clusters: ClusterState,
           calibrate: Optional[np.ndarray] = None,
           scale: float = 10.0) -> Calibration:
    """De-biased centres and alphas from the clustered training features.

    Args:
        features (np.ndarray): (N, C) training features.
        labels (np.ndarray): (N,) their class indices.
        num_classes (int): Number of classes (rows of the result).
        clusters (ClusterState): The clustering of ``features``.
        calibrate (np.ndarray, optional): (num_classes,) bool mask of the classes that get a
            de-biased centre (the tail classes, per the method). Defaults to None (every class
            with ``alpha < 1``).
        scale (float): ``scale`` of :func:`calibration_alpha`. Defaults to 10.0.

    Returns:
        Calibration: Centres (num_classes, C) and alphas (num_classes,), float32; classes
        not calibrated get their class mean and ``alpha = 1``.
    """
    labels = np.asarray(labels, dtype=np.int64)
    counts = np.bincount(labels, minlength=num_classes)
    alpha = calibration_alpha(counts, scale)
    if calibrate is None:
        calibrate = alpha < 1.0
    calibrate = np.asarray(calibrate, dtype=bool)
    centres = np.zeros((num_classes, features.shape[1]), dtype=np.float64)
    for c in range(num_classes):
        members = labels == c
        if calibrate[c]:
            # w_k = n_k^c / n_c: the share of class c's samples that fall in cluster k.
            weights = np.bincount(clusters.assignments[members],
                                  minlength=len(clusters.centres)) / members.sum()
            centres[c] = weights @ clusters.centres
        else:
            centres[c] = features[members].mean(0)
    alpha = np.where(calibrate, alpha, 1.0)
    return Calibration(centres=centres.astype(np.float32), alpha=alpha.astype(np.float32))
