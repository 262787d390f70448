"""mmrsfm.evaluation.multi_source_iou: per-source mIoU and their mean against IoUs computed from
scikit-learn confusion matrices."""
import numpy as np
import pytest
import torch
from sklearn.metrics import confusion_matrix

import mmrsfm.datasets  # noqa: F401  (registers SOTADataset... used by name)
from mmrsfm.datasets.samrs_metainfo import SOTA_CLASSES
from mmrsfm.evaluation import MultiSourceIoUMetric

CLASSES = {'sota': 18, 'sior': 20, 'fast': 37}


def _samples(seed=0):
    rng = np.random.default_rng(seed)
    samples = []
    for source in ['sota', 'fast', 'sior', 'fast', 'sota', 'fast']:
        n = CLASSES[source]
        # Few classes per source so that some have no pixels at all (NaN IoU, skipped).
        gt = rng.integers(0, min(n, 5), size=(1, 16, 16))
        pred = np.where(rng.random(gt.shape) < 0.6, gt, rng.integers(0, min(n, 6), gt.shape))
        gt[:, :4] = 255
        samples.append(dict(source=source, img_path=f'{source}.png',
                            pred_sem_seg=dict(data=torch.from_numpy(pred)),
                            gt_sem_seg=dict(data=torch.from_numpy(gt))))
    return samples


def _sklearn_miou(samples, source):
    gt = np.concatenate([s['gt_sem_seg']['data'].numpy().ravel() for s in samples
                         if s['source'] == source])
    pred = np.concatenate([s['pred_sem_seg']['data'].numpy().ravel() for s in samples
                           if s['source'] == source])
    keep = gt != 255
    cm = confusion_matrix(gt[keep], pred[keep], labels=range(CLASSES[source]))
    inter = np.diag(cm).astype(float)
    union = cm.sum(0) + cm.sum(1) - inter
    with np.errstate(invalid='ignore', divide='ignore'):
        iou = inter / union
    return np.nanmean(iou) * 100, inter.sum() / cm.sum() * 100


def test_per_source_miou_and_mean_match_sklearn():
    samples = _samples()
    metric = MultiSourceIoUMetric(
        source_classes=dict(sota='SOTADataset', sior=20, fast=[f'c{i}' for i in range(37)]))
    assert metric.source_metrics['sota'].dataset_meta['classes'] == SOTA_CLASSES
    metric.process({}, samples)
    results = metric.evaluate(len(samples))
    per_source = []
    for source in CLASSES:
        miou, aacc = _sklearn_miou(samples, source)
        assert results[f'{source}/mIoU'] == pytest.approx(miou, abs=0.006)
        assert results[f'{source}/aAcc'] == pytest.approx(aacc, abs=0.006)
        per_source.append(round(miou, 2))
    assert results['mIoU'] == pytest.approx(np.mean(per_source), abs=0.01)


def test_unknown_source_and_missing_sources():
    metric = MultiSourceIoUMetric(source_classes=dict(sota=18, fast=37))
    with pytest.raises(KeyError, match="'sior' is not one of"):
        metric.process({}, _samples())
    # A source without validation samples is left out of the mean (with a warning).
    metric = MultiSourceIoUMetric(source_classes=dict(sota=18, sior=20))
    sota_only = [s for s in _samples() if s['source'] == 'sota']
    metric.process({}, sota_only)
    results = metric.evaluate(len(sota_only))
    assert 'sior/mIoU' not in results
    assert results['mIoU'] == pytest.approx(results['sota/mIoU'])
    with pytest.raises(KeyError, match='registered mmseg dataset'):
        MultiSourceIoUMetric(source_classes=dict(x='NoSuchDataset'))
