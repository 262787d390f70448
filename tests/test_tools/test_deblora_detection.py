"""The detection debLoRA chain on tiny generated long-tailed DOTA data through the tools
(tools/train.py, tools/deblora/cluster_features.py, export, tools/test.py), and the tiny data."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from mmrsfm.testing import DOTA_CLASSES
from mmrsfm.testing.deblora_detection import (TINY_DETECTION_CONFIGS, TINY_TRAIN_COUNTS,
                                              run_tiny_detection_chain, write_long_tailed_dota)


def test_long_tailed_dota_holds_the_requested_counts(tmp_path):
    """Every requested object is written once, ``per_image`` to an image.

    Args:
        tmp_path (pathlib.Path): pytest's temporary folder.
    """
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


def _pipeline_shaped_vit(path):
    """A random ViT of the pipeline's SelectiveMAE shape (not the configs' 32-wide, 4-block,
    64 px one) saved with backbone.* keys; its state dict."""
    from mmpretrain.models import VisionTransformer
    torch.manual_seed(7)
    vit = VisionTransformer(
        arch=dict(embed_dims=64, num_layers=2, num_heads=2, feedforward_channels=128),
        img_size=32, patch_size=8, out_type='featmap', final_norm=False)
    state = {k: v.clone() for k, v in vit.state_dict().items()}
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in state.items()}}, path)
    return state


@pytest.mark.slow
def test_tiny_detection_chain(tmp_path):
    """Stages 1-4 through the tools from a given ViT checkpoint of another shape.

    Args:
        tmp_path (pathlib.Path): pytest's temporary folder.
    """
    # The foundation model is a given checkpoint of another architecture than the configs'.
    vit = _pipeline_shaped_vit(str(tmp_path / 'vit.pth'))
    result = run_tiny_detection_chain(str(tmp_path / 'run'), pretrained=str(tmp_path / 'vit.pth'))
    out = result['outputs']
    assert out['vit_init'] == str(tmp_path / 'vit.pth')
    assert not osp.exists(tmp_path / 'run' / 'vit-tiny-init.pth')
    assert [c.split()[0] for c in result['commands']] == [
        'tools/train.py', 'tools/deblora/cluster_features.py', 'tools/train.py',
        'tools/model_converters/export_lora_backbone.py', 'tools/train.py', 'tools/test.py',
        'tools/test.py']

    # Stage 2: one feature per training object; tail classes calibrated with alpha = 2 / ir.
    summary = json.loads(open(osp.splitext(out['calibration'])[0] + '.json').read())
    assert summary['class_counts'] == list(TINY_TRAIN_COUNTS)
    assert summary['num_samples'] == sum(TINY_TRAIN_COUNTS) and summary['feature_dim'] == 64
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

    # The teacher is the given checkpoint: same weights where LoRA does not touch them, the qkv
    # its weight plus the stage-1 LoRA product, and its 4 x 4 pos_embed grid resized
    # (bicubic, the class token kept) to the 8 x 8 of 64 px images.
    torch.testing.assert_close(init['teacher.patch_embed.projection.weight'],
                               vit['patch_embed.projection.weight'], rtol=0, atol=0)
    torch.testing.assert_close(init['teacher.layers.1.ffn.layers.1.weight'],
                               vit['layers.1.ffn.layers.1.weight'], rtol=0, atol=0)
    # (mmpretrain's LoRAModel saves its LoRA weights only.)
    stage1 = torch.load(out['stage1'], map_location='cpu')['state_dict']
    qkv = 'backbone.module.layers.1.attn.qkv.'
    lora_cfg = Config.fromfile(TINY_DETECTION_CONFIGS['lora']).model.backbone
    delta = stage1[qkv + 'lora_up.weight'] @ stage1[qkv + 'lora_down.weight']
    assert delta.abs().sum() > 0
    torch.testing.assert_close(init['teacher.layers.1.attn.qkv.weight'],
                               vit['layers.1.attn.qkv.weight']
                               + delta * lora_cfg.alpha / lora_cfg.rank)
    grid = vit['pos_embed'][:, 1:].reshape(1, 4, 4, 64).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=(8, 8), mode='bicubic', align_corners=False)
    expected_pos = torch.cat([vit['pos_embed'][:, :1], grid.flatten(2).transpose(1, 2)], dim=1)
    assert init['teacher.pos_embed'].shape == (1, 65, 64)
    torch.testing.assert_close(init['teacher.pos_embed'], expected_pos)

    # Stage 4 and the LoRA detector: grouped DOTA mAP on the val split.
    for name in ('LoRA', 'debLoRA'):
        metrics = result['metrics'][name]
        for key in ('dota/mAP', 'dota/head_mAP', 'dota/middle_mAP', 'dota/tail_mAP'):
            assert key in metrics
