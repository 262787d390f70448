"""The debLoRA foundation-model configs (issue 15 item 2): OpenCLIP ViT-B/16 and SatMAE ViT-L/16
weights converted from their upstream key layouts load strictly into the backbones our configs
build and compute what the upstream models compute (reference forwards written here: CLIP's
tower with torch's ``nn.MultiheadAttention``, SatMAE's timm blocks by hand); full-size key sets
and shapes match; our own SelectiveMAE pretraining checkpoint fits the SelectiveMAE configs; the
FUSRS SAR data config reads grayscale chips as three equal channels."""
import copy
import os.path as osp
from collections import OrderedDict

import cv2
import mmcv
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import DATASETS, METRICS, MODELS

import mmrsfm.runtime  # noqa: F401
from mmrsfm.apis import load_config
from mmrsfm.models.checkpoint_converters import convert_openclip_visual, convert_satmae
from tests.conftest import REPO_ROOT

CFG_DIR = osp.join(REPO_ROOT, 'configs', 'deblora')
OPENCLIP = {stage: osp.join(CFG_DIR, name) for stage, name in [
    ('lora', 'lora_vit-b-p16-openclip-pre_1xb64-20e_dota-lt.py'),
    ('deblora', 'deblora_vit-b-p16-openclip-pre_1xb64-10e_dota-lt.py'),
    ('probe', 'linear-probe_vit-b-p16-openclip-pre_1xb64-30e_dota-lt.py')]}
SATMAE = {stage: osp.join(CFG_DIR, name) for stage, name in [
    ('lora', 'lora_vit-l-p16-satmae-pre_1xb64-20e_fusrs.py'),
    ('deblora', 'deblora_vit-l-p16-satmae-pre_1xb64-10e_fusrs.py'),
    ('probe', 'linear-probe_vit-l-p16-satmae-pre_1xb64-30e_fusrs.py')]}
SELECTIVEMAE = {stage: osp.join(CFG_DIR, name) for stage, name in [
    ('lora', 'lora_vit-b-p16-selectivemae-pre_1xb64-20e_dota-lt.py'),
    ('deblora', 'deblora_vit-b-p16-selectivemae-pre_1xb64-10e_dota-lt.py'),
    ('probe', 'linear-probe_vit-b-p16-selectivemae-pre_1xb64-30e_dota-lt.py')]}
CLIP_MEAN = [0.48145466 * 255, 0.4578275 * 255, 0.40821073 * 255]


def _vit_cfg(path):
    """The config's (un-LoRA'd) ViT: ``model.backbone.module``, the DebLoRA teacher's
    ``model.backbone.module`` or the probe's ``model.backbone``, without its weights file."""
    cfg = load_config(path)
    vit = cfg.model.backbone
    vit = copy.deepcopy(vit.module if vit.type == 'LoRAModel' else vit).to_dict()
    vit.pop('init_cfg')
    return cfg, vit


def _tiny(vit, width, layers, heads, patch, grid):
    return dict(vit, arch=dict(embed_dims=width, num_layers=layers, num_heads=heads,
                               feedforward_channels=4 * width),
                img_size=patch * grid, patch_size=patch, drop_path_rate=0.0, frozen_stages=-1)


# ----------------------------------------------------------------------------- open_clip
class QuickGELU(nn.Module):
    """CLIP's activation ``x * sigmoid(1.702 x)`` (OpenAI weights)."""

    def forward(self, x):
        """Apply the activation."""
        return x * torch.sigmoid(1.702 * x)


class _ResBlock(nn.Module):
    """open_clip's ``ResidualAttentionBlock`` (names and computation), torch modules only."""

    def __init__(self, width, heads, act):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(OrderedDict(c_fc=nn.Linear(width, 4 * width), gelu=act(),
                                             c_proj=nn.Linear(4 * width, width)))

    def forward(self, x):  # (L, B, C): nn.MultiheadAttention's sequence-first layout
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class _Transformer(nn.Module):

    def __init__(self, width, layers, heads, act):
        super().__init__()
        self.resblocks = nn.ModuleList(_ResBlock(width, heads, act) for _ in range(layers))


class _VisualTower(nn.Module):
    """open_clip's ``VisionTransformer`` image tower: conv1 (no bias), class / positional
    embeddings, ln_pre, resblocks, ln_post on the class token, projection."""

    def __init__(self, width, layers, heads, patch, grid, out_dim, act):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, patch, stride=patch, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(width))
        self.positional_embedding = nn.Parameter(torch.randn(grid * grid + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = _Transformer(width, layers, heads, act)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(torch.randn(width, out_dim))

    def features(self, x):
        """The image feature before the projection, (B, C)."""
        x = self.conv1(x).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = self.ln_pre(torch.cat([cls, x], dim=1) + self.positional_embedding)
        x = x.transpose(0, 1)
        for block in self.transformer.resblocks:
            x = block(x)
        return self.ln_post(x.transpose(0, 1)[:, 0])


def _randomise(module, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            is_norm_scale = name.endswith('weight') and p.ndim == 1
            p.copy_(torch.randn(p.shape, generator=g) * 0.2 + float(is_norm_scale))
    return module


def _clip_state(visual):
    """A whole CLIP model's state dict: the tower under ``visual.`` and a text tower."""
    state = {f'visual.{k}': v.detach().clone() for k, v in visual.state_dict().items()}
    text = _Transformer(16, 1, 2, nn.GELU)
    state.update({f'transformer.{k}': v for k, v in text.state_dict().items()})
    state.update({'token_embedding.weight': torch.zeros(10, 16),
                  'positional_embedding': torch.zeros(7, 16), 'ln_final.weight': torch.ones(16),
                  'ln_final.bias': torch.zeros(16), 'text_projection': torch.zeros(16, 8),
                  'logit_scale': torch.tensor(4.6)})
    return state


def test_openclip_file_through_the_lora_configs_init_cfg(tmp_path):
    """The converted file, read by the LoRA config's ``init_cfg`` (prefix ``backbone``), gives
    the LoRA model open_clip's feature (LoRA starts as the identity)."""
    cfg, vit_cfg = _vit_cfg(OPENCLIP['lora'])
    width, layers, heads, patch, grid = 32, 2, 4, 8, 3
    visual = _randomise(_VisualTower(width, layers, heads, patch, grid, 12, nn.GELU), seed=4)
    visual.eval()
    converted, _ = convert_openclip_visual(_clip_state(visual))
    path = str(tmp_path / 'openclip_vit-b-p16.pth')
    torch.save({'state_dict': converted, 'meta': dict(format='open_clip')}, path)
    lora_cfg = cfg.model.backbone.to_dict()
    lora_cfg['module'] = dict(_tiny(vit_cfg, width, layers, heads, patch, grid), init_cfg=dict(
        cfg.model.backbone.module.init_cfg, checkpoint=path))
    lora = MODELS.build(lora_cfg)
    lora.eval()
    x = torch.randn(2, 3, patch * grid, patch * grid, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        torch.testing.assert_close(lora(x)[0], visual.features(x), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('act,act_cfg', [(nn.GELU, 'GELU'),
                                         (QuickGELU, 'mmpretrain.QuickGELU')])
def test_openclip_weights_in_our_config_compute_the_clip_feature(act, act_cfg):
    """Converted open_clip weights in the LoRA config's ViT give open_clip's image feature."""
    _, vit_cfg = _vit_cfg(OPENCLIP['lora'])
    vit_cfg['layer_cfgs']['act_cfg']['type'] = act_cfg
    width, layers, heads, patch, grid = 32, 2, 4, 8, 3
    visual = _randomise(_VisualTower(width, layers, heads, patch, grid, 12, act), seed=0).eval()
    converted, unused = convert_openclip_visual({'state_dict': _clip_state(visual)})
    assert 'visual.proj' in unused and 'logit_scale' in unused
    assert {k for k in unused if k.startswith('transformer.')}  # text tower left out
    assert not [k for k in unused if k.startswith('visual.') and k != 'visual.proj']
    vit = MODELS.build(_tiny(vit_cfg, width, layers, heads, patch, grid))
    vit.eval()  # (mmpretrain backbones' train() returns None)
    backbone = {k[len('backbone.'):]: v for k, v in converted.items()}
    vit.load_state_dict(backbone, strict=True)  # no missing, no unexpected keys
    x = torch.randn(2, 3, patch * grid, patch * grid, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = visual.features(x)
        torch.testing.assert_close(vit(x)[0], expected, rtol=1e-4, atol=1e-4)
        # The q / k / v split: mmpretrain's qkv on one block equals nn.MultiheadAttention.
        h = torch.randn(2, grid * grid + 1, width)
        ref = visual.transformer.resblocks[1].attn
        torch.testing.assert_close(vit.layers[1].attn(h),
                                   ref(*(h.transpose(0, 1), ) * 3)[0].transpose(0, 1),
                                   rtol=1e-4, atol=1e-4)
        # Sensitivity: the other activation (or mmpretrain's default LayerNorm eps) differs.
        other = dict(vit_cfg, layer_cfgs=dict(act_cfg=dict(
            type='GELU' if act_cfg != 'GELU' else 'mmpretrain.QuickGELU')))
        wrong = MODELS.build(_tiny(other, width, layers, heads, patch, grid))
        wrong.eval()
        wrong.load_state_dict(backbone, strict=True)
        assert not torch.allclose(wrong(x)[0], expected, atol=1e-3)


def _meta_state(layout):
    """Full-size tensors without memory: ``{key: shape}`` -> meta tensors."""
    return {k: torch.empty(shape, device='meta') for k, shape in layout.items()}


def _openclip_b16_layout():
    """open_clip ViT-B-16's image-tower keys and shapes (width 768, 12 blocks, 224 px)."""
    layout = {'visual.conv1.weight': (768, 3, 16, 16), 'visual.class_embedding': (768, ),
              'visual.positional_embedding': (197, 768), 'visual.ln_pre.weight': (768, ),
              'visual.ln_pre.bias': (768, ), 'visual.ln_post.weight': (768, ),
              'visual.ln_post.bias': (768, ), 'visual.proj': (768, 512)}
    for i in range(12):
        p = f'visual.transformer.resblocks.{i}.'
        layout.update({p + 'ln_1.weight': (768, ), p + 'ln_1.bias': (768, ),
                       p + 'attn.in_proj_weight': (2304, 768), p + 'attn.in_proj_bias': (2304, ),
                       p + 'attn.out_proj.weight': (768, 768), p + 'attn.out_proj.bias': (768, ),
                       p + 'ln_2.weight': (768, ), p + 'ln_2.bias': (768, ),
                       p + 'mlp.c_fc.weight': (3072, 768), p + 'mlp.c_fc.bias': (3072, ),
                       p + 'mlp.c_proj.weight': (768, 3072), p + 'mlp.c_proj.bias': (768, )})
    return layout


def _shapes_of_config_vit(vit_cfg):
    with torch.device('meta'):
        vit = MODELS.build(vit_cfg)
    return {k: tuple(v.shape) for k, v in vit.state_dict().items()}


@pytest.mark.parametrize('stage', sorted(OPENCLIP))
def test_openclip_b16_keys_and_shapes_fit_each_config(stage):
    """Full-size ViT-B-16 keys and shapes equal those of each OpenCLIP config's ViT."""
    cfg, vit_cfg = _vit_cfg(OPENCLIP[stage])
    converted, unused = convert_openclip_visual(_meta_state(_openclip_b16_layout()))
    assert unused == ['visual.proj']
    got = {k[len('backbone.'):]: tuple(v.shape) for k, v in converted.items()}
    assert got == _shapes_of_config_vit(vit_cfg)
    assert vit_cfg['pre_norm'] and vit_cfg['norm_cfg'] == dict(type='LN', eps=1e-5)
    assert vit_cfg['layer_cfgs']['act_cfg']['type'] == 'GELU'
    assert cfg.data_preprocessor.mean == CLIP_MEAN and cfg.data_preprocessor.num_classes == 15


def test_openclip_needs_a_tower():
    """State dicts without an image tower are refused."""
    # A text tower alone is not mistaken for a bare image tower.
    with pytest.raises(ValueError, match='no CLIP image tower'):
        convert_openclip_visual({'transformer.resblocks.0.attn.in_proj_weight': torch.zeros(3)})
    with pytest.raises(ValueError, match='no CLIP image-tower block'):
        convert_openclip_visual({'visual.conv1.weight': torch.zeros(3)})


# ----------------------------------------------------------------------------- SatMAE
def _satmae_state(width, layers, patch, grid, finetune, seed=0):
    """SatMAE's released layout (timm blocks): pretraining with the MAE decoder, or the
    fine-tuned global-pool classifier; wrapped as its checkpoints are."""
    g = torch.Generator().manual_seed(seed)

    def t(*shape):
        return torch.randn(*shape, generator=g) * 0.2

    def block(p, d):
        return {p + 'norm1.weight': 1 + t(d), p + 'norm1.bias': t(d),
                p + 'attn.qkv.weight': t(3 * d, d), p + 'attn.qkv.bias': t(3 * d),
                p + 'attn.proj.weight': t(d, d), p + 'attn.proj.bias': t(d),
                p + 'norm2.weight': 1 + t(d), p + 'norm2.bias': t(d),
                p + 'mlp.fc1.weight': t(4 * d, d), p + 'mlp.fc1.bias': t(4 * d),
                p + 'mlp.fc2.weight': t(d, 4 * d), p + 'mlp.fc2.bias': t(d)}

    state = {'cls_token': t(1, 1, width), 'pos_embed': t(1, grid * grid + 1, width),
             'patch_embed.proj.weight': t(width, 3, patch, patch),
             'patch_embed.proj.bias': t(width)}
    for i in range(layers):
        state.update(block(f'blocks.{i}.', width))
    if finetune:
        state.update({'fc_norm.weight': 1 + t(width), 'fc_norm.bias': t(width),
                      'head.weight': t(62, width), 'head.bias': t(62)})
    else:
        dd = 16
        state.update({'norm.weight': 1 + t(width), 'norm.bias': t(width),
                      'decoder_embed.weight': t(dd, width), 'decoder_embed.bias': t(dd),
                      'mask_token': t(1, 1, dd), 'decoder_pos_embed': t(1, grid * grid + 1, dd),
                      'decoder_norm.weight': t(dd), 'decoder_norm.bias': t(dd),
                      'decoder_pred.weight': t(patch * patch * 3, dd),
                      'decoder_pred.bias': t(patch * patch * 3)})
        state.update(block('decoder_blocks.0.', dd))
    return {'model': state, 'epoch': 799}


def _satmae_forward(state, x, heads, finetune):
    """SatMAE's ViT (timm blocks, LayerNorm eps 1e-6), written out with torch functions."""
    def ln(h, name):
        return F.layer_norm(h, h.shape[-1:], state[name + '.weight'], state[name + '.bias'], 1e-6)

    h = F.conv2d(x, state['patch_embed.proj.weight'], state['patch_embed.proj.bias'],
                 stride=state['patch_embed.proj.weight'].shape[-1]).flatten(2).transpose(1, 2)
    h = torch.cat([state['cls_token'].expand(x.shape[0], -1, -1), h], 1) + state['pos_embed']
    b, n, c = h.shape
    d = c // heads
    i = 0
    while f'blocks.{i}.norm1.weight' in state:
        p = f'blocks.{i}.'
        qkv = F.linear(ln(h, p + 'norm1'), state[p + 'attn.qkv.weight'], state[p + 'attn.qkv.bias'])
        q, k, v = qkv.reshape(b, n, 3, heads, d).permute(2, 0, 3, 1, 4)
        out = (torch.softmax(q @ k.transpose(-2, -1) * d**-0.5, -1) @ v).transpose(1, 2)
        h = h + F.linear(out.reshape(b, n, c), state[p + 'attn.proj.weight'],
                         state[p + 'attn.proj.bias'])
        mlp = F.gelu(F.linear(ln(h, p + 'norm2'), state[p + 'mlp.fc1.weight'],
                              state[p + 'mlp.fc1.bias']))
        h = h + F.linear(mlp, state[p + 'mlp.fc2.weight'], state[p + 'mlp.fc2.bias'])
        i += 1
    return ln(h[:, 1:].mean(1), 'fc_norm') if finetune else ln(h, 'norm')[:, 0]


@pytest.mark.parametrize('finetune', [False, True], ids=['pretrain', 'finetune'])
def test_satmae_weights_in_our_config_compute_satmae_features(finetune):
    """Converted SatMAE weights in the LoRA config's ViT give SatMAE's features."""
    _, vit_cfg = _vit_cfg(SATMAE['lora'])
    width, layers, heads, patch, grid = 32, 2, 4, 8, 3
    source = _satmae_state(width, layers, patch, grid, finetune)
    converted, dropped, other, layout = convert_satmae(source)
    assert layout == ('finetune' if finetune else 'pretrain') and other == []
    expected_dropped = {'head.weight', 'head.bias'} if finetune else {
        k for k in source['model'] if k.startswith('decoder_') or k == 'mask_token'}
    assert set(dropped) == expected_dropped
    cfg = _tiny(vit_cfg, width, layers, heads, patch, grid)
    if finetune:  # the settings satmae_to_mmpretrain.py prints for fine-tuned weights
        cfg.update(final_norm=False, out_type='avg_featmap')
    vit = MODELS.build(cfg)
    vit.eval()
    vit.load_state_dict({k[len('backbone.'):]: v for k, v in converted.items()}, strict=True)
    x = torch.randn(2, 3, patch * grid, patch * grid, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        torch.testing.assert_close(vit(x)[0], _satmae_forward(source['model'], x, heads, finetune),
                                   rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('stage', sorted(SATMAE))
def test_satmae_vit_l_keys_and_shapes_fit_each_config(stage):
    """Full-size ViT-L/16 keys and shapes equal those of each SatMAE config's ViT."""
    cfg, vit_cfg = _vit_cfg(SATMAE[stage])
    layout = {'cls_token': (1, 1, 1024), 'pos_embed': (1, 197, 1024),
              'patch_embed.proj.weight': (1024, 3, 16, 16), 'patch_embed.proj.bias': (1024, ),
              'norm.weight': (1024, ), 'norm.bias': (1024, ), 'mask_token': (1, 1, 512)}
    for i in range(24):
        p = f'blocks.{i}.'
        layout.update({p + 'norm1.weight': (1024, ), p + 'norm1.bias': (1024, ),
                       p + 'attn.qkv.weight': (3072, 1024), p + 'attn.qkv.bias': (3072, ),
                       p + 'attn.proj.weight': (1024, 1024), p + 'attn.proj.bias': (1024, ),
                       p + 'norm2.weight': (1024, ), p + 'norm2.bias': (1024, ),
                       p + 'mlp.fc1.weight': (4096, 1024), p + 'mlp.fc1.bias': (4096, ),
                       p + 'mlp.fc2.weight': (1024, 4096), p + 'mlp.fc2.bias': (1024, )})
    converted, dropped, _, _ = convert_satmae({'model': _meta_state(layout)})
    assert dropped == ['mask_token']
    got = {k[len('backbone.'):]: tuple(v.shape) for k, v in converted.items()}
    assert got == _shapes_of_config_vit(vit_cfg)
    assert cfg.data_preprocessor.num_classes == 5
    assert cfg.data_preprocessor.mean[0] == pytest.approx(0.4182007312774658 * 255)


def test_satmae_refuses_other_layouts():
    """Group-channel patch embeddings and encoders without a final norm are refused."""
    with pytest.raises(ValueError, match="not SatMAE's RGB ViT layout"):
        convert_satmae({'model': {'patch_embed.0.proj.weight': torch.zeros(1)}})
    state = _satmae_state(8, 1, 2, 2, finetune=False)['model']
    del state['norm.weight'], state['norm.bias']
    with pytest.raises(ValueError, match='neither norm'):
        convert_satmae(state)


# ----------------------------------------------------------------------------- SelectiveMAE
def test_our_selectivemae_checkpoint_fits_the_selectivemae_configs():
    """Our SelectiveMAE pretraining backbone loads strictly; the configs name its run."""
    pre_path = osp.join(REPO_ROOT, 'configs', 'selectivemae',
                        'selectivemae_vit-tiny-p8-32px_1xb8-2e_opticalrs-13m-cpu.py')
    pre = load_config(pre_path)
    pretraining = MODELS.build(pre.model)
    state = {k[len('backbone.'):]: v for k, v in pretraining.state_dict().items()
             if k.startswith('backbone.')}
    arch = pre.model.backbone.arch
    for stage in ('lora', 'probe'):
        _, vit_cfg = _vit_cfg(SELECTIVEMAE[stage])
        vit = MODELS.build(dict(vit_cfg, arch=arch.to_dict(), img_size=32, patch_size=8,
                                frozen_stages=-1))
        vit.load_state_dict(state, strict=True)
    # The LoRA config names the checkpoint of our 800-epoch ViT-B pretraining config.
    cfg = load_config(SELECTIVEMAE['lora'])
    checkpoint = cfg.model.backbone.module.init_cfg.checkpoint
    run = osp.join(REPO_ROOT, 'configs', 'selectivemae',
                   osp.basename(osp.dirname(checkpoint)) + '.py')
    assert osp.isfile(run)
    assert osp.basename(checkpoint) == f'epoch_{load_config(run).train_cfg.max_epochs}.pth'
    deblora = load_config(SELECTIVEMAE['deblora'])
    assert deblora.model.init_cfg.checkpoint == (
        'work_dirs/lora_vit-b-p16-selectivemae-pre_1xb64-20e_dota-lt/calibration_init.pth')


# ----------------------------------------------------------------------------- FUSRS data
def test_fusrs_config_reads_grayscale_chips_as_three_equal_channels(tmp_path):
    """Grayscale chips become three equal channels; no groups: overall macro-F1 only."""
    rng = np.random.default_rng(0)
    chips = {}
    for split in ('train', 'val', 'test'):
        for cls in ('cargo', 'dredger', 'fishing', 'other', 'tanker'):
            folder = tmp_path / split / cls
            folder.mkdir(parents=True)
            chip = rng.integers(0, 256, (40, 50), dtype=np.uint8)
            cv2.imwrite(str(folder / 'chip.png'), chip)
            chips[(split, cls)] = chip
    cfg = load_config(SATMAE['probe'])
    # No groups assumed: stage 2 falls back to the imbalance ratio (metainfo without groups).
    assert 'class_groups' not in cfg.train_dataloader.dataset.metainfo
    dataset_cfg = cfg.test_dataloader.dataset
    dataset_cfg.update(data_root=str(tmp_path))
    dataset = DATASETS.build(dataset_cfg)
    assert dataset.metainfo['classes'] == ('cargo', 'dredger', 'fishing', 'other', 'tanker')
    item = dataset[3]  # sorted folder order: 'other'
    assert item['data_samples'].gt_label.item() == 3
    image = item['inputs'].numpy()
    assert image.shape == (3, 224, 224)
    expected = mmcv.imresize(chips[('test', 'other')], (224, 224))
    for channel in image:
        np.testing.assert_array_equal(channel, expected)
    # No groups assumed for FUSRS: LongTailF1 reports the overall macro-F1 only.
    metric = METRICS.build(cfg.test_evaluator[0])
    metric.dataset_meta = dataset.metainfo
    metric.process(None, [dict(pred_label=torch.tensor([y]), gt_label=torch.tensor([y]))
                          for y in range(5)])
    assert metric.compute_metrics(metric.results) == {'macro_f1': 100.0}
