"""The three debLoRA stages + export + linear probe through the real tools, on tiny generated
DOTA-LT-style data (tools/deblora/run_tiny_pipeline.py), then the feature-analysis tool. The
seeded stages are rerun with the same seed: same weights, clusters, stage-3 init file and
figures. Stage 3's checkpoint holds the teacher and calibration stage 2 wrote; a stage-3
checkpoint of the earlier layout (g_phi's LoRA weights only) is refused by the export tool with
the file's name; stage 2 without scikit-learn names the extra to install."""
import glob
import json
import math
import os
import os.path as osp
import subprocess

import numpy as np
import torch

import mmrsfm  # noqa: F401  (allow-lists mmengine's checkpoint types for weights-only loads)
from tests.conftest import REPO_ROOT, assert_finite, run_tool
from tests.test_utils.test_extras import _run_without

CONFIGS = osp.join(REPO_ROOT, 'configs', 'deblora')
LORA_CFG = osp.join(CONFIGS, 'lora_vit-tiny-p8-32px_1xb8-2e_dota-lt.py')
DEBLORA_CFG = osp.join(CONFIGS, 'deblora_vit-tiny-p8-32px_1xb8-2e_dota-lt.py')
PROBE_CFG = osp.join(CONFIGS, 'linear-probe_vit-tiny-p8-32px_1xb8-5e_dota-lt.py')


def _state_dict(path):
    return torch.load(path, map_location='cpu', weights_only=True)['state_dict']


def _assert_same_tensors(first, second, what):
    assert first.keys() == second.keys(), what
    for key in first:
        assert torch.equal(first[key], second[key]), f'{what}: {key} differs'


def _assert_reruns_match(python, work, rerun):
    """Rerun stage 1, stage 2 and the LoRA probe as the pipeline did (seed 0), into ``rerun``;
    every output must equal the pipeline's (the figures moved between runs before seeding)."""
    data_root = osp.join(work, 'data')
    data = [f'{s}_dataloader.dataset.data_root={data_root}' for s in ('train', 'val', 'test')]
    init = f'model.backbone.module.init_cfg.checkpoint={osp.join(work, "vit-tiny-init.pth")}'
    seed = 'randomness.seed=0'
    lora_dir = osp.join(rerun, 'lora')
    run_tool([python, 'tools/train.py', LORA_CFG, '--work-dir', lora_dir, '--cfg-options', init,
              seed, *data], cwd=REPO_ROOT)
    _assert_same_tensors(_state_dict(osp.join(work, 'lora', 'epoch_2.pth')),
                         _state_dict(osp.join(lora_dir, 'epoch_2.pth')),
                         'stage-1 checkpoints of the two runs')
    log = open(glob.glob(osp.join(lora_dir, '*', '*.log'))[0]).read()
    assert 'seed: 0' in log and 'deterministic: True' in log

    calibration = osp.join(lora_dir, 'calibration.npz')
    run_tool([python, 'tools/deblora/cluster_features.py', LORA_CFG,
              osp.join(lora_dir, 'epoch_2.pth'), '--out', calibration, '--num-clusters', '8',
              '--seed', '0', '--cfg-options', init, *data], cwd=REPO_ROOT)
    with np.load(osp.join(work, 'lora', 'calibration.npz')) as a, np.load(calibration) as b:
        assert a.files == b.files
        for key in a.files:
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    _assert_same_tensors(_state_dict(osp.join(work, 'lora', 'calibration_init.pth')),
                         _state_dict(osp.join(lora_dir, 'calibration_init.pth')),
                         'stage-3 init files of the two runs')

    backbone = f'model.backbone.init_cfg.checkpoint={osp.join(work, "backbone_LoRA.pth")}'
    probe_dir = osp.join(rerun, 'probe_LoRA')
    run_tool([python, 'tools/train.py', PROBE_CFG, '--work-dir', probe_dir, '--cfg-options',
              backbone, seed, *data], cwd=REPO_ROOT)
    out = run_tool([python, 'tools/test.py', PROBE_CFG, osp.join(probe_dir, 'epoch_5.pth'),
                    '--work-dir', probe_dir, '--cfg-options', backbone, seed, *data],
                   cwd=REPO_ROOT).stdout
    line = [ln for ln in out.splitlines() if ln.startswith('metrics: ')][-1]
    results = json.load(open(osp.join(work, 'results.json')))
    assert json.loads(line[len('metrics: '):]) == results['LoRA']


def test_tiny_deblora_pipeline(tmp_path, python):
    work = str(tmp_path / 'deblora')
    result = run_tool([python, 'tools/deblora/run_tiny_pipeline.py', '--work-dir', work],
                      cwd=REPO_ROOT, timeout=1500)
    print(result.stdout[-600:])

    summary = json.load(open(osp.join(work, 'lora', 'calibration.json')))
    counts = np.array(summary['class_counts'])
    assert counts.sum() == summary['num_samples']
    # Minimum cluster size N / (K * rho) with K = 8, rho = 2.
    assert min(summary['cluster_sizes']) >= math.ceil(summary['num_samples'] / 16)
    assert sum(summary['cluster_sizes']) == summary['num_samples']
    # Tail classes come from the config's class_groups; only those are calibrated, with
    # alpha = min(1, 10 / ir).
    tail = [0, 1, 3, 5, 8, 11]
    assert summary['calibrated_classes'] == [c for c in tail if counts.max() / counts[c] > 10]
    for c, a in enumerate(summary['alpha']):
        expected = min(1.0, 10 * counts[c] / counts.max()) if c in tail else 1.0
        assert abs(a - expected) < 1e-3

    # Stage 3 started from the stage-2 file (teacher f_theta, calibration) and saved both.
    init = _state_dict(osp.join(work, 'lora', 'calibration_init.pth'))
    stage3 = _state_dict(osp.join(work, 'deblora', 'epoch_2.pth'))
    with np.load(osp.join(work, 'lora', 'calibration.npz')) as calibration:
        np.testing.assert_array_equal(init['centres'].numpy(), calibration['calib_centres'])
        np.testing.assert_array_equal(init['alpha'].numpy(), calibration['calib_alpha'])
    _assert_same_tensors({k: v for k, v in stage3.items() if not k.startswith('student.')},
                         init, 'stage-3 checkpoint and stage-3 init file (teacher, calibration)')
    assert any('.lora_' in k for k in stage3)

    results = json.load(open(osp.join(work, 'results.json')))
    for name in ('LoRA', 'debLoRA'):
        for key in ('macro_f1', 'head_f1', 'middle_f1', 'tail_f1'):
            value = results[name][f'long-tail/{key}']
            assert_finite(value, f'{name} {key}')
            assert 0.0 <= value <= 100.0

    _assert_reruns_match(python, work, str(tmp_path / 'rerun'))

    out_dir = str(tmp_path / 'analysis')
    probe_cfg = osp.join(REPO_ROOT, 'configs', 'deblora',
                         'linear-probe_vit-tiny-p8-32px_1xb8-5e_dota-lt.py')
    backbone = osp.join(work, 'backbone_debLoRA.pth')
    run_tool([python, 'tools/deblora/analyze_features.py', probe_cfg,
              osp.join(work, 'probe_debLoRA', 'epoch_5.pth'), '--split', 'test', '--out-dir',
              out_dir, '--cfg-options', f'model.backbone.init_cfg.checkpoint={backbone}',
              f'test_dataloader.dataset.data_root={osp.join(work, "data")}'], cwd=REPO_ROOT)
    report = json.load(open(osp.join(out_dir, 'feature_report.json')))
    for key in ('inter_head_tail', 'inter_tail_tail', 'intra_tail'):
        assert_finite(report[key], key)
        assert 0.0 <= report[key] <= 2.0
    assert report['num_samples'] == 15 * 5
    assert osp.getsize(osp.join(out_dir, 'feature_pca.png')) > 1000


def test_export_refuses_a_stage3_checkpoint_of_the_earlier_layout(tmp_path, python):
    """Before the teacher and calibration were saved, a stage-3 checkpoint held g_phi's LoRA
    weights only (these keys); exporting one must fail with the file's name, not export the
    random teacher the model is built with."""
    from mmengine.config import Config

    cfg = Config.fromfile(DEBLORA_CFG)
    arch = cfg.model.backbone.module.arch
    rank = cfg.model.lora.rank
    old = {}
    for layer in range(arch['num_layers']):
        prefix = f'student.module.layers.{layer}.attn.qkv.'
        old[prefix + 'lora_down.weight'] = torch.randn(rank, arch['embed_dims'])
        old[prefix + 'lora_up.weight'] = torch.randn(3 * arch['embed_dims'], rank)
    ckpt = str(tmp_path / 'epoch_2.pth')
    torch.save({'state_dict': old}, ckpt)
    out = tmp_path / 'backbone.pth'
    result = subprocess.run([python, 'tools/model_converters/export_lora_backbone.py',
                             DEBLORA_CFG, ckpt, str(out)], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=600, env=dict(os.environ, PYTHONPATH=REPO_ROOT))
    assert result.returncode != 0 and not out.exists()
    last = result.stderr.strip().splitlines()[-1]
    assert 'DebLoRAStateError' in last and f'{ckpt}: no teacher' in last, last


def test_stage2_without_scikit_learn_names_the_extra(tmp_path):
    out = tmp_path / 'calibration.npz'
    result = _run_without(tmp_path, {'sklearn'}, [
        'tools/deblora/cluster_features.py', LORA_CFG, str(tmp_path / 'epoch_2.pth'), '--out',
        str(out)])
    assert result.returncode != 0 and not out.exists()
    last = result.stderr.strip().splitlines()[-1]
    assert 'MissingExtraError' in last and 'pip install "mmrsfm[deblora]"' in last, last
