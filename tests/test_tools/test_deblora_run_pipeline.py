"""tools/deblora/run_pipeline.py --tiny: SelectiveMAE pretraining -> conversion -> LoRA ->
clustering -> debLoRA -> export -> linear probe in one command on generated data. Every stage
output it lists exists, the metrics are finite, and the debLoRA stage's frozen teacher holds the
SelectiveMAE-pretrained weights (the converted checkpoint's, not a random init). The detection
stages are left out here (--skip-detection): their chain has its own test."""
import json
import os.path as osp

import torch

import mmrsfm  # noqa: F401  (allow-lists mmengine's checkpoint types for weights-only loads)
from tests.conftest import REPO_ROOT, assert_finite, run_tool


def _state_dict(path):
    return torch.load(path, map_location='cpu', weights_only=True)['state_dict']


def test_tiny_pipeline_from_selectivemae_to_the_probe(tmp_path, python):
    work = str(tmp_path / 'pipeline')
    # The detection chain (tools/deblora/run_tiny_detection.py) has its own test.
    result = run_tool([python, 'tools/deblora/run_pipeline.py', '--tiny', '--skip-detection',
                       '--work-dir', work], cwd=REPO_ROOT, timeout=900)
    out = result.stdout
    print(out[-1500:])

    outputs = json.load(open(osp.join(work, 'stage_outputs.json')))
    for stage in ('selectivemae', 'convert', 'lora', 'cluster', 'deblora', 'export', 'probe',
                  'metrics'):
        assert stage in outputs, stage
        for key, path in outputs[stage].items():
            assert osp.exists(path), f'{stage} {key}: {path} missing'
            assert path in out, f'{stage} {key} not printed'
    assert 'oriented detection: skipped' in out

    results = json.load(open(outputs['metrics']['results']))
    assert set(results) == {'LoRA', 'LoRA + debLoRA'}
    for name, metrics in results.items():
        for key in ('macro_f1', 'head_f1', 'middle_f1', 'tail_f1'):
            value = metrics['all_samples'][f'long-tail/{key}']
            assert_finite(value, f'{name} {key}')
            assert 0.0 <= value <= 100.0

    # The converted backbone is the SelectiveMAE run's encoder, tensor for tensor.
    smae = _state_dict(outputs['selectivemae']['checkpoint'])
    converted = _state_dict(outputs['convert']['backbone'])
    assert converted and all(k.startswith('backbone.') for k in converted)
    for key, value in converted.items():
        assert torch.equal(value, smae[key]), key
    # LoRA targets qkv only: the teacher f_theta of the debLoRA checkpoint keeps the pretrained
    # patch embedding and MLPs (frozen in stage 1, copied by stage 2), and the merged qkv moved.
    stage3 = _state_dict(outputs['deblora']['checkpoint'])
    for key in ('patch_embed.projection.weight', 'layers.0.ffn.layers.0.0.weight',
                'layers.1.attn.proj.weight', 'cls_token'):
        assert torch.equal(stage3[f'teacher.{key}'], converted[f'backbone.{key}']), key
    assert not torch.equal(stage3['teacher.layers.0.attn.qkv.weight'],
                           converted['backbone.layers.0.attn.qkv.weight'])
