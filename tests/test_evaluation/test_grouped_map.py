"""GroupedMAPMetric (mmrsfm.evaluation.grouped_map): group mAP = the mean of the group's per-class
APs, checked on detections whose per-class APs are computed by hand, around mmrotate's
DOTAMetric, mmdet's VOCMetric and our DOTAMergedMetric, and built from our DOTA / DIOR configs."""
import math

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope

from mmrsfm.datasets.formats import DOTA_V1_CLASSES
from mmrsfm.evaluation import GroupedMAPMetric
from mmrsfm.evaluation.functional.dota_merge import to_quadrilaterals

CLASSES = ('plane', 'ship', 'harbor', 'helicopter', 'roundabout')
GROUPS = dict(head=['plane', 1], middle=['harbor'], tail=[3, 'roundabout'])
# Ground truth and detections per class, one box per slot x = 100 * slot (well apart):
#   plane (0): 1 gt, 1 hit                         -> AP 1
#   ship (1): 2 gts, a hit (0.9), a miss (0.8)     -> recall 1/2 at precision 1: VOC07 AP 6/11
#             (thresholds 0 .. 0.5), area AP 1/2
#   harbor (2): 1 gt, a miss (0.9), a hit (0.8)    -> precision 1/2 at recall 1: AP 1/2
#   helicopter (3): 1 gt, no detection             -> AP 0
#   roundabout (4): no gt, one detection           -> left out of mAP and of its group
GT = [(0, 0), (1, 1), (1, 2), (2, 3), (3, 4)]  # (class, slot)
DETS = [(0, 0, 0.9), (1, 1, 0.9), (1, 9, 0.8), (2, 8, 0.9), (2, 3, 0.8), (4, 7, 0.5)]


def _rbox(slot):
    return [100.0 * slot + 50, 50.0, 40.0, 20.0, 0.0]


def _hbox(slot):
    return [100.0 * slot + 30, 40.0, 100.0 * slot + 70, 60.0]


def _sample(box, dim):
    return {
        'img_id': 'img0',
        'gt_instances': {'labels': torch.tensor([c for c, _ in GT]),
                         'bboxes': torch.tensor([box(s) for _, s in GT])},
        'ignored_instances': {'labels': torch.zeros(0, dtype=torch.long),
                              'bboxes': torch.zeros(0, dim)},
        'pred_instances': {'labels': torch.tensor([c for c, _, _ in DETS]),
                           'bboxes': torch.tensor([box(s) for _, s, _ in DETS]),
                           'scores': torch.tensor([p for _, _, p in DETS])},
    }


def _evaluate(metric, samples):
    evaluator = Evaluator(metric)
    evaluator.dataset_meta = {'classes': CLASSES}
    evaluator.process(samples)
    return evaluator.evaluate(len(samples))


@pytest.mark.parametrize('inner,box,dim,ship_ap,prefix', [
    # ~45 s on 2 CPU cores: mmrotate's eval_rbbox_map (process pool, rotated IoU ops), run twice
    pytest.param(dict(type='mmrotate.DOTAMetric'), _rbox, 5, 6 / 11, 'dota',
                 marks=pytest.mark.slow),
    (dict(type='mmdet.VOCMetric', iou_thrs=[0.5], eval_mode='area'), _hbox, 4, 1 / 2,
     'pascal_voc'),
    (dict(type='mmdet.VOCMetric', eval_mode='11points'), _hbox, 4, 6 / 11, 'pascal_voc'),
])
def test_group_map_is_mean_of_hand_computed_class_aps(inner, box, dim, ship_ap, prefix):
    result = _evaluate(GroupedMAPMetric(metric=inner, groups=GROUPS), [_sample(box, dim)])
    class_ap = dict(plane=1.0, ship=ship_ap, harbor=0.5, helicopter=0.0)
    for cls, ap in class_ap.items():
        assert result[f'{prefix}/AP_{cls}'] == pytest.approx(ap, abs=1e-6)
    assert f'{prefix}/AP_roundabout' not in result  # no ground truth
    assert result[f'{prefix}/head_mAP'] == pytest.approx((1.0 + ship_ap) / 2, abs=1e-6)
    assert result[f'{prefix}/middle_mAP'] == pytest.approx(0.5, abs=1e-6)
    assert result[f'{prefix}/tail_mAP'] == pytest.approx(0.0, abs=1e-6)
    assert result[f'{prefix}/mAP'] == pytest.approx((1.0 + ship_ap + 0.5) / 4, abs=1e-6)
    # The wrapped metric's own keys are unchanged.
    plain = _evaluate(inner, [_sample(box, dim)])
    for key, value in plain.items():
        assert result[key] == pytest.approx(value)


def test_wraps_dota_merged_metric(tmp_path):
    # Two planes on one image: a hit and a higher-scored miss -> precision 1/2 at recall 1/2,
    # 1 at ... : ranked miss (0.9), hit (0.8), hit (0.7): precision 1/2, 2/3 at recall 1/2, 1;
    # VOC07 AP = 2/3 at every threshold.
    gt = np.array([[cx, 100.0, 30.0, 20.0, 0.2] for cx in (50, 150)])
    (tmp_path / 'P0001.txt').write_text(''.join(
        ' '.join(f'{v:.3f}' for v in quad) + ' plane 0\n' for quad in to_quadrilaterals(gt)))
    sample = {'img_id': 'P0001__1.0__0___0', 'pred_instances': {
        'bboxes': torch.tensor([[300, 300, 30, 20, 0.2], [50, 100, 30, 20, 0.2],
                                [150, 100, 30, 20, 0.2]]),
        'scores': torch.tensor([0.9, 0.8, 0.7]), 'labels': torch.zeros(3, dtype=torch.long)}}
    evaluator = Evaluator(GroupedMAPMetric(
        metric=dict(type='mmrotate.DOTAMergedMetric', ann_dir=str(tmp_path)),
        groups=dict(head=['plane'], tail=['helicopter'])))
    evaluator.dataset_meta = {'classes': DOTA_V1_CLASSES}
    evaluator.process([sample])
    result = evaluator.evaluate(1)
    assert result['dota_full/AP_plane'] == pytest.approx(2 / 3)
    assert result['dota_full/head_mAP'] == pytest.approx(2 / 3)
    assert math.isnan(result['dota_full/tail_mAP'])  # helicopter has no ground truth


@pytest.mark.parametrize('groups,match', [
    (dict(head=['plane'], tail=['boat']), "unknown class 'boat'"),
    (dict(head=['plane', 'ship'], tail=[1]), "'ship' \\(index 1\\) is in groups 'head' and"),
    (dict(head=['plane', 0]), 'twice in group'),
    (dict(head=[9]), 'index 9, outside 0..4'),
])
def test_groups_checked_against_the_classes(groups, match):
    metric = GroupedMAPMetric(metric=dict(type='mmrotate.DOTAMetric'), groups=groups)
    with pytest.raises(ValueError, match=match):
        metric.dataset_meta = {'classes': CLASSES}


@pytest.mark.parametrize('groups,match', [
    (dict(head=['plane'], tail=[]), "group 'tail' is empty"),
    ({}, 'non-empty dict'),
    (dict(head='plane'), 'must be a list'),
    (dict(head=[1.5]), 'holds 1.5'),
])
def test_malformed_groups(groups, match):
    with pytest.raises(ValueError, match=match):
        GroupedMAPMetric(metric=dict(type='mmrotate.DOTAMetric'), groups=groups)


def test_metric_without_ap_is_refused():
    with pytest.raises(ValueError, match='computes no AP'):
        GroupedMAPMetric(metric=dict(type='mmdet.VOCMetric', metric='recall'),
                         groups=dict(head=[0]))
    with pytest.raises(ValueError, match='merge_patches'):
        GroupedMAPMetric(metric=dict(type='mmrotate.DOTAMetric', merge_patches=True),
                         groups=dict(head=[0]))


@pytest.mark.parametrize('config,dataset', [
    ('configs/benchmarks/detection/faster-rcnn_r50_fpn_1x_dior.py', 'mmdet.DIORDataset'),
    ('configs/benchmarks/rotated_detection/oriented-rcnn-le90_r50_fpn_1x_dota.py',
     'mmrotate.DOTADataset'),
    ('configs/benchmarks/rotated_detection/oriented-rcnn-le90_r50_fpn_1x_dior-r.py',
     'mmrotate.DIORDataset'),
])
def test_builds_around_the_evaluator_of_our_configs(config, dataset):
    from mmengine.registry import DATASETS
    cfg = Config.fromfile(config)
    classes = DATASETS.get(dataset).METAINFO['classes']
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        evaluator = Evaluator(dict(type='GroupedMAPMetric', metric=cfg.val_evaluator,
                                   groups=dict(head=[classes[0]], tail=[classes[-1], 1])))
    metric = evaluator.metrics[0]
    assert type(metric.metric).__name__ == cfg.val_evaluator['type']
    evaluator.dataset_meta = {'classes': classes}
    assert metric.class_groups == {'head': [0], 'tail': [len(classes) - 1, 1]}
