"""SAMRS fine-tuning data (configs/samrs/_base_/datasets/{potsdam,isaid}_samrs.py): patches made
by our converters with ``--protocol samrs`` from release-format data, read by the real mmseg
datasets and pipelines of the configs, scored by the configs' real evaluator; OA / mF1 and mIoU
are checked against scikit-learn on the non-ignored pixels of the label PNGs read by hand."""
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from sklearn.metrics import accuracy_score, f1_score, jaccard_score

from mmrsfm.testing.rs_formats import write_isaid_release, write_potsdam_release
from tests.conftest import REPO_ROOT
from tests.test_tools.test_dataset_converters import load_tool

BASES = osp.join(REPO_ROOT, 'configs', 'samrs', '_base_', 'datasets')


def _score(cfg, root, num_classes, seed=0):
    """Raw label PNGs, and the evaluator's metrics for random predictions on the val set."""
    from mmseg.registry import DATASETS, METRICS
    init_default_scope('mmseg')
    cfg.val_dataloader.dataset.data_root = root
    dataset = DATASETS.build(cfg.val_dataloader.dataset)
    metric = METRICS.build(cfg.val_evaluator)
    metric.dataset_meta = dataset.metainfo
    rng = np.random.RandomState(seed)
    raws, preds = [], []
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        gt = sample.gt_sem_seg.data
        pred = torch.from_numpy(rng.randint(0, num_classes, gt.shape[1:])).long()[None]
        metric.process([], [dict(pred_sem_seg=dict(data=pred), gt_sem_seg=dict(data=gt))])
        raws.append(mmcv.imread(sample.seg_map_path, flag='unchanged', backend='pillow'))
        preds.append(pred[0].numpy())
    return dataset, metric.evaluate(len(dataset)), np.concatenate(
        [r.ravel() for r in raws]), np.concatenate([p.ravel() for p in preds])


def test_potsdam_samrs_oa_and_mf1_against_sklearn(tmp_path):
    write_potsdam_release(str(tmp_path / 'raw'), tiles=('2_10', '2_13'), size=64)
    root = str(tmp_path / 'potsdam_samrs')
    load_tool('potsdam').main([str(tmp_path / 'raw'), root, '--protocol', 'samrs', '--size',
                               '32', '--stride', '16'])
    cfg = Config.fromfile(osp.join(BASES, 'potsdam_samrs.py'))
    dataset, metrics, raw, pred = _score(cfg, root, num_classes=5)
    assert len(dataset) == 9  # one 64 px val tile, 32 px windows every 16 px: 3 x 3
    assert dataset.metainfo['classes'] == (
        'impervious_surface', 'building', 'low_vegetation', 'tree', 'car')
    # Converter wrote clutter (6) as 255; boundary (0) is ignored by reduce_zero_label.
    assert not (raw == 6).any() and (raw == 255).any() and (raw == 0).any()
    valid = (raw >= 1) & (raw <= 5)
    y_true, y_pred = raw[valid].astype(int) - 1, pred[valid]
    assert len(np.unique(y_true)) == 5
    # mmseg rounds its percentages to 2 decimals.
    assert metrics['aAcc'] == pytest.approx(100 * accuracy_score(y_true, y_pred), abs=0.006)
    assert metrics['mFscore'] == pytest.approx(
        100 * f1_score(y_true, y_pred, average='macro', labels=range(5)), abs=0.006)


def test_potsdam_samrs_config_also_ignores_clutter_of_mmseg_patches(tmp_path):
    # Patches of the default (mmseg) protocol keep clutter = 6: the 5-class metainfo maps it
    # to 255 through mmseg's label_map.
    write_potsdam_release(str(tmp_path / 'raw'), tiles=('2_13', ), size=32)
    root = str(tmp_path / 'potsdam')
    load_tool('potsdam').main([str(tmp_path / 'raw'), root, '--size', '32', '--stride', '32'])
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    cfg = Config.fromfile(osp.join(BASES, 'potsdam_samrs.py'))
    cfg.val_dataloader.dataset.data_root = root
    sample = DATASETS.build(cfg.val_dataloader.dataset)[0]['data_samples']
    raw = mmcv.imread(sample.seg_map_path, flag='unchanged', backend='pillow').astype(int)
    assert (raw == 6).any()
    expected = np.where((raw == 0) | (raw == 6), 255, raw - 1)
    np.testing.assert_array_equal(sample.gt_sem_seg.data[0].numpy(), expected)


@pytest.mark.parametrize('protocol', ['samrs', 'mmseg'])
def test_isaid_samrs_miou_over_the_15_foreground_classes(tmp_path, protocol):
    labels = write_isaid_release(str(tmp_path / 'raw'), {'train': 1, 'val': 2}, size=(64, 96),
                                 seed=3)
    root = str(tmp_path / 'iSAID')
    load_tool('isaid').main([str(tmp_path / 'raw'), root, '--protocol', protocol, '--size',
                             '48', '--overlap', '16'])
    cfg = Config.fromfile(osp.join(BASES, 'isaid_samrs.py'))
    dataset, metrics, raw, pred = _score(cfg, root, num_classes=15, seed=1)
    from mmseg.datasets import iSAIDDataset
    assert dataset.metainfo['classes'] == iSAIDDataset.METAINFO['classes'][1:]
    drawn = np.concatenate([v.ravel() for v in labels['val'].values()])
    assert (drawn == 0).any()
    # The label PNG holds 255 for background (samrs) or 0 (mmseg); either way it is ignored.
    assert ((raw == 0).any()) == (protocol == 'mmseg')
    valid = (raw >= 1) & (raw <= 15)
    y_true, y_pred = raw[valid].astype(int) - 1, pred[valid]
    assert len(np.unique(y_true)) == 15
    assert metrics['mIoU'] == pytest.approx(
        100 * jaccard_score(y_true, y_pred, average='macro', labels=range(15)), abs=0.006)
