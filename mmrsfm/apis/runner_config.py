"""Config handling shared by ``tools/train.py`` and ``tools/test.py`` for every toolbox.

A config's ``default_scope`` (``mmpretrain``, ``mmseg``, ``mmdet`` or ``mmrotate``) decides which
toolbox's registries build it; the same entry points therefore train a classifier, a segmentor or
a (rotated) detector.
"""
from __future__ import annotations

import importlib
import os.path as osp
from typing import Dict, Optional

from mmengine.config import Config, ConfigDict
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

#: default_scope -> importable package of the toolbox.
SUPPORTED_SCOPES: Dict[str, str] = {
    'mmpretrain': 'mmpretrain',
    'mmseg': 'mmseg',
    'mmdet': 'mmdet',
    'mmrotate': 'mmrotate',
}


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Load a config, merge ``--cfg-options`` and check it names a supported toolbox.

    Raises:
        FileNotFoundError: the config file does not exist.
        ValueError: ``default_scope`` is missing or not one of :data:`SUPPORTED_SCOPES`.
        ImportError: the toolbox named by ``default_scope`` is not installed.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file {path} does not exist')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    scope = cfg.get('default_scope')
    if scope not in SUPPORTED_SCOPES:
        raise ValueError(
            f'{path}: default_scope is {scope!r}; it must be one of {sorted(SUPPORTED_SCOPES)} '
            "(it selects the toolbox whose registries build the config, e.g. inherit from "
            "'mmdet::_base_/default_runtime.py' or set default_scope = 'mmdet')")
    try:
        importlib.import_module(SUPPORTED_SCOPES[scope])
    except ImportError as err:
        raise ImportError(f'{path}: default_scope {scope!r} needs the {SUPPORTED_SCOPES[scope]} '
                          f'package, which failed to import ({err}); run tools/setup_env.sh') from err
    return cfg


def _set_work_dir(cfg: Config, config_path: str, work_dir: Optional[str]) -> None:
    # Priority: command line > config file > ./work_dirs/<config name>.
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def merge_train_args(cfg: Config,
                     config_path: str,
                     work_dir: Optional[str] = None,
                     resume: Optional[str] = None,
                     amp: bool = False,
                     auto_scale_lr: bool = False,
                     no_validate: bool = False,
                     launcher: str = 'none') -> Config:
    """Apply the usual OpenMMLab training flags to ``cfg`` (in place) and return it.

    Args:
        resume: ``'auto'`` resumes from the latest checkpoint in the work dir, a path resumes
            from that checkpoint, ``None`` starts afresh.
    """
    import torch

    cfg.launcher = launcher
    _set_work_dir(cfg, config_path, work_dir)
    if amp:
        if not torch.cuda.is_available():
            raise RuntimeError(f'{config_path}: --amp needs a CUDA device; none is available')
        optim_type = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if optim_type not in ('OptimWrapper', 'AmpOptimWrapper'):
            raise ValueError(f'{config_path}: --amp replaces optim_wrapper.type OptimWrapper, '
                             f'but the config uses {optim_type}')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise ValueError(f'{config_path}: --auto-scale-lr needs '
                             'auto_scale_lr = dict(base_batch_size=...) in the config')
        cfg.auto_scale_lr.enable = True
    if resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif resume is not None:
        cfg.resume = True
        cfg.load_from = resume
    if no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    return cfg


def merge_test_args(cfg: Config,
                    config_path: str,
                    checkpoint: str,
                    work_dir: Optional[str] = None,
                    out: Optional[str] = None,
                    launcher: str = 'none') -> Config:
    """Point ``cfg`` at ``checkpoint`` for testing; optionally dump raw predictions to ``out``."""
    cfg.launcher = launcher
    _set_work_dir(cfg, config_path, work_dir)
    cfg.load_from = checkpoint
    if out is not None:
        if not out.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--out must be a .pkl file, got {out}')
        dump = ConfigDict(type='DumpResults', out_file_path=out)
        evaluator = cfg.test_evaluator
        if isinstance(evaluator, (list, tuple)):
            cfg.test_evaluator = [*evaluator, dump]
        elif 'metrics' in evaluator:
            evaluator.metrics = [*_as_list(evaluator.metrics), dump]
        else:
            cfg.test_evaluator = [evaluator, dump]
    return cfg


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def build_runner(cfg: Config) -> Runner:
    """Build the runner a config asks for (``runner_type``) or mmengine's default one."""
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)
