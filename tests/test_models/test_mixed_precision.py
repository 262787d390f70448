"""One training step of every model family under bf16 autocast on CPU, as mmengine's
``AmpOptimWrapper`` runs it on a GPU (forward and loss inside ``autocast``, backward and
optimizer step outside, fp32 parameters): the real config shrunk to tiny, a batch from its
real data pipeline. The forward must really run in half precision, the loss stay finite and
close to the fp32 loss of the same batch, and the step must update fp32 parameters.
(GPU AMP itself, fp16 with loss scaling, is checked by the GPU acceptance run.)

Detectors: only backbone and neck (the ViT pyramid and the FPN, nearly all the compute) run
under autocast here; their heads take fp32 features. On CPU the heads cannot run in bf16:
mmcv's CPU kernels of ``nms`` / ``RoIAlign`` read float32 only ("expected scalar type Float but
found BFloat16") and mmrotate's ``qbox2rbox`` goes through numpy, which has no bf16. On a GPU,
AMP runs them in fp16 with mmcv's half-precision CUDA kernels.

About 3-15 s per family on 2 CPU cores.
"""
import pytest
import torch
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import build_optim_wrapper
from mmengine.runner import autocast

from mmrsfm.testing.train_cases import (CASES, build_model, build_train_dataset, import_scope,
                                        make_batch, make_case)

pytestmark = pytest.mark.slow  # one training step of every task model

#: Loss under bf16 autocast vs fp32, relative (bf16 keeps ~3 significant digits; detectors
#: sample anchors and proposals from slightly different scores).
LOSS_RTOL = {'detection': 0.2, 'rotated-detection': 0.2}
DEFAULT_LOSS_RTOL = 0.05
#: Families whose heads run in fp32 on CPU (see the module docstring).
FP32_HEADS = ('detection', 'rotated-detection')


def _half_features_only(model):
    """Run the detector's ``extract_feat`` under autocast and hand fp32 features to its heads."""
    extract_feat = model.extract_feat

    def half_extract_feat(inputs):
        with autocast(device_type='cpu', dtype=torch.bfloat16):
            feats = extract_feat(inputs)
        return tuple(f.float() for f in feats)

    model.extract_feat = half_extract_feat


def _loss(model, batch, half: bool, whole_model: bool = True):
    """Parsed loss and log_vars of one forward, seeded (detectors sample at random)."""
    torch.manual_seed(0)
    with autocast(device_type='cpu', dtype=torch.bfloat16, enabled=half and whole_model):
        data = model.data_preprocessor(batch, True)
        losses = model._run_forward(data, mode='loss')
    return model.parse_losses(losses)


@pytest.mark.parametrize('family', sorted(CASES))
def test_one_step_under_bf16_autocast(family, tmp_path):
    cfg = make_case(family, str(tmp_path / family))
    import_scope(cfg)
    batch = make_batch(cfg, build_train_dataset(cfg), [0, 1])
    # As the Runner does outside distributed training (SyncBN cannot run on CPU).
    model = revert_sync_batchnorm(build_model(cfg))
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    trainable = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}

    fp32_loss, _ = _loss(model, batch, half=False)
    if family in FP32_HEADS:
        _half_features_only(model)
    half_dtypes = set()
    handle = torch.nn.modules.module.register_module_forward_hook(
        lambda module, args, out: half_dtypes.add(out.dtype)
        if isinstance(out, torch.Tensor) else None)
    try:
        with optim_wrapper.optim_context(model):
            loss, log_vars = _loss(model, batch, half=True,
                                   whole_model=family not in FP32_HEADS)
    finally:
        handle.remove()
    assert torch.bfloat16 in half_dtypes, 'nothing ran in bf16 under autocast'
    assert torch.isfinite(loss), f'{family}: loss {loss} under bf16 autocast'
    assert float(loss) == pytest.approx(float(fp32_loss),
                                        rel=LOSS_RTOL.get(family, DEFAULT_LOSS_RTOL))
    optim_wrapper.update_params(loss)

    changed = 0
    for name, before in trainable.items():
        param = dict(model.named_parameters())[name]
        assert param.dtype == torch.float32 and torch.isfinite(param).all(), name
        changed += not torch.equal(param, before)
    assert changed > 0.5 * len(trainable), f'{family}: only {changed} of {len(trainable)} ' \
        'trainable tensors were updated'
