"""DOTAMergedMetric: patch detections (two scales, overlapping patches) merged to the full
image and scored against its label file, checked against a hand-computed VOC07 AP."""
import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator

from mmrsfm.datasets.formats import DOTA_V1_CLASSES
from mmrsfm.evaluation.dota_merged_metric import DOTAMergedMetric
from mmrsfm.evaluation.functional.dota_merge import to_quadrilaterals


def _sample(name, boxes, scores):
    return {'img_id': name, 'pred_instances': {
        'bboxes': torch.tensor(boxes, dtype=torch.float32).reshape(-1, 5),
        'scores': torch.tensor(scores, dtype=torch.float32),
        'labels': torch.zeros(len(scores), dtype=torch.long)}}  # class 0: plane


def test_merged_metric_against_hand_computed_ap(tmp_path):
    # Four planes on a 400 x 300 image.
    gt = np.array([[cx, 100.0, 30.0, 20.0, 0.2] for cx in (50, 150, 250, 350)])
    (tmp_path / 'P0005.txt').write_text('imagesource:GoogleEarth\ngsd:0.5\n' + ''.join(
        ' '.join(f'{v:.3f}' for v in quad) + ' plane 0\n' for quad in to_quadrilaterals(gt)))
    samples = [
        # patch at x = 0, scale 1: planes 1 and 2
        _sample('P0005__1.0__0___0', [[50, 100, 30, 20, 0.2], [150, 100, 30, 20, 0.2]],
                [0.9, 0.8]),
        # patch at x = 120: plane 2 again (a duplicate NMS must remove), plane 3, and a false
        # positive with the highest score
        _sample('P0005__1.0__120___0', [[30.5, 100, 30, 20, 0.2], [130, 100, 30, 20, 0.2],
                                        [60, 250, 30, 20, 0.0]], [0.7, 0.6, 0.95]),
        # patch of the half-scale image at x = 100: plane 4
        _sample('P0005__0.5__100___0', [[75, 50, 15, 10, 0.2]], [0.5]),
    ]
    evaluator = Evaluator(DOTAMergedMetric(ann_dir=str(tmp_path), outfile_prefix=str(
        tmp_path / 'Task1')))
    evaluator.dataset_meta = {'classes': DOTA_V1_CLASSES}
    evaluator.process(samples)
    metrics = evaluator.evaluate(len(samples))
    # Ranked: FP (0.95), TP, TP, TP, TP -> precision 1/2, 2/3, 3/4, 4/5 at recall
    # 1/4 .. 1; every 11-point threshold sees precision 0.8. A kept duplicate or a scale not
    # undone would lower it.
    assert metrics['dota_full/mAP'] == pytest.approx(0.8)
    assert metrics['dota_full/AP_plane'] == pytest.approx(0.8)
    assert 'dota_full/AP_ship' not in metrics  # no ground truth: left out of the mAP
    lines = (tmp_path / 'Task1' / 'Task1_plane.txt').read_text().splitlines()
    assert len(lines) == 5 and all(line.startswith('P0005 ') for line in lines)
