"""Every config shipped under configs/ loads through tools' loader and builds its model with the
registry of the toolbox its default_scope names."""
import glob
import importlib
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from mmrsfm.apis import SUPPORTED_SCOPES, load_config
from mmrsfm.apis.config_checks import find_misspelled_top_level_keys
from tests.conftest import REPO_ROOT

CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)


def test_configs_cover_every_toolbox_and_have_no_key_that_looks_misspelt():
    configs = {osp.relpath(p, REPO_ROOT): load_config(p) for p in CONFIGS}
    assert {cfg.default_scope for cfg in configs.values()} == set(SUPPORTED_SCOPES)
    flagged = {p: find_misspelled_top_level_keys(cfg) for p, cfg in configs.items()}
    assert {p: keys for p, keys in flagged.items() if keys} == {}


def _drop_pretrained(cfg):
    """Remove checkpoint loading from a model config (the weights are not on a CI machine)."""
    if isinstance(cfg, dict):
        if isinstance(cfg.get('init_cfg'), dict) and cfg['init_cfg'].get('type') == 'Pretrained':
            cfg['init_cfg'] = None
        if 'pretrained' in cfg:
            cfg['pretrained'] = None
        for value in cfg.values():
            _drop_pretrained(value)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            _drop_pretrained(value)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO_ROOT))
def test_config_builds_model(path, tmp_path):
    cfg = load_config(path)
    for module in cfg.get('custom_imports', {}).get('imports', []):
        importlib.import_module(module)
    init_default_scope(cfg.default_scope)
    registry = importlib.import_module(f'{SUPPORTED_SCOPES[cfg.default_scope]}.registry')
    _drop_pretrained(cfg.model)
    if cfg.model.type == 'DebLoRA':
        # Stage 3 reads the stage-1 checkpoint and the stage-2 calibration: give it a stand-in
        # calibration of the right width instead.
        from mmrsfm.models.peft import Calibration
        width = registry.MODELS.build(cfg.model.backbone).embed_dims
        classes = cfg.data_preprocessor.num_classes
        cfg.model.calibration = str(tmp_path / 'calibration.npz')
        Calibration(np.zeros((classes, width), np.float32), np.ones(classes, np.float32)).save(
            cfg.model.calibration)
        cfg.model.adapted_checkpoint = None
    model = registry.MODELS.build(cfg.model)
    assert isinstance(model, torch.nn.Module)
    assert sum(p.numel() for p in model.parameters()) > 10_000
    for key in ('train_dataloader', 'optim_wrapper', 'train_cfg'):
        assert cfg.get(key) is not None, f'{path} has no {key}'
    if cfg.get('val_cfg') is not None:
        assert cfg.get('val_dataloader') is not None and cfg.get('val_evaluator') is not None
