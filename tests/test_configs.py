"""Every config shipped under configs/ loads through tools' loader and builds its model with the
registry of the toolbox its default_scope names; every config that uses an mmrsfm component loads
mmrsfm in the one ``custom_imports`` form; ``model-index.yml`` lists every metafile and each
metafile names existing configs."""
import glob
import importlib
import os.path as osp

import pytest
import torch
import yaml
from mmengine.registry import Registry, init_default_scope

from mmrsfm.apis import SUPPORTED_SCOPES, load_config
from mmrsfm.apis.config_checks import find_misspelled_top_level_keys
from mmrsfm.registry import TOOLBOXES
from tests.conftest import REPO_ROOT

CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)
#: The one way a config loads mmrsfm (README, "Add a config for a new backbone"), and its line.
CUSTOM_IMPORTS = dict(imports=['mmrsfm.runtime'], allow_failed_imports=False)
CUSTOM_IMPORTS_LINE = ("custom_imports = dict(imports=['mmrsfm.runtime'], "
                       'allow_failed_imports=False)')
METAFILES = sorted(
    osp.relpath(p, REPO_ROOT)
    for p in glob.glob(osp.join(REPO_ROOT, 'configs', '**', 'metafile.yml'), recursive=True))


@pytest.mark.slow  # loads every config
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


def _large(path):
    # ViT-L models take seconds each to build on CPU: slow lane (the ViT-B siblings stay fast).
    name = osp.basename(path)
    return 'vit-l-' in name or 'vit-large-' in name


@pytest.mark.parametrize('path', [
    pytest.param(p, marks=pytest.mark.slow) if _large(p) else p for p in CONFIGS
], ids=lambda p: osp.relpath(p, REPO_ROOT))
def test_config_builds_model(path, tmp_path):
    cfg = load_config(path)
    for module in cfg.get('custom_imports', {}).get('imports', []):
        importlib.import_module(module)
    init_default_scope(cfg.default_scope)
    registry = importlib.import_module(f'{SUPPORTED_SCOPES[cfg.default_scope]}.registry')
    _drop_pretrained(cfg.model)
    model = registry.MODELS.build(cfg.model)
    assert isinstance(model, torch.nn.Module)
    assert sum(p.numel() for p in model.parameters()) > 10_000
    for key in ('train_dataloader', 'optim_wrapper', 'train_cfg'):
        assert cfg.get(key) is not None, f'{path} has no {key}'
    if cfg.get('val_cfg') is not None:
        assert cfg.get('val_dataloader') is not None and cfg.get('val_evaluator') is not None


def _mmrsfm_names():
    """``{scope: names}`` of the classes mmrsfm registers in each toolbox's registries."""
    importlib.import_module(CUSTOM_IMPORTS['imports'][0])
    names = {}
    for scope in TOOLBOXES:
        for registry in vars(importlib.import_module(f'{scope}.registry')).values():
            if isinstance(registry, Registry):
                names.setdefault(scope, set()).update(
                    name for name, cls in registry.module_dict.items()
                    if getattr(cls, '__module__', '').startswith('mmrsfm.'))
    return names


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _strings(value)


@pytest.mark.slow  # loads every config
def test_configs_that_use_mmrsfm_load_it_in_the_one_form():
    names = _mmrsfm_names()
    assert {'ViTPyramid', 'ViTLayerDecayOptimWrapperConstructor'} <= names['mmrotate']
    assert {'DIORDataset', 'ViTPyramid'} <= names['mmdet']
    assert {'SpaceNetV1Dataset', 'MultiSourceIoUMetric'} <= names['mmseg']
    assert {'SelectiveMAE', 'PSTSStageHook', 'LongTailF1'} <= names['mmpretrain']
    prefixed = {f'{scope}.{name}' for scope, scoped in names.items() for name in scoped}
    wrong, users = {}, set()
    for path in CONFIGS:
        cfg = load_config(path)
        used = set(_strings(cfg.to_dict())) & (names[cfg.default_scope] | prefixed)
        rel = osp.relpath(path, REPO_ROOT)
        if used:
            users.add(rel)
        if (used or 'custom_imports' in cfg) and cfg.get('custom_imports') != CUSTOM_IMPORTS:
            wrong[rel] = (sorted(used), cfg.get('custom_imports'))
    assert wrong == {}
    assert len(users) > 30  # the scan finds them: ViT benchmarks, SelectiveMAE, SAMRS, debLoRA
    # Written as this one line wherever it is set, bases included.
    for path in glob.glob(osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True):
        with open(path) as f:
            set_here = [text.rstrip() for text in f if text.startswith('custom_imports')]
        assert set_here in ([], [CUSTOM_IMPORTS_LINE]), f'{path}: {set_here}'


def test_model_index_imports_every_metafile():
    with open(osp.join(REPO_ROOT, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    assert list(index) == ['Import']
    assert sorted(index['Import']) == METAFILES and len(set(index['Import'])) == len(METAFILES)


@pytest.mark.parametrize('metafile', METAFILES)
def test_metafile_names_existing_configs_and_readmes(metafile):
    with open(osp.join(REPO_ROOT, metafile)) as f:
        meta = yaml.safe_load(f)
    collections = {c['Name'] for c in meta['Collections']}
    for collection in meta['Collections']:
        assert osp.isfile(osp.join(REPO_ROOT, collection['README'])), collection
    for model in meta['Models']:
        assert osp.isfile(osp.join(REPO_ROOT, model['Config'])), model['Config']
        assert osp.splitext(osp.basename(model['Config']))[0] == model['Name']
        assert model['In Collection'] in collections, model['Name']


def test_every_full_size_config_is_in_a_metafile():
    listed = []
    for metafile in METAFILES:
        with open(osp.join(REPO_ROOT, metafile)) as f:
            listed += [m['Config'] for m in yaml.safe_load(f)['Models']]
    assert len(listed) == len(set(listed))
    configs = [osp.relpath(p, REPO_ROOT) for p in CONFIGS]
    # The CPU-sized configs (ViT-tiny) are for checks and tutorials, not results.
    assert [p for p in configs if p not in listed and 'vit-tiny' not in p] == []
