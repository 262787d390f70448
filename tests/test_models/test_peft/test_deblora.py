"""debLoRA's model (mmrsfm.models.peft.deblora) and LoRA merging (lora_merge) on a tiny ViT."""
import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmrsfm.models  # noqa: F401
from mmrsfm.models.peft import Calibration, DebLoRA, merge_lora

TINY_VIT = dict(type='VisionTransformer',
                arch=dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64),
                img_size=32, patch_size=8, drop_rate=0.1)


def _lora_cfg(pretrained=None):
    module = dict(TINY_VIT)
    if pretrained:
        module['init_cfg'] = dict(type='Pretrained', checkpoint=pretrained)
    return dict(type='LoRAModel', module=module, alpha=4, rank=2, targets=[dict(type='qkv')])


def _randomise_lora(model, seed=0):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if '.lora_' in name:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.2)


def test_merged_lora_computes_the_same_function():
    torch.manual_seed(0)
    model = MODELS.build(_lora_cfg())
    _randomise_lora(model)
    model.eval()
    x = torch.randn(3, 3, 32, 32)
    expected = model(x)[-1]
    merged = merge_lora(model)
    merged.eval()
    assert not any('lora' in n for n, _ in merged.named_parameters())
    torch.testing.assert_close(merged(x)[-1], expected, rtol=1e-4, atol=1e-5)


@pytest.fixture
def stage_files(tmp_path):
    """A 'pretrained' tiny ViT file, a stage-1 LoRA checkpoint and a calibration file."""
    torch.manual_seed(0)
    pretrained = str(tmp_path / 'vit.pth')
    torch.save({'state_dict': MODELS.build(TINY_VIT).state_dict()}, pretrained)
    adapted = MODELS.build(_lora_cfg(pretrained))
    _randomise_lora(adapted, seed=1)
    stage1 = str(tmp_path / 'stage1.pth')
    # LoRAModel saves only its LoRA weights (mmpretrain's state-dict hook), as a classifier would.
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in adapted.state_dict().items()}},
               stage1)
    calib = str(tmp_path / 'calib.npz')
    rng = np.random.RandomState(0)
    Calibration(centres=rng.randn(4, 32).astype(np.float32),
                alpha=np.array([1.0, 1.0, 0.5, 0.2], dtype=np.float32)).save(calib)
    return pretrained, stage1, calib, adapted


def test_deblora_teacher_student_and_objective(stage_files):
    pretrained, stage1, calib, adapted = stage_files
    model = DebLoRA(backbone=_lora_cfg(pretrained), adapted_checkpoint=stage1, calibration=calib,
                    lora=dict(alpha=4, rank=2, targets=[dict(type='qkv')]))
    x = torch.randn(8, 3, 32, 32)
    labels = torch.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    samples = [DataSample().set_gt_label(int(y)) for y in labels]
    adapted.eval()
    model.eval()
    with torch.no_grad():
        z = model.teacher(x)[-1]
        # The teacher is the stage-1 adapted backbone (pretrained + LoRA theta), merged.
        torch.testing.assert_close(z, adapted(x)[-1], rtol=1e-4, atol=1e-5)
        # g_phi starts at zero (LoRA up-projection init), so the student starts as the teacher.
        torch.testing.assert_close(model.extract_feat(x), z, rtol=1e-4, atol=1e-5)
        # The loss is the MSE to alpha z + (1 - alpha) mu_hat, computed here by hand.
        a = model.alpha[labels][:, None]
        target = a * z + (1 - a) * model.centres[labels]
        expected = ((z - target)**2).mean()
        assert model.loss(x, samples)['loss_deblora'].item() == pytest.approx(expected.item(),
                                                                              rel=1e-5)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all('student' in n and '.lora_' in n for n in trainable)

    model.train()
    assert not model.teacher.training
    teacher_before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    optim = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for _ in range(20):
        loss = model.loss(x, samples)['loss_deblora']
        optim.zero_grad()
        loss.backward()
        optim.step()
    model.eval()  # compare the objective without dropout noise
    with torch.no_grad():
        assert model.loss(x, samples)['loss_deblora'].item() < 0.7 * expected.item()
    for k, v in model.teacher.state_dict().items():
        torch.testing.assert_close(v, teacher_before[k])
    merged = model.merged_backbone()
    merged.eval()
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(merged(x)[-1], model.extract_feat(x), rtol=1e-4, atol=1e-5)


def test_calibration_width_mismatch_is_reported(stage_files, tmp_path):
    pretrained, stage1, _, _ = stage_files
    wrong = str(tmp_path / 'wrong.npz')
    Calibration(centres=np.zeros((4, 7), np.float32), alpha=np.ones(4, np.float32)).save(wrong)
    model = DebLoRA(backbone=_lora_cfg(pretrained), adapted_checkpoint=stage1, calibration=wrong,
                    lora=dict(alpha=4, rank=2, targets=[dict(type='qkv')]))
    samples = [DataSample().set_gt_label(0)]
    with pytest.raises(ValueError, match='wrong.npz: centres have 7 channels'):
        model.loss(torch.randn(1, 3, 32, 32), samples)
