"""Class geometry of a feature space: the inter- and intra-class cosine distances debLoRA reports
to show how far tail classes sit from head classes and how compact they are."""
from __future__ import annotations

from itertools import combinations, product
from typing import Dict, Sequence

import numpy as np


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / np.clip(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12, None)


def class_distance_report(features: np.ndarray, labels: np.ndarray,
                          groups: Dict[str, Sequence[int]]) -> Dict[str, float]:
    """Cosine distances (1 - cos) between class means and within tail classes.

    Args:
        features (np.ndarray): Features (N, C), one row per sample.
        labels (np.ndarray): Class indices (N,).
        groups (dict[str, Sequence[int]]): ``{'head': [...], 'middle': [...], 'tail': [...]}``
            class indices; only ``head`` and ``tail`` are used.

    Returns:
        dict[str, float]: ``inter_head_tail``: mean distance between the means of every
        (head, tail) class pair; ``inter_tail_tail``: mean over pairs of distinct tail
        classes; ``intra_tail``: mean over tail classes of the mean distance of their samples
        to their class mean. Classes without samples are skipped; a quantity with no pair is
        NaN.
    """
    features = np.asarray(features, dtype=np.float64)
    labels = np.asarray(labels)
    present = set(np.unique(labels).tolist())
    means = {c: features[labels == c].mean(0) for c in present}
    head = [c for c in groups.get('head', []) if c in present]
    tail = [c for c in groups.get('tail', []) if c in present]

    def distance(a: np.ndarray, b: np.ndarray) -> float:
        return float(1.0 - _normalise(a) @ _normalise(b))

    def mean_or_nan(values) -> float:
        values = list(values)
        return float(np.mean(values)) if values else float('nan')

    return {
        'inter_head_tail': mean_or_nan(distance(means[h], means[t])
                                       for h, t in product(head, tail)),
        'inter_tail_tail': mean_or_nan(distance(means[a], means[b])
                                       for a, b in combinations(tail, 2)),
        'intra_tail': mean_or_nan(
            float(np.mean(1.0 - _normalise(features[labels == c]) @ _normalise(means[c])))
            for c in tail),
    }
