"""The detection debLoRA chain on tiny generated long-tailed DOTA data through the tools
(tools/train.py, tools/deblora/cluster_features.py, export, tools/test.py), and the tiny data."""
import json
import os.path as osp

import numpy as np
import pytest
import torch

from mmrsfm.testing import DOTA_CLASSES
from mmrsfm.testing.deblora_detection import (TINY_TRAIN_COUNTS, run_tiny_detection_chain,
                                              write_long_tailed_dota)


def test_long_tailed_dota_holds_the_requested_counts(tmp_path):
    counts = [3, 0, 1, 5]
    ids = write_long_tailed_dota(str(tmp_path), 'trainval', counts, per_image=2, seed=3)
    assert len(ids) == 5  # 9 objects, 2 an image
    found = [0] * len(counts)
    for img_id in ids:
        assert osp.isfile(tmp_path / 'trainval' / 'images' / f'{img_id}.png')
        for line in (tmp_path / 'trainval' / 'annfiles' / f'{img_id}.txt').read_text().split('\n'):
            if line:
                fields = line.split()
                assert len(fields) == 10 and fields[-1] == '0'
                found[DOTA_CLASSES.index(fields[8])] += 1
    assert found == counts


@pytest.mark.slow
def test_tiny_detection_chain(tmp_path):
    result = run_tiny_detection_chain(str(tmp_path / 'run'))
    out = result['outputs']
    assert [c.split()[0] for c in result['commands']] == [
        'tools/train.py', 'tools/deblora/cluster_features.py', 'tools/train.py',
        'tools/model_converters/export_lora_backbone.py', 'tools/train.py', 'tools/test.py',
        'tools/test.py']

    # Stage 2: one feature per training object; tail classes calibrated with alpha = 2 / ir.
    summary = json.loads(open(osp.splitext(out['calibration'])[0] + '.json').read())
    assert summary['class_counts'] == list(TINY_TRAIN_COUNTS)
    assert summary['num_samples'] == sum(TINY_TRAIN_COUNTS) and summary['feature_dim'] == 32
    tail = sorted(DOTA_CLASSES.index(c) for c in (
        'helicopter', 'basketball-court', 'baseball-diamond', 'roundabout', 'soccer-ball-field',
        'ground-track-field'))
    assert summary['calibrated_classes'] == tail
    expected_alpha = [round(min(1.0, 2 / (12 / n)), 4) if i in tail else 1.0
                      for i, n in enumerate(TINY_TRAIN_COUNTS)]
    assert summary['alpha'] == pytest.approx(expected_alpha)

    # Stage 3 through tools/train.py: the teacher and calibration are those of the init file,
    # untouched by training; g_phi's LoRA trained (lora_up starts at zero in mmpretrain).
    init = torch.load(out['stage3_init'], map_location='cpu')['state_dict']
    stage3 = torch.load(out['stage3'], map_location='cpu')['state_dict']
    for key, value in init.items():
        torch.testing.assert_close(stage3[key], value, rtol=0, atol=0)
    lora_up = [k for k in stage3 if k.startswith('student.') and '.lora_up.' in k]
    assert lora_up and all(stage3[k].abs().sum() > 0 for k in lora_up)
    calib = np.load(out['calibration'])
    np.testing.assert_allclose(init['alpha'].numpy(), calib['calib_alpha'])

    # Stage 4 and the LoRA detector: grouped DOTA mAP on the val split.
    for name in ('LoRA', 'debLoRA'):
        metrics = result['metrics'][name]
        for key in ('dota/mAP', 'dota/head_mAP', 'dota/middle_mAP', 'dota/tail_mAP'):
            assert key in metrics
