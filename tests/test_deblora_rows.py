"""The debLoRA comparison rows (configs/deblora/{zero-shot,fine-tune,lora-*}_vit-tiny-*) trained
for one short epoch through the real mmengine Runner on generated long-tailed crops: what each
row freezes stays equal to the pretrained weights and what it trains moves; the class-balanced
sampler draws classes uniformly; ClassCountsHook hands the training counts to the
logit-adjusted loss. Every ViT-B row config differs from the row it extends only where stated."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

import mmrsfm.runtime  # noqa: F401
from mmrsfm.apis import build_runner, load_config, merge_train_args
from mmrsfm.testing import write_scene_folder

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(REPO, 'configs', 'deblora')
TINY = {
    'zero-shot': 'zero-shot_vit-tiny-p8-32px_1xb8-5e_dota-lt.py',
    'fine-tune': 'fine-tune_vit-tiny-p8-32px_1xb8-2e_dota-lt.py',
    'balanced': 'lora_vit-tiny-p8-32px_1xb8-class-balanced-2e_dota-lt.py',
    'logit-adjusted': 'lora_vit-tiny-p8-32px_1xb8-logit-adjusted-2e_dota-lt.py',
}
LORA_TINY = 'lora_vit-tiny-p8-32px_1xb8-2e_dota-lt.py'
# Long-tailed training counts in label order (15 DOTA-LT classes): N = 69, ratio 12.
COUNTS = [1, 1, 4, 1, 5, 1, 12, 6, 2, 10, 8, 2, 5, 6, 5]


@pytest.fixture(scope='module')
def tiny_data(tmp_path_factory):
    """Generated crops in the DOTA-LT layout and a random tiny ViT saved as `backbone.*`."""
    root = tmp_path_factory.mktemp('dota_lt')
    classes = Config.fromfile(osp.join(CONFIGS, LORA_TINY)).classes
    write_scene_folder(str(root / 'train'), classes, COUNTS, 0, size=32, seed=0)
    write_scene_folder(str(root / 'val'), classes, 1, 0, size=32, seed=1)
    write_scene_folder(str(root / 'test'), classes, 1, 0, size=32, seed=2)
    from mmpretrain.registry import MODELS
    torch.manual_seed(0)
    vit_cfg = dict(Config.fromfile(osp.join(CONFIGS, LORA_TINY)).model.backbone.module,
                   init_cfg=None)
    state = {f'backbone.{k}': v for k, v in MODELS.build(vit_cfg).state_dict().items()}
    pretrained = str(root / 'vit-init.pth')
    torch.save({'state_dict': state}, pretrained)
    return str(root), pretrained, {k[len('backbone.'):]: v for k, v in state.items()}


def _runner(name, tiny_data, work_dir, max_epochs=1):
    data_root, pretrained, _ = tiny_data
    path = osp.join(CONFIGS, TINY[name])
    key = ('model.backbone.init_cfg.checkpoint' if name in ('zero-shot', 'fine-tune') else
           'model.backbone.module.init_cfg.checkpoint')
    options = {key: pretrained, 'train_cfg.max_epochs': max_epochs, 'train_cfg.val_interval': 99,
               'param_scheduler': None, 'default_hooks.logger.interval': 1}
    for split in ('train', 'val', 'test'):
        options[f'{split}_dataloader.dataset.data_root'] = data_root
    cfg = merge_train_args(load_config(path, options), path, work_dir=str(work_dir))
    return build_runner(cfg)


def _backbone_weights(model):
    """Backbone parameters under plain ViT names (LoRA layers' base weights unwrapped)."""
    backbone = model.backbone
    module = backbone.module if hasattr(backbone, 'module') else backbone
    out = {}
    for key, param in module.named_parameters():
        out[key.replace('.original_layer.', '.')] = (param.detach().clone(), param.requires_grad)
    return out


@pytest.mark.slow
def test_zero_shot_trains_the_probe_only(tiny_data, tmp_path):
    runner = _runner('zero-shot', tiny_data, tmp_path)
    head_before = runner.model.head.fc.weight.detach().clone()
    runner.train()
    weights = _backbone_weights(runner.model)
    init = tiny_data[2]
    assert set(weights) == set(init)
    for key, (value, trainable) in weights.items():
        assert not trainable, f'{key} trains in the Zero-Shot row'
        assert torch.equal(value, init[key]), f'{key} moved or is not the pretrained weight'
    assert not torch.equal(runner.model.head.fc.weight, head_before)


@pytest.mark.slow
def test_fine_tune_trains_every_backbone_weight(tiny_data, tmp_path):
    runner = _runner('fine-tune', tiny_data, tmp_path)
    init = tiny_data[2]
    loaded = _backbone_weights(runner.model)
    runner.train()
    weights = _backbone_weights(runner.model)
    assert set(weights) == set(loaded) == set(init)
    for key, (value, trainable) in weights.items():
        assert trainable, f'{key} is frozen in the Fine-Tune row'
        assert torch.equal(loaded[key][0], init[key]), f'{key} is not the pretrained weight'
        assert not torch.equal(value, init[key]), f'{key} did not move'


def _assert_lora_only(runner, init):
    weights = _backbone_weights(runner.model)
    lora = [k for k in weights if '.lora_' in k]
    assert lora, 'no LoRA weights'
    for key, (value, trainable) in weights.items():
        if '.lora_' in key:
            assert trainable, key
        else:
            assert not trainable, f'{key} trains in a LoRA row'
            assert torch.equal(value, init[key]), f'{key} moved in a LoRA row'
    # lora_up starts at zero; training moves it.
    assert any(weights[k][0].abs().sum() > 0 for k in lora if 'lora_up' in k)


def _sampled_labels(runner, epochs):
    loader = runner.build_dataloader(runner.cfg.train_dataloader, seed=0)
    labels = []
    for epoch in range(epochs):
        loader.sampler.set_epoch(epoch)
        for batch in loader:
            labels += [int(s.gt_label) for s in batch['data_samples']]
    return np.bincount(labels, minlength=len(COUNTS))


@pytest.mark.slow
def test_class_balanced_row_samples_classes_uniformly(tiny_data, tmp_path):
    runner = _runner('balanced', tiny_data, tmp_path)
    runner.train()
    _assert_lora_only(runner, tiny_data[2])
    # Over 30 epochs (30 x 69 crops), each class is drawn with frequency 1 / 15, whatever its
    # count; the LoRA row's default sampler draws them as n_c / N.
    balanced = _sampled_labels(runner, 30)
    assert balanced.sum() == 30 * sum(COUNTS)
    np.testing.assert_allclose(balanced / balanced.sum(), 1 / 15, atol=0.005)
    lora = _runner_default_sampler(tiny_data, tmp_path / 'lora')
    default = _sampled_labels(lora, 3)
    np.testing.assert_array_equal(default, 3 * np.array(COUNTS))


def _runner_default_sampler(tiny_data, work_dir):
    data_root, pretrained, _ = tiny_data
    path = osp.join(CONFIGS, LORA_TINY)
    options = {'model.backbone.module.init_cfg.checkpoint': pretrained}
    for split in ('train', 'val', 'test'):
        options[f'{split}_dataloader.dataset.data_root'] = data_root
    return build_runner(merge_train_args(load_config(path, options), path,
                                         work_dir=str(work_dir)))


@pytest.mark.slow
def test_logit_adjusted_row_gets_the_training_counts(tiny_data, tmp_path):
    runner = _runner('logit-adjusted', tiny_data, tmp_path)
    runner.train()
    _assert_lora_only(runner, tiny_data[2])
    loss = runner.model.head.loss_module
    assert type(loss).__name__ == 'LogitAdjustedLoss'
    expected = np.log(np.array(COUNTS) / sum(COUNTS))
    np.testing.assert_allclose(loss.log_prior.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize('row, base, changed', [
    ('zero-shot_vit-b-p16_1xb64-30e_dota-lt.py', 'linear-probe_vit-b-p16_1xb64-30e_dota-lt.py',
     {'model.backbone.init_cfg.checkpoint'}),
    ('fine-tune_vit-b-p16_1xb64-20e_dota-lt.py', 'lora_vit-b-p16_1xb64-20e_dota-lt.py',
     {'model.backbone', 'optim_wrapper.optimizer.lr'}),
    ('lora_vit-b-p16_1xb64-class-balanced-20e_dota-lt.py', 'lora_vit-b-p16_1xb64-20e_dota-lt.py',
     {'train_dataloader.sampler'}),
    ('lora_vit-b-p16_1xb64-logit-adjusted-20e_dota-lt.py', 'lora_vit-b-p16_1xb64-20e_dota-lt.py',
     {'model.head.loss', 'custom_hooks'}),
])
def test_vit_b_rows_change_only_what_they_state(row, base, changed):
    """The rows share data, schedule, head and seed with the config they extend."""
    def flat(d, prefix=''):
        out = {}
        for k, v in d.items():
            key = prefix + k
            if any(key == c for c in changed):
                out[key] = v
            elif isinstance(v, dict) and any(c.startswith(key + '.') for c in changed):
                out.update(flat(v, key + '.'))
            else:
                out[key] = v
        return out

    row_cfg = flat(Config.fromfile(osp.join(CONFIGS, row)).to_dict())
    base_cfg = flat(Config.fromfile(osp.join(CONFIGS, base)).to_dict())
    differing = {k for k in row_cfg.keys() | base_cfg.keys()
                 if row_cfg.get(k) != base_cfg.get(k)}
    # Variables of the config file itself (e.g. `pretrained`, `backbone_checkpoint`) aside.
    differing -= {'pretrained', 'backbone_checkpoint'}
    assert differing == changed


@pytest.mark.slow
def test_class_counts_hook_without_a_taker_is_refused(tiny_data, tmp_path):
    """ClassCountsHook on the plain LoRA row (cross-entropy: nothing takes counts) stops with a
    clear error at the start of training instead of doing nothing."""
    from mmpretrain.registry import HOOKS
    runner = _runner_default_sampler(tiny_data, tmp_path)
    hook = HOOKS.build(dict(type='ClassCountsHook'))
    with pytest.raises(RuntimeError, match='no part of the model takes class counts'):
        hook.before_train(runner)
