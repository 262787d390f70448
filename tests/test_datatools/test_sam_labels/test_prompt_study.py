"""Prompt study: prompts derived from ground truth, and mIoU_I / mIoU_P of SAM's masks computed
independently from segment-anything's single-prompt API."""
import json

import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO
from segment_anything import SamPredictor

from mmrsfm.datatools.sam_labels.coco import build_coco, encode_mask, instance_annotation
from mmrsfm.datatools.sam_labels.prompt_study import (evaluate_prompts, format_table,
                                                      instance_prompts)
from mmrsfm.datatools.sam_labels.sam_labeler import SamBoxLabeler

from .conftest import build_tiny_sam


def test_instance_prompts():
    mask = np.zeros((20, 30), bool)
    mask[5:10, 4:16] = True  # pixels x 4..15, y 5..9 -> continuous box [4, 5, 16, 10]
    ann = dict(bbox=[4, 5, 12, 5])
    prompts = instance_prompts(ann, mask)
    np.testing.assert_allclose(prompts['hbox'], [4, 5, 16, 10])
    np.testing.assert_allclose(prompts['rhbox'], [4, 5, 16, 10], atol=1e-4)
    np.testing.assert_allclose(prompts['point'], [10, 7.5], atol=1e-4)
    ann['rbox'] = [10, 0, 20, 10, 10, 20, 0, 10]
    prompts = instance_prompts(ann, mask)
    np.testing.assert_allclose(prompts['rhbox'], [0, 0, 20, 20])
    np.testing.assert_allclose(prompts['point'], [10, 10])


def test_evaluate_prompts_against_direct_sam(tmp_path):
    rng = np.random.RandomState(1)
    image = rng.randint(0, 255, (48, 64, 3), np.uint8)
    cv2.imwrite(str(tmp_path / 'img.png'), image)
    gts = [np.zeros((48, 64), bool) for _ in range(3)]
    gts[0][5:20, 6:30] = True
    gts[1][25:45, 30:60] = True
    gts[2][30:34, 2:12] = True
    rboxes = [None, [30, 25, 60, 25, 60, 45, 30, 45], None]
    anns = []
    for gt, rbox in zip(gts, rboxes):
        ys, xs = np.nonzero(gt)
        ann = instance_annotation(encode_mask(gt), 0, [xs.min(), ys.min(), xs.max() + 1,
                                                       ys.max() + 1])
        if rbox:
            ann['rbox'] = rbox
        anns.append(ann)
    path = tmp_path / 'gt.json'
    path.write_text(json.dumps(build_coco(
        [dict(file_name='img.png', height=48, width=64, annotations=anns)], ['ship'])))

    results = evaluate_prompts(SamBoxLabeler(build_tiny_sam(), batch_size=2), COCO(str(path)),
                               str(tmp_path), progress=False)

    predictor = SamPredictor(build_tiny_sam())
    predictor.set_image(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    for prompt in ('hbox', 'rhbox', 'point'):
        inters, unions = [], []
        for ann, gt in zip(anns, gts):
            p = instance_prompts(ann, gt)[prompt]
            if prompt == 'point':
                pred = predictor.predict(point_coords=p[None], point_labels=np.array([1]),
                                         multimask_output=False)[0][0]
            else:
                pred = predictor.predict(box=p, multimask_output=False)[0][0]
            inters.append(np.logical_and(pred, gt).sum())
            unions.append(np.logical_or(pred, gt).sum())
        inters, unions = np.array(inters, float), np.array(unions, float)
        assert results[prompt]['mIoU_I'] == pytest.approx(100 * np.mean(inters / unions))
        assert results[prompt]['mIoU_P'] == pytest.approx(100 * inters.sum() / unions.sum())
        assert results[prompt]['num_instances'] == 3
    table = format_table(results)
    assert table.splitlines()[1].startswith('H-Box') and len(table.splitlines()) == 4
