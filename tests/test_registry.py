"""Where mmrsfm registers: only in the registries of the toolboxes that use a module, never in
mmengine's root registries; shared modules in each toolbox through one helper; and the
``custom_imports`` module of the configs registers everything while ``import mmrsfm`` stays
light."""
import importlib
import subprocess
import sys
import textwrap
import uuid

import mmengine.registry as root_registries
import pytest
import torch
import torch.nn as nn
from mmengine.optim import build_optim_wrapper
from mmengine.registry import Registry, init_default_scope

import mmrsfm.runtime  # noqa: F401
from mmrsfm.engine.optimizers import ViTLayerDecayOptimWrapperConstructor
from mmrsfm.models.backbones import ViTPyramid
from mmrsfm.registry import TOOLBOXES, register_in_toolboxes, toolbox_registries
from tests.conftest import REPO_ROOT

TINY = dict(type='ViTPyramid', img_size=32, patch_size=8, out_indices=[0, 1, 2, 3],
            arch=dict(embed_dims=16, num_layers=4, num_heads=2, feedforward_channels=32))


def _root_registries():
    return {name: value for name, value in vars(root_registries).items()
            if isinstance(value, Registry)}


def test_no_mmrsfm_class_in_any_root_registry():
    assert _root_registries(), 'mmengine.registry exposes no Registry objects'
    ours = {f'{name}.{key}' for name, registry in _root_registries().items()
            for key, cls in registry.module_dict.items()
            if getattr(cls, '__module__', '').startswith('mmrsfm.')}
    assert ours == set()
    assert 'ViTPyramid' not in root_registries.MODELS.module_dict
    constructors = root_registries.OPTIM_WRAPPER_CONSTRUCTORS.module_dict
    assert 'ViTLayerDecayOptimWrapperConstructor' not in constructors


@pytest.mark.parametrize('scope', TOOLBOXES)
def test_shared_modules_build_under_each_default_scope(scope):
    registry = importlib.import_module(f'{scope}.registry')
    assert registry.MODELS.module_dict['ViTPyramid'] is ViTPyramid
    assert registry.OPTIM_WRAPPER_CONSTRUCTORS.module_dict[
        'ViTLayerDecayOptimWrapperConstructor'] is ViTLayerDecayOptimWrapperConstructor

    init_default_scope(scope)
    # As the Runner builds: through mmengine's root registry, which switches to the child of
    # the default scope.
    model = nn.Module()
    model.backbone = root_registries.MODELS.build(TINY)
    assert type(model.backbone) is ViTPyramid
    feats = model.backbone(torch.rand(1, 3, 32, 48))
    assert [tuple(f.shape[-2:]) for f in feats] == [(16, 24), (8, 12), (4, 6), (2, 3)]

    model.head = nn.Linear(16, 2)
    optim_wrapper = build_optim_wrapper(model, dict(
        optimizer=dict(type='SGD', lr=1.0), constructor='ViTLayerDecayOptimWrapperConstructor',
        paramwise_cfg=dict(layer_decay_rate=0.5)))
    # Stem 0.5 ** 5, block i 0.5 ** (4 - i), pyramid and head 1.
    assert sorted({g['lr'] for g in optim_wrapper.optimizer.param_groups}) == [
        0.5**5, 0.5**4, 0.5**3, 0.5**2, 0.5, 1.0]


def test_a_registry_below_another_listed_one_gets_no_entry_of_its_own(tmp_path, monkeypatch):
    # A real toolbox-like package whose MODELS registry is a child of mmdet's.
    package = f'toolbox_{uuid.uuid4().hex[:8]}'
    (tmp_path / package).mkdir()
    (tmp_path / package / '__init__.py').write_text('')
    (tmp_path / package / 'registry.py').write_text(textwrap.dedent(f'''
        from mmdet.registry import MODELS as MMDET_MODELS
        from mmengine.registry import Registry
        MODELS = Registry('model', parent=MMDET_MODELS, scope={package!r})
        '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    child = importlib.import_module(f'{package}.registry').MODELS
    mmdet_models = importlib.import_module('mmdet.registry').MODELS

    assert toolbox_registries('MODELS', (package, 'mmdet', 'mmseg')) == [
        mmdet_models, importlib.import_module('mmseg.registry').MODELS]
    name = f'Probe{uuid.uuid4().hex[:8]}'
    probe = register_in_toolboxes('MODELS', (package, 'mmdet'), name=name)(
        type(name, (nn.Module, ), {}))
    assert name in mmdet_models.module_dict and name not in child.module_dict
    assert child.get(name) is probe  # found through the parent
    assert name not in root_registries.MODELS.module_dict


def test_an_unknown_registry_name_is_an_error():
    with pytest.raises(ValueError, match=r"mmseg\.registry has no registry 'MODEL'"):
        toolbox_registries('MODEL', ('mmseg', ))


@pytest.mark.slow  # imports the stack in a fresh interpreter
def test_import_mmrsfm_is_light_and_mmrsfm_runtime_registers_everything():
    code = textwrap.dedent('''
        import sys
        import mmrsfm
        from mmseg.registry import MODELS
        print(sorted(m for m in ('mmrsfm.models', 'mmrsfm.datasets', 'mmrsfm.evaluation',
                                 'mmrsfm.engine', 'mmrsfm.visualization') if m in sys.modules),
              'ViTPyramid' in MODELS.module_dict)
        import mmrsfm.runtime
        print('ViTPyramid' in MODELS.module_dict)
        ''')
    result = subprocess.run([sys.executable, '-c', code], cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split('\n')[-3:] == ['[] False', 'True', '']
