"""mmrsfm.models.checkpoint_converters on a synthetic state dict with the timm / authors' layout,
loaded strictly into mmpretrain's ViT and our decoder; and the conversion tool. Extraction of the
ViT encoder for the benchmark configs (timm-style and saved mmpretrain checkpoints) with
position-embedding resizing checked against a hand computation."""
import os
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

import mmrsfm.models  # noqa: F401
from mmrsfm.models.checkpoint_converters import (convert_openclip_visual, convert_timm_vit,
                                                 convert_vit_to_benchmark)
from tests.conftest import REPO_ROOT, run_tool

D, DEPTH, MLP, P, DD = 32, 2, 64, 8, 16  # embed, blocks, mlp hidden, patch, decoder width


def _timm_state():
    g = torch.Generator().manual_seed(0)

    def t(*shape):
        return torch.randn(*shape, generator=g)

    state = {'cls_token': t(1, 1, D), 'pos_embed': t(1, 17, D),
             'patch_embed.proj.weight': t(D, 3, P, P), 'patch_embed.proj.bias': t(D),
             'norm.weight': t(D), 'norm.bias': t(D),
             'mask_token': t(1, 1, DD), 'decoder_pos_embed': t(1, 17, DD),
             'decoder_norm.weight': t(DD), 'decoder_norm.bias': t(DD),
             'decoder_pred.weight': t(P * P * 3, DD), 'decoder_pred.bias': t(P * P * 3),
             'decoder_blocks.0.norm1.weight': t(DD), 'decoder_blocks.0.norm1.bias': t(DD),
             'decoder_blocks.0.cross_attn.q.weight': t(DD, DD),
             'decoder_blocks.0.cross_attn.q.bias': t(DD),
             'decoder_blocks.0.cross_attn.kv.weight': t(2 * DD, D),
             'decoder_blocks.0.cross_attn.kv.bias': t(2 * DD),
             'decoder_blocks.0.cross_attn.proj.weight': t(DD, DD),
             'decoder_blocks.0.cross_attn.proj.bias': t(DD),
             'decoder_blocks.0.norm2.weight': t(DD), 'decoder_blocks.0.norm2.bias': t(DD),
             'decoder_blocks.0.mlp.fc1.weight': t(4 * DD, DD),
             'decoder_blocks.0.mlp.fc1.bias': t(4 * DD),
             'decoder_blocks.0.mlp.fc2.weight': t(DD, 4 * DD),
             'decoder_blocks.0.mlp.fc2.bias': t(DD),
             'loss_scaler.scale': t(1)}
    for i in range(DEPTH):
        state.update({
            f'blocks.{i}.norm1.weight': t(D), f'blocks.{i}.norm1.bias': t(D),
            f'blocks.{i}.attn.qkv.weight': t(3 * D, D), f'blocks.{i}.attn.qkv.bias': t(3 * D),
            f'blocks.{i}.attn.proj.weight': t(D, D), f'blocks.{i}.attn.proj.bias': t(D),
            f'blocks.{i}.norm2.weight': t(D), f'blocks.{i}.norm2.bias': t(D),
            f'blocks.{i}.mlp.fc1.weight': t(MLP, D), f'blocks.{i}.mlp.fc1.bias': t(MLP),
            f'blocks.{i}.mlp.fc2.weight': t(D, MLP), f'blocks.{i}.mlp.fc2.bias': t(D)})
    return {'model': {f'module.{k}': v for k, v in state.items()}}, state


def test_convert_and_load_strictly():
    wrapped, state = _timm_state()
    converted, unused = convert_timm_vit(wrapped)
    assert unused == ['loss_scaler.scale']
    vit = MODELS.build(dict(type='VisionTransformer', img_size=32, patch_size=P,
                            arch=dict(embed_dims=D, num_layers=DEPTH, num_heads=4,
                                      feedforward_channels=MLP)))
    backbone = {k[len('backbone.'):]: v for k, v in converted.items() if k.startswith('backbone.')}
    vit.load_state_dict(backbone, strict=True)  # no missing, no unexpected keys
    torch.testing.assert_close(vit.layers[1].ffn.layers[0][0].weight,
                               state['blocks.1.mlp.fc1.weight'])
    torch.testing.assert_close(vit.layers[0].attn.qkv.weight, state['blocks.0.attn.qkv.weight'])
    torch.testing.assert_close(vit.ln1.weight, state['norm.weight'])
    decoder = MODELS.build(dict(type='CrossAttentionDecoder', num_patches=16, patch_size=P,
                                embed_dim=D, decoder_embed_dim=DD, decoder_depth=1,
                                decoder_num_heads=4))
    neck = {k[len('neck.'):]: v for k, v in converted.items() if k.startswith('neck.')}
    decoder.load_state_dict(neck, strict=True)
    torch.testing.assert_close(decoder.decoder_pos_embed, state['decoder_pos_embed'][:, 1:])
    # The converted cross-attention computes softmax(q k^T / sqrt(d)) v with the source weights.
    x, y = torch.randn(2, 5, DD), torch.randn(2, 7, D)
    attn = decoder.blocks[0].cross_attn
    heads, d = attn.num_heads, DD // attn.num_heads
    q = (x @ state['decoder_blocks.0.cross_attn.q.weight'].T
         + state['decoder_blocks.0.cross_attn.q.bias']).reshape(2, 5, heads, d).transpose(1, 2)
    kv = y @ state['decoder_blocks.0.cross_attn.kv.weight'].T \
        + state['decoder_blocks.0.cross_attn.kv.bias']
    k, v = kv.reshape(2, 7, 2, heads, d).permute(2, 0, 3, 1, 4)
    weights = torch.softmax(q @ k.transpose(-1, -2) / d**0.5, dim=-1)
    out = (weights @ v).transpose(1, 2).reshape(2, 5, DD)
    expected = out @ state['decoder_blocks.0.cross_attn.proj.weight'].T \
        + state['decoder_blocks.0.cross_attn.proj.bias']
    torch.testing.assert_close(attn(x, y), expected, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match='no timm-style ViT block'):
        convert_timm_vit({'foo': torch.zeros(1)})


def test_tool_backbone_only(tmp_path, python):
    wrapped, _ = _timm_state()
    src, dst = str(tmp_path / 'selectivemae.pth'), str(tmp_path / 'backbone.pth')
    # The authors' training checkpoints hold their argparse namespace: read without
    # --unsafe-load-checkpoint (weights-only, the namespace allowed).
    import argparse
    torch.save(dict(wrapped, args=argparse.Namespace(lr=1.5e-4)), src)
    result = run_tool([python, 'tools/model_converters/selectivemae_to_mmpretrain.py', src, dst,
                       '--backbone-only'], cwd=REPO_ROOT)
    out = torch.load(dst, weights_only=True)['state_dict']
    assert all(k.startswith('backbone.') for k in out) and len(out) == 6 + 12 * DEPTH
    assert 'not converted' in result.stdout and osp.isfile(dst)


def _timm_encoder(depth=4, grid=4):
    """A timm-style ViT classifier state dict (patch P, width D) with a head to be left out."""
    g = torch.Generator().manual_seed(1)

    def t(*shape):
        return torch.randn(*shape, generator=g)

    state = {'cls_token': t(1, 1, D), 'pos_embed': t(1, 1 + grid * grid, D),
             'patch_embed.proj.weight': t(D, 3, P, P), 'patch_embed.proj.bias': t(D),
             'norm.weight': t(D), 'norm.bias': t(D), 'head.weight': t(5, D), 'head.bias': t(5)}
    for i in range(depth):
        state.update({
            f'blocks.{i}.norm1.weight': t(D), f'blocks.{i}.norm1.bias': t(D),
            f'blocks.{i}.attn.qkv.weight': t(3 * D, D), f'blocks.{i}.attn.qkv.bias': t(3 * D),
            f'blocks.{i}.attn.proj.weight': t(D, D), f'blocks.{i}.attn.proj.bias': t(D),
            f'blocks.{i}.norm2.weight': t(D), f'blocks.{i}.norm2.bias': t(D),
            f'blocks.{i}.mlp.fc1.weight': t(MLP, D), f'blocks.{i}.mlp.fc1.bias': t(MLP),
            f'blocks.{i}.mlp.fc2.weight': t(D, MLP), f'blocks.{i}.mlp.fc2.bias': t(D)})
    return state


def _hand_resized(pos_embed, src, dst):
    grid = pos_embed[:, 1:].reshape(1, src[0], src[1], -1).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=dst, mode='bicubic', align_corners=False)
    return torch.cat([pos_embed[:, :1], grid.flatten(2).transpose(1, 2)], dim=1)


def _pyramid(img_size, **kwargs):
    from mmpretrain.registry import MODELS
    return MODELS.build(dict(type='ViTPyramid', img_size=img_size, patch_size=P,
                             out_indices=[0, 1, 2, 3],
                             arch=dict(embed_dims=D, num_layers=4, num_heads=4,
                                       feedforward_channels=MLP), **kwargs))


def test_timm_to_benchmark_loads_into_the_adapter():
    state = _timm_encoder()
    encoder, unused, fmt = convert_vit_to_benchmark({'model': state}, dst_grid=(3, 5))
    assert fmt == 'timm' and sorted(unused) == ['head.bias', 'head.weight']
    # Bicubic resize of the 4 x 4 grid to 3 x 5, the cls row unchanged.
    torch.testing.assert_close(encoder['pos_embed'], _hand_resized(state['pos_embed'], (4, 4),
                                                                   (3, 5)))
    torch.testing.assert_close(encoder['pos_embed'][:, 0], state['pos_embed'][:, 0])
    model = _pyramid((3 * P, 5 * P), final_norm=True)
    missing, unexpected = model.load_state_dict(encoder, strict=False)
    assert unexpected == [] and missing and all(k.startswith('pyramid.') for k in missing)
    torch.testing.assert_close(model.layers[3].attn.qkv.weight, state['blocks.3.attn.qkv.weight'])
    torch.testing.assert_close(model.ln1.bias, state['norm.bias'])
    with pytest.raises(ValueError, match='no ViT encoder found'):
        convert_vit_to_benchmark({'state_dict': {'conv.weight': torch.zeros(1)}})


def test_tool_converts_a_saved_mmpretrain_classifier(tmp_path, python):
    from mmpretrain.registry import MODELS as PRETRAIN
    classifier = PRETRAIN.build(dict(
        type='ImageClassifier',
        backbone=dict(type='VisionTransformer', img_size=32, patch_size=P, out_type='avg_featmap',
                      final_norm=False, arch=dict(embed_dims=D, num_layers=4, num_heads=4,
                                                  feedforward_channels=MLP)),
        head=dict(type='LinearClsHead', num_classes=3, in_channels=D)))
    src, dst = str(tmp_path / 'epoch_3.pth'), str(tmp_path / 'vit_backbone.pth')
    torch.save({'state_dict': classifier.state_dict(), 'meta': {'epoch': 3}}, src)
    result = run_tool([python, 'tools/model_converters/vit_to_benchmark.py', src, dst,
                       '--img-size', '40', '56'], cwd=REPO_ROOT)
    assert 'missing keys (0): none' in result.stdout
    assert 'head.fc.weight' in result.stdout  # listed among the source keys left out
    out = torch.load(dst, weights_only=True)['state_dict']
    assert set(out) == {f'backbone.{k}' for k in classifier.backbone.state_dict()}
    expected = _hand_resized(classifier.backbone.pos_embed.detach(), (4, 4), (5, 7))
    torch.testing.assert_close(out['backbone.pos_embed'], expected)

    # The file as the configs read it: init_cfg Pretrained with prefix 'backbone.'.
    model = _pyramid((40, 56),
                     init_cfg=dict(type='Pretrained', checkpoint=dst, prefix='backbone.'))
    model.init_weights()
    torch.testing.assert_close(model.pos_embed, expected)
    torch.testing.assert_close(model.layers[2].ffn.layers[1].weight,
                               classifier.backbone.layers[2].ffn.layers[1].weight)


def test_tool_refuses_weights_of_another_width(tmp_path, python):
    import subprocess
    src, dst = str(tmp_path / 'tiny_vit.pth'), str(tmp_path / 'out.pth')
    torch.save({'model': _timm_encoder()}, src)
    config = osp.join(REPO_ROOT, 'configs/benchmarks/detection/'
                      'faster-rcnn_vit-b-p16-selectivemae-pre_fpn_1x_dior.py')
    result = subprocess.run([python, 'tools/model_converters/vit_to_benchmark.py', src, dst,
                             '--config', config], cwd=REPO_ROOT, capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=REPO_ROOT))
    assert result.returncode != 0 and not osp.exists(dst)
    assert 'do not fit the target backbone' in result.stderr
    expected = f'layers.0.attn.qkv.weight: ({3 * D}, {D}) in the checkpoint, (2304, 768)'
    assert expected in result.stderr


# ------------------------------------------------- open_clip / SatMAE converters, file reading
def _openclip_state(width=8, layers=2, grid=2, patch=4):
    """A tiny open_clip CLIP state dict in its key layout (image tower + a text-tower key)."""
    g = torch.Generator().manual_seed(3)

    def t(*shape):
        return torch.randn(*shape, generator=g)

    state = {'visual.conv1.weight': t(width, 3, patch, patch), 'visual.class_embedding': t(width),
             'visual.positional_embedding': t(grid * grid + 1, width),
             'visual.ln_pre.weight': t(width), 'visual.ln_pre.bias': t(width),
             'visual.ln_post.weight': t(width), 'visual.ln_post.bias': t(width),
             'visual.proj': t(width, 4), 'ln_final.weight': t(width), 'logit_scale': t(())}
    for i in range(layers):
        p = f'visual.transformer.resblocks.{i}.'
        state.update({p + 'ln_1.weight': t(width), p + 'ln_1.bias': t(width),
                      p + 'attn.in_proj_weight': t(3 * width, width),
                      p + 'attn.in_proj_bias': t(3 * width),
                      p + 'attn.out_proj.weight': t(width, width),
                      p + 'attn.out_proj.bias': t(width),
                      p + 'ln_2.weight': t(width), p + 'ln_2.bias': t(width),
                      p + 'mlp.c_fc.weight': t(4 * width, width), p + 'mlp.c_fc.bias': t(4 * width),
                      p + 'mlp.c_proj.weight': t(width, 4 * width),
                      p + 'mlp.c_proj.bias': t(width)})
    return state


def test_openclip_key_mapping():
    """Each open_clip key lands on its mmpretrain name; bare towers map the same way."""
    state = _openclip_state()
    converted, unused = convert_openclip_visual(state, backbone_prefix='')
    assert unused == ['visual.proj', 'ln_final.weight', 'logit_scale']
    assert len(converted) == len(state) - 3
    torch.testing.assert_close(converted['cls_token'], state['visual.class_embedding'][None, None])
    torch.testing.assert_close(converted['pos_embed'][0], state['visual.positional_embedding'])
    torch.testing.assert_close(converted['layers.1.attn.qkv.bias'],
                               state['visual.transformer.resblocks.1.attn.in_proj_bias'])
    torch.testing.assert_close(converted['layers.0.ffn.layers.1.weight'],
                               state['visual.transformer.resblocks.0.mlp.c_proj.weight'])
    torch.testing.assert_close(converted['pre_norm.weight'], state['visual.ln_pre.weight'])
    torch.testing.assert_close(converted['ln1.bias'], state['visual.ln_post.bias'])
    # A bare image-tower state dict (open_clip's model.visual.state_dict()) maps the same way.
    bare = {k[len('visual.'):]: v for k, v in state.items() if k.startswith('visual.')}
    again, unused = convert_openclip_visual(bare, backbone_prefix='')
    assert unused == ['proj'] and again.keys() == converted.keys()


class _NotATensor:
    pass


def test_load_foreign_checkpoint(tmp_path):
    """Namespaces are read; TorchScript and other objects only when trusted, else refused."""
    import argparse

    from mmrsfm.models.checkpoint_converters import load_foreign_checkpoint

    # SatMAE / MAE checkpoints hold their argparse namespace: allowed without full unpickling.
    path = str(tmp_path / 'satmae.pth')
    torch.save({'model': {'w': torch.ones(2)}, 'args': argparse.Namespace(lr=1e-3)}, path)
    loaded = load_foreign_checkpoint(path)
    assert loaded['args'].lr == 1e-3 and torch.equal(loaded['model']['w'], torch.ones(2))
    # OpenAI's CLIP files are TorchScript archives (code): read only when trusted.
    linear = torch.nn.Linear(2, 3)
    scripted = str(tmp_path / 'ViT-B-16.pt')
    torch.jit.save(torch.jit.script(linear), scripted)
    with pytest.raises(ValueError, match='ViT-B-16.pt: a TorchScript archive.*'
                                         '--unsafe-load-checkpoint'):
        load_foreign_checkpoint(scripted)
    state = load_foreign_checkpoint(scripted, unsafe=True)
    assert set(state) == {'weight', 'bias'} and torch.equal(state['weight'], linear.weight)
    # Other objects are refused, naming the file and the way out.
    unsafe = str(tmp_path / 'unsafe.pth')
    torch.save({'w': torch.ones(1), 'obj': _NotATensor()}, unsafe)
    with pytest.raises(ValueError, match='unsafe.pth: weights-only loading refused.*'
                                         '--unsafe-load-checkpoint'):
        load_foreign_checkpoint(unsafe)
    assert isinstance(load_foreign_checkpoint(unsafe, unsafe=True)['obj'], _NotATensor)
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        load_foreign_checkpoint(str(tmp_path / 'missing.pth'))
    # open_clip's .safetensors releases: read with safetensors, or a clear error without it.
    weights = str(tmp_path / 'open_clip_model.safetensors')
    try:
        from safetensors.torch import save_file
    except ImportError:
        with open(weights, 'wb') as f:
            f.write(b'\0' * 8)
        with pytest.raises(ValueError, match='safetensors package'):
            load_foreign_checkpoint(weights)
    else:
        save_file({'visual.proj': torch.ones(2, 2)}, weights)
        assert torch.equal(load_foreign_checkpoint(weights)['visual.proj'], torch.ones(2, 2))


def test_openclip_tool(tmp_path, python):
    """The CLI writes the converted tower and lists the keys it left out."""
    src, dst = str(tmp_path / 'open_clip_pytorch_model.bin'), str(tmp_path / 'clip.pth')
    state = _openclip_state()
    torch.save(state, src)
    result = run_tool([python, 'tools/model_converters/openclip_to_mmpretrain.py', src, dst],
                      cwd=REPO_ROOT)
    out = torch.load(dst, weights_only=True)['state_dict']
    expected, _ = convert_openclip_visual(state)
    assert out.keys() == expected.keys()
    assert all(torch.equal(out[k], expected[k]) for k in out)
    assert '3 source keys left out' in result.stdout and 'visual.proj' in result.stdout


def test_satmae_tool(tmp_path, python):
    """The CLI reads a checkpoint holding args without --unsafe and reports the layout."""
    import argparse
    wrapped, state = _timm_state()  # MAE-style encoder with norm, decoder keys, a leftover
    src, dst = str(tmp_path / 'fmow_pretrain.pth'), str(tmp_path / 'satmae.pth')
    torch.save(dict(wrapped, args=argparse.Namespace(model='mae_vit_large_patch16')), src)
    result = run_tool([python, 'tools/model_converters/satmae_to_mmpretrain.py', src, dst],
                      cwd=REPO_ROOT)
    out = torch.load(dst, weights_only=True)['state_dict']
    assert all(k.startswith('backbone.') for k in out) and len(out) == 6 + 12 * DEPTH
    torch.testing.assert_close(out['backbone.ln1.weight'], state['norm.weight'])
    assert 'pretrain checkpoint' in result.stdout
    assert 'left out: loss_scaler.scale' in result.stdout
