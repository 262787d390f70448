"""DOTA task-1 evaluation of merged full-image detections against the official devkit's
``voc_eval`` (dotadevkit, polygon IoU from its polyiou extension) on a synthetic set with
jittered boxes, false positives, duplicates, missed and difficult objects."""
import os.path as osp

import cv2
import numpy as np
import pytest
from dotadevkit.evaluate.task1 import voc_eval
from dotadevkit.polyiou import polyiou

from mmrsfm.evaluation.functional import merge_patch_detections, write_task1_files
from mmrsfm.evaluation.functional.dota_eval import (eval_dota_task1, load_dota_ground_truth,
                                                    load_task1_detections, polygon_ious)

CLASSES = ('plane', 'ship', 'harbor')


def _rect(rng, cx, cy):
    w, h = rng.uniform(20, 60, size=2)
    return cv2.boxPoints(((cx, cy), (float(w), float(h)), float(rng.uniform(0, 180))))


def _write_synthetic_set(root, rng):
    """Ground truth of 5 images (one holding only a difficult object) and imperfect
    detections, written as labelTxt files and Task1 files."""
    gt_dir = osp.join(root, 'labelTxt')
    det_dir = osp.join(root, 'dets')
    import os
    os.makedirs(gt_dir)
    os.makedirs(det_dir)
    dets = {c: [] for c in CLASSES}
    names = []
    for i in range(5):
        name = f'P{i:04d}'
        names.append(name)
        lines = ['imagesource:GoogleEarth', 'gsd:0.3']
        grid = [(x, y) for x in range(60, 600, 110) for y in range(60, 500, 110)]
        rng.shuffle(grid)
        count = 1 if i == 4 else int(rng.randint(6, 12))
        for k, (cx, cy) in enumerate(grid[:count]):
            cls = CLASSES[int(rng.randint(len(CLASSES)))]
            difficult = 1 if (i == 4 or rng.rand() < 0.15) else 0
            poly = _rect(rng, float(cx), float(cy))
            lines.append(' '.join(f'{v:.1f}' for v in poly.ravel()) + f' {cls} {difficult}')
            if rng.rand() < 0.2 and i != 4:
                continue  # missed object
            jitter = rng.choice([1.0, 3.0, 12.0])  # some fall below IoU 0.5
            det = poly + rng.normal(0, jitter, size=poly.shape)
            dets[cls].append((name, rng.rand(), det))
            if rng.rand() < 0.15:  # duplicate detection of the same object
                dets[cls].append((name, rng.rand(), poly + rng.normal(0, 1.0, poly.shape)))
        for _ in range(int(rng.randint(1, 4))):  # false positives in empty places
            cls = CLASSES[int(rng.randint(len(CLASSES)))]
            cx, cy = grid[-1 - _]
            dets[cls].append((name, rng.rand(), _rect(rng, float(cx), float(cy))))
        with open(osp.join(gt_dir, f'{name}.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
    for cls, items in dets.items():
        with open(osp.join(det_dir, f'Task1_{cls}.txt'), 'w') as f:
            for name, score, poly in items:
                coords = ' '.join(f'{v:.2f}' for v in poly.ravel())
                f.write(f'{name} {score:.6f} {coords}\n')
    with open(osp.join(root, 'imageset.txt'), 'w') as f:
        f.write('\n'.join(names) + '\n')
    return gt_dir, det_dir


@pytest.mark.parametrize('use_07_metric', [True, False])
def test_matches_devkit_voc_eval(tmp_path, use_07_metric):
    gt_dir, det_dir = _write_synthetic_set(str(tmp_path), np.random.RandomState(0))
    ours = eval_dota_task1(load_task1_detections(det_dir, CLASSES),
                           load_dota_ground_truth(gt_dir, CLASSES), CLASSES,
                           iou_thr=0.5, use_07_metric=use_07_metric)
    reference = {}
    for cls in CLASSES:
        # The devkit's task-1 settings: ovthresh=0.5, use_07_metric=True (its evaluate()).
        _, _, ap = voc_eval(osp.join(det_dir, 'Task1_{:s}.txt'), osp.join(gt_dir, '{:s}.txt'),
                            str(tmp_path / 'imageset.txt'), cls, ovthresh=0.5,
                            use_07_metric=use_07_metric)
        reference[cls] = ap
    assert set(ours['AP']) == set(CLASSES)
    for cls in CLASSES:
        assert ours['AP'][cls] == pytest.approx(reference[cls], abs=1e-6), cls
    assert ours['mAP'] == pytest.approx(np.mean(list(reference.values())), abs=1e-6)
    # The set is imperfect enough for the comparison to mean something.
    assert 0.2 < ours['mAP'] < 0.95


def test_polygon_iou_matches_devkit_polyiou():
    rng = np.random.RandomState(2)
    quads = [[96, 77, 119, 86, 104, 123, 81, 114], [101, 81, 119, 87, 101, 117, 80, 114]]
    for _ in range(20):
        poly = _rect(rng, 100.0, 100.0)
        quads.append((poly + rng.normal(0, 3, poly.shape)).ravel().tolist())
    quads = np.array(quads, dtype=np.float64)
    ours = polygon_ious(quads, quads)
    for i in range(len(quads)):
        for j in range(len(quads)):
            ref = polyiou.iou_poly(polyiou.VectorDouble(quads[i].tolist()),
                                   polyiou.VectorDouble(quads[j].tolist()))
            assert ours[i, j] == pytest.approx(ref, abs=1e-9)
    # A pair where mmcv's CPU box_iou_quadri of this build returns 1.0002.
    assert ours[0, 1] == pytest.approx(0.70725, abs=1e-4)


def test_merged_patch_detections_score_perfectly_on_their_ground_truth(tmp_path):
    rng = np.random.RandomState(1)
    gt_dir = tmp_path / 'labelTxt'
    gt_dir.mkdir()
    polys = [_rect(rng, float(x), float(y)) for x, y in ((80, 90), (300, 120), (520, 400))]
    gt_dir.joinpath('P0100.txt').write_text(''.join(
        ' '.join(f'{v:.2f}' for v in p.ravel()) + f' {c} 0\n' for p, c in zip(polys, CLASSES)))
    # Each object seen by two overlapping patches (offsets 0 and 256) at rate 0.5.
    patches = []
    for x0 in (0, 256):
        keep = [k for k, p in enumerate(polys) if (p * 0.5).min() >= x0 and
                (p * 0.5)[:, 0].max() <= x0 + 300]
        boxes = np.array([(polys[k] * 0.5 - [x0, 0]).ravel() for k in keep]).reshape(-1, 8)
        patches.append((f'P0100__0.5__{x0}___0', boxes, np.full(len(keep), 0.8),
                        np.array(keep, dtype=np.int64)))
    merged = merge_patch_detections(patches, len(CLASSES))
    write_task1_files(merged, CLASSES, str(tmp_path / 'dets'))
    result = eval_dota_task1(load_task1_detections(str(tmp_path / 'dets'), CLASSES),
                             load_dota_ground_truth(str(gt_dir), CLASSES), CLASSES)
    assert result['mAP'] == pytest.approx(1.0)
    assert result['num_gts'] == {c: 1 for c in CLASSES}


def test_detections_on_unknown_images_are_refused(tmp_path):
    gt_dir = tmp_path / 'labelTxt'
    gt_dir.mkdir()
    gt_dir.joinpath('P0001.txt').write_text('0 0 10 0 10 10 0 10 plane 0\n')
    dets = {'P9999': [np.zeros((1, 9)), np.zeros((0, 9)), np.zeros((0, 9))]}
    with pytest.raises(ValueError, match='P9999'):
        eval_dota_task1(dets, load_dota_ground_truth(str(gt_dir), CLASSES), CLASSES)
    (tmp_path / 'Task1_plane.txt').write_text('P0001 0.5 1 2 3\n')
    with pytest.raises(ValueError, match=r'Task1_plane\.txt:1: expected'):
        load_task1_detections(str(tmp_path), CLASSES)
