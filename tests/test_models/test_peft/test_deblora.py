"""debLoRA's model (mmrsfm.models.peft.deblora) and LoRA merging (lora_merge) on a tiny ViT.

The model builds from its config alone; ``init_cfg`` loads the stage-2 init file (f_theta and the
calibration) in ``init_weights()``; checkpoints hold teacher, g_phi's LoRA weights and the
calibration buffers and restore the model without any other file."""
import numpy as np
import pytest
import torch
from mmengine.runner import load_checkpoint
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmrsfm.models  # noqa: F401
from mmrsfm.models.peft import (Calibration, DebLoRA, DebLoRAStateError, deblora_init_state,
                                merge_lora)

TINY_VIT = dict(type='VisionTransformer',
                arch=dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64),
                img_size=32, patch_size=8, drop_rate=0.1)
G_PHI = dict(alpha=4, rank=2, targets=[dict(type='qkv')])


def _lora_cfg(pretrained=None):
    module = dict(TINY_VIT)
    if pretrained:
        module['init_cfg'] = dict(type='Pretrained', checkpoint=pretrained)
    return dict(type='LoRAModel', module=module, alpha=4, rank=2, targets=[dict(type='qkv')])


def _deblora_cfg(init_file=None, **kwargs):
    cfg = dict(type='DebLoRA', backbone=_lora_cfg('/nonexistent/foundation.pth'), lora=G_PHI,
               num_classes=4, **kwargs)
    if init_file:
        cfg['init_cfg'] = dict(type='Pretrained', checkpoint=init_file)
    return cfg


def _randomise_lora(model, seed=0):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if '.lora_' in name:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.2)


def _samples(labels):
    return [DataSample().set_gt_label(int(y)) for y in labels]


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
    """A stage-1 adapted backbone (pretrained tiny ViT + random LoRA theta), a calibration and
    the stage-2 init file written from them, as tools/deblora/cluster_features.py writes it."""
    torch.manual_seed(0)
    pretrained = str(tmp_path / 'vit.pth')
    torch.save({'state_dict': MODELS.build(TINY_VIT).state_dict()}, pretrained)
    adapted = MODELS.build(_lora_cfg(pretrained))
    _randomise_lora(adapted, seed=1)
    rng = np.random.RandomState(0)
    calib = Calibration(centres=rng.randn(4, 32).astype(np.float32),
                        alpha=np.array([1.0, 1.0, 0.5, 0.2], dtype=np.float32))
    init_file = str(tmp_path / 'calibration_init.pth')
    torch.save({'state_dict': deblora_init_state(adapted, calib)}, init_file)
    return init_file, calib, adapted


def test_builds_from_its_config_alone(tmp_path):
    # No file exists: neither the foundation checkpoint of the backbone config nor init_cfg's.
    model = MODELS.build(_deblora_cfg(str(tmp_path / 'missing_init.pth')))
    assert model.centres.shape == (4, 32) and model.alpha.shape == (4, )
    assert not model.calibrated and model.centres.abs().sum() == 0
    assert model.extract_feat(torch.randn(2, 3, 32, 32)).shape == (2, 32)
    # The student starts as the teacher, also before any weights are loaded.
    for plain, own in model._base_keys.items():
        torch.testing.assert_close(model.student.module.state_dict()[own],
                                   model.teacher.state_dict()[plain], rtol=0, atol=0)
    with pytest.raises(RuntimeError, match='no calibration'):
        model.loss(torch.randn(1, 3, 32, 32), _samples([0]))
    with pytest.raises(FileNotFoundError, match='missing_init.pth'):
        model.init_weights()
    # Sizes default to the data preprocessor's num_classes and the ViT's embed_dims.
    model = MODELS.build(dict(_deblora_cfg(), num_classes=None,
                              data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=7)))
    assert model.centres.shape == (7, 32)
    with pytest.raises(ValueError, match='num_classes and feat_dim'):
        MODELS.build(dict(_deblora_cfg(), num_classes=None))


def test_teacher_student_and_objective(stage_files):
    init_file, calib, adapted = stage_files
    model = MODELS.build(_deblora_cfg(init_file))
    model.init_weights()
    assert isinstance(model, DebLoRA) and model.calibrated
    np.testing.assert_array_equal(model.centres.numpy(), calib.centres)
    np.testing.assert_array_equal(model.alpha.numpy(), calib.alpha)
    x = torch.randn(8, 3, 32, 32)
    labels = torch.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    samples = _samples(labels)
    adapted.eval()
    model.eval()
    with torch.no_grad():
        z = model.teacher(x)[-1]
        # The teacher is the stage-1 adapted backbone (pretrained + LoRA theta), merged.
        torch.testing.assert_close(z, adapted(x)[-1], rtol=1e-4, atol=1e-5)
        # g_phi starts at zero (LoRA up-projection init), so the student starts as the teacher.
        torch.testing.assert_close(model.extract_feat(x), z, rtol=1e-4, atol=1e-5)
        # The loss is the MSE to alpha z + (1 - alpha) mu_hat, computed here by hand.
        a = torch.from_numpy(calib.alpha)[labels][:, None]
        target = a * z + (1 - a) * torch.from_numpy(calib.centres)[labels]
        expected = ((z - target)**2).mean()
        assert model.loss(x, samples)['loss_deblora'].item() == pytest.approx(expected.item(),
                                                                              rel=1e-5)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all('student' in n and '.lora_' in n for n in trainable)

    model.train()
    assert not model.teacher.training
    teacher_before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    optim = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    for _ in range(50):
        loss = model.loss(x, samples)['loss_deblora']
        optim.zero_grad()
        loss.backward()
        optim.step()
    model.eval()  # compare the objective without dropout noise
    with torch.no_grad():
        final = model.loss(x, samples)['loss_deblora'].item()
    print(f'debLoRA objective: {expected.item():.4f} at g_phi = 0, {final:.4f} after 50 steps')
    assert final < 0.7 * expected.item()
    for k, v in model.teacher.state_dict().items():
        torch.testing.assert_close(v, teacher_before[k])
    merged = model.merged_backbone()
    merged.eval()
    with torch.no_grad():
        torch.testing.assert_close(merged(x)[-1], model.extract_feat(x), rtol=1e-4, atol=1e-5)


def test_checkpoint_restores_the_model_without_other_files(stage_files, tmp_path):
    init_file, calib, _ = stage_files
    model = MODELS.build(_deblora_cfg(init_file))
    model.init_weights()
    _randomise_lora(model.student, seed=2)  # a trained g_phi
    state = model.state_dict()
    # mmpretrain's LoRAModel drops every non-LoRA key of the whole state dict; DebLoRA puts the
    # teacher and the calibration back. The student's base weights are the teacher's, not saved.
    assert {'centres', 'alpha'} <= set(state)
    assert {k for k in state if k.startswith('teacher.')} == {
        f'teacher.{k}' for k in model.teacher.state_dict()}
    assert all('.lora_' in k for k in state if k.startswith('student.'))
    ckpt = str(tmp_path / 'epoch_1.pth')
    torch.save({'state_dict': state}, ckpt)

    restored = MODELS.build(_deblora_cfg(str(tmp_path / 'init_file_gone.pth')))
    load_checkpoint(restored, ckpt, map_location='cpu', strict=True)
    assert restored.calibrated
    for key, value in model.state_dict().items():
        torch.testing.assert_close(restored.state_dict()[key], value, rtol=0, atol=0)
    for own, value in model.student.module.state_dict().items():  # base weights included
        torch.testing.assert_close(restored.student.module.state_dict()[own], value, rtol=0,
                                   atol=0)
    model.eval()
    restored.eval()
    x = torch.randn(4, 3, 32, 32)
    samples = _samples([0, 1, 2, 3])
    with torch.no_grad():
        torch.testing.assert_close(restored.extract_feat(x), model.extract_feat(x), rtol=0,
                                   atol=0)
        torch.testing.assert_close(restored.loss(x, samples)['loss_deblora'],
                                   model.loss(x, samples)['loss_deblora'], rtol=0, atol=0)
        torch.testing.assert_close(restored.merged_backbone()(x)[-1],
                                   model.merged_backbone()(x)[-1], rtol=0, atol=0)


def test_checkpoint_written_before_the_buffers_were_saved(stage_files, tmp_path):
    """Such a checkpoint holds g_phi's LoRA weights only: it loads into a model that has f_theta
    and the calibration (init_weights first, as the Runner's resume does) and is refused by one
    built from its config alone."""
    init_file, _, _ = stage_files
    trained = MODELS.build(_deblora_cfg(init_file))
    trained.init_weights()
    _randomise_lora(trained.student, seed=3)
    old_ckpt = str(tmp_path / 'old_epoch_2.pth')
    torch.save({'state_dict': {f'student.{k}': v
                               for k, v in trained.student.state_dict().items()}}, old_ckpt)

    with pytest.raises(DebLoRAStateError, match='no teacher .* and calibration'):
        load_checkpoint(MODELS.build(_deblora_cfg()), old_ckpt, map_location='cpu')

    resumed = MODELS.build(_deblora_cfg(init_file))
    resumed.init_weights()
    load_checkpoint(resumed, old_ckpt, map_location='cpu')
    for key, value in trained.state_dict().items():
        torch.testing.assert_close(resumed.state_dict()[key], value, rtol=0, atol=0)


def test_calibration_of_another_size_is_reported_with_the_file(tmp_path, stage_files):
    _, _, adapted = stage_files
    wrong = str(tmp_path / 'wrong_init.pth')
    calib = Calibration(centres=np.zeros((4, 7), np.float32), alpha=np.ones(4, np.float32))
    torch.save({'state_dict': deblora_init_state(adapted, calib)}, wrong)
    model = MODELS.build(_deblora_cfg(wrong))
    with pytest.raises(DebLoRAStateError, match=r'wrong_init.pth: calibration .centres. has '
                       r'shape \(4, 7\), this DebLoRA expects \(4, 32\)'):
        model.init_weights()
    # A stage-1 checkpoint given as init_cfg by mistake: no calibration in it.
    stage1 = str(tmp_path / 'stage1.pth')
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in adapted.state_dict().items()}},
               stage1)
    with pytest.raises(DebLoRAStateError, match='stage1.pth: no teacher'):
        MODELS.build(_deblora_cfg(stage1)).init_weights()


def test_feature_width_mismatch_is_reported(stage_files):
    model = MODELS.build(_deblora_cfg(feat_dim=7))
    with torch.no_grad():
        model.alpha.fill_(1.0)  # a calibration of the wrong width, loaded by hand
    with pytest.raises(ValueError, match='teacher outputs 32 channels, the calibration centres '
                       'have 7'):
        model.loss(torch.randn(1, 3, 32, 32), _samples([0]))
