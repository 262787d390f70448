"""Detection debLoRA stage 3 (mmrsfm.models.peft.DetDebLoRA) on a tiny ViT and rotated boxes:
the teacher is frozen, only g_phi's LoRA trains, and the loss is the hand-computed MSE between
the student's pooled object features and the calibrated teacher features.

Module under test: ``mmrsfm/models/peft/det_deblora.py``."""
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.optim import OptimWrapper
from mmengine.structures import InstanceData
from mmrotate.registry import MODELS
from mmrotate.structures import RotatedBoxes

import mmrsfm.models  # noqa: F401
from mmrsfm.models.peft import Calibration, DetDebLoRA, deblora_init_state, pool_object_features

TINY_VIT = dict(type='mmpretrain.VisionTransformer', out_type='featmap', final_norm=False,
                arch=dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64),
                img_size=32, patch_size=8, out_indices=[0, 1])
LORA = dict(type='mmpretrain.LoRAModel', module=TINY_VIT, alpha=4, rank=2,
            targets=[dict(type='qkv')])
NUM_CLASSES = 3


def _model(tmp_path, seed=0):
    """A DetDebLoRA with a random f_theta (a LoRA ViT with non-zero LoRA) and a calibration."""
    torch.manual_seed(seed)
    adapted = MODELS.build(LORA)
    with torch.no_grad():
        for name, p in adapted.named_parameters():
            if '.lora_' in name:
                p.copy_(torch.randn_like(p) * 0.2)
    rng = np.random.RandomState(seed)
    calib = Calibration(rng.randn(NUM_CLASSES, 32).astype(np.float32),
                        np.array([1.0, 0.5, 0.25], np.float32))
    init_file = str(tmp_path / 'calibration_init.pth')
    torch.save({'state_dict': deblora_init_state(adapted, calib)}, init_file)
    model = MODELS.build(dict(
        type='DetDebLoRA', backbone=LORA, lora=dict(alpha=4, rank=2, targets=[dict(type='qkv')]),
        num_classes=NUM_CLASSES, init_cfg=dict(type='Pretrained', checkpoint=init_file)))
    model.init_weights()
    with torch.no_grad():  # a non-zero g_phi, so student and teacher differ
        for name, p in model.student.named_parameters():
            if '.lora_' in name:
                p.copy_(torch.randn_like(p) * 0.2)
    return model, calib


def _samples():
    boxes = [[[10., 12., 12., 8., 0.3], [20., 18., 10., 14., -0.7]], [[16., 16., 20., 9., 1.2]]]
    labels = [[2, 0], [1]]
    return [DetDataSample(gt_instances=InstanceData(
        bboxes=RotatedBoxes(torch.tensor(b)), labels=torch.tensor(y)))
        for b, y in zip(boxes, labels)]


def test_only_g_phi_trains_and_the_teacher_is_unchanged_after_a_step(tmp_path):
    model, _ = _model(tmp_path)
    model.train()
    assert isinstance(model, DetDebLoRA)
    assert model.feat_stride == 8 and not model.teacher.training
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith('student.') and '.lora_' in n for n in trainable)
    assert not any(p.requires_grad for p in model.teacher.parameters())

    before = {k: v.clone() for k, v in model.state_dict(keep_vars=False).items()}
    student_base = {k: v.clone() for k, v in model.student.module.state_dict().items()
                    if '.lora_' not in k}
    wrapper = OptimWrapper(torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad], lr=0.5))
    inputs = torch.randn(2, 3, 32, 32)
    loss = model.loss(inputs, _samples())['loss_deblora']
    wrapper.update_params(loss)

    after = model.state_dict()
    for key, value in before.items():
        if key.startswith('teacher.') or key in ('centres', 'alpha'):
            torch.testing.assert_close(after[key], value, rtol=0, atol=0)
    for key, value in model.student.module.state_dict().items():
        if '.lora_' not in key:
            torch.testing.assert_close(value, student_base[key], rtol=0, atol=0)
    changed = [k for k in after if '.lora_' in k and not torch.equal(after[k], before[k])]
    assert changed and all(k.startswith('student.') for k in changed)


def test_loss_equals_the_hand_computed_mse(tmp_path):
    model, calib = _model(tmp_path, seed=1)
    model.eval()
    inputs = torch.randn(2, 3, 32, 32)
    samples = _samples()
    loss = float(model.loss(inputs, samples)['loss_deblora'])

    boxes = [s.gt_instances.bboxes.tensor for s in samples]
    with torch.no_grad():
        z = pool_object_features(model.teacher(inputs)[-1], boxes, 8).numpy().astype(np.float64)
        g = pool_object_features(model.student(inputs)[-1], boxes, 8).numpy().astype(np.float64)
    labels = np.array([2, 0, 1])
    alpha = calib.alpha.astype(np.float64)[labels][:, None]
    target = alpha * z + (1 - alpha) * calib.centres.astype(np.float64)[labels]
    expected = ((g - target)**2).sum() / g.size
    assert g.shape == (3, 32)
    assert not np.allclose(g, target)
    assert loss == pytest.approx(expected, rel=1e-5)


def test_batch_without_objects_and_missing_calibration(tmp_path):
    model, _ = _model(tmp_path)
    empty = [DetDataSample(gt_instances=InstanceData(
        bboxes=RotatedBoxes(torch.zeros(0, 5)), labels=torch.zeros(0, dtype=torch.long)))] * 2
    loss = model.loss(torch.randn(2, 3, 32, 32), empty)['loss_deblora']
    assert float(loss) == 0.0 and loss.requires_grad

    fresh = MODELS.build(dict(type='DetDebLoRA', backbone=LORA,
                              lora=dict(alpha=4, rank=2, targets=[dict(type='qkv')]),
                              num_classes=NUM_CLASSES))
    with pytest.raises(RuntimeError, match='no calibration'):
        fresh.loss(torch.randn(2, 3, 32, 32), _samples())
    with pytest.raises(ValueError, match='unknown pool_cfg'):
        MODELS.build(dict(type='DetDebLoRA', backbone=LORA, lora=dict(rank=2, alpha=4,
                          targets=[dict(type='qkv')]), num_classes=3, pool_cfg=dict(size=3)))
