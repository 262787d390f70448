"""Every config shipped under configs/ loads through tools' loader and builds its model with the
registry of the toolbox its default_scope names."""
import glob
import importlib
import os.path as osp

import pytest
import torch
from mmengine.registry import init_default_scope

from mmrsfm.apis import SUPPORTED_SCOPES, load_config
from tests.conftest import REPO_ROOT

CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)


def test_there_are_configs_for_every_toolbox():
    scopes = {load_config(p).default_scope for p in CONFIGS}
    assert scopes == set(SUPPORTED_SCOPES)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO_ROOT))
def test_config_builds_model(path):
    cfg = load_config(path)
    for module in cfg.get('custom_imports', {}).get('imports', []):
        importlib.import_module(module)
    init_default_scope(cfg.default_scope)
    registry = importlib.import_module(f'{SUPPORTED_SCOPES[cfg.default_scope]}.registry')
    model = registry.MODELS.build(cfg.model)
    assert isinstance(model, torch.nn.Module)
    assert sum(p.numel() for p in model.parameters()) > 1_000_000
    for key in ('train_dataloader', 'val_dataloader', 'val_evaluator', 'optim_wrapper'):
        assert key in cfg, f'{path} has no {key}'
