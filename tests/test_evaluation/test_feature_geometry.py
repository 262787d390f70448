"""mmrsfm.evaluation.feature_geometry: cosine distances on a hand-computed 2-D example."""
import math

import numpy as np
import pytest

from mmrsfm.evaluation import class_distance_report


def test_distances_by_hand():
    feats = np.array([[1, 0], [1, 0],      # class 0 (head), mean (1, 0)
                      [0, 1], [1, 1],      # class 1 (tail), mean (0.5, 1)
                      [0, -1]], float)     # class 2 (tail), mean (0, -1)
    labels = np.array([0, 0, 1, 1, 2])
    report = class_distance_report(feats, labels, dict(head=[0], middle=[], tail=[1, 2]))
    n1 = math.sqrt(1.25)  # |(0.5, 1)|
    head_tail = ((1 - 0.5 / n1) + (1 - 0.0)) / 2
    tail_tail = 1 - (-1 / n1)
    intra_1 = ((1 - 1 / n1) + (1 - 1.5 / (math.sqrt(2) * n1))) / 2
    assert report['inter_head_tail'] == pytest.approx(head_tail)
    assert report['inter_tail_tail'] == pytest.approx(tail_tail)
    assert report['intra_tail'] == pytest.approx((intra_1 + 0.0) / 2)
    single = class_distance_report(feats[:2], labels[:2], dict(head=[0], tail=[1, 2]))
    assert math.isnan(single['inter_head_tail']) and math.isnan(single['intra_tail'])
