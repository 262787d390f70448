"""Config handling shared by ``tools/train.py`` and ``tools/test.py`` for every toolbox.

A config's ``default_scope`` (``mmpretrain``, ``mmseg``, ``mmdet`` or ``mmrotate``) decides which
toolbox's registries build it; the same entry points therefore train a classifier, a segmentor or
a (rotated) detector.
"""
from __future__ import annotations

import importlib
import logging
import os.path as osp
from typing import Dict, Optional

from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log
from mmengine.registry import RUNNERS
from mmengine.runner import Runner, find_latest_checkpoint

from mmrsfm.utils.run_logging import QuietSetupLogsMixin

from .config_checks import check_cfg_options, warn_misspelled_top_level_keys

#: default_scope -> importable package of the toolbox.
SUPPORTED_SCOPES: Dict[str, str] = {
    'mmpretrain': 'mmpretrain',
    'mmseg': 'mmseg',
    'mmdet': 'mmdet',
    'mmrotate': 'mmrotate',
}


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Load a config, merge ``--cfg-options`` and check it names a supported toolbox.

    Options are checked against the values they replace (a string where the config has a
    number is an error naming the key); top-level keys that look like misspelt runner keys are
    warned about.

    Args:
        path (str): The config file.
        cfg_options (dict, optional): ``--cfg-options`` as parsed by mmengine's ``DictAction``.
            Defaults to None.

    Returns:
        Config: The merged config.

    Raises:
        FileNotFoundError: the config file does not exist.
        ValueError: ``default_scope`` is missing or not one of :data:`SUPPORTED_SCOPES`, or an
            option's value does not fit its key.
        ImportError: the toolbox named by ``default_scope`` is not installed.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file {path} does not exist')
    cfg = Config.fromfile(path)
    if cfg_options:
        check_cfg_options(cfg, cfg_options, path)
        cfg.merge_from_dict(cfg_options)
    warn_misspelled_top_level_keys(cfg, path)
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
                          f'package, which failed to import ({err}); run tools/setup_env.sh'
                          ) from err
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
                     launcher: str = 'none',
                     allow_fresh_start: bool = False) -> Config:
    """Apply the usual OpenMMLab training flags to ``cfg`` (in place) and return it.

    Args:
        cfg (Config): The loaded config.
        config_path (str): Its file, named in messages and used for the default work dir.
        work_dir (str, optional): ``--work-dir``. Defaults to None (config, then
            ``./work_dirs/<config name>``).
        resume (str, optional): ``'auto'`` resumes from the latest checkpoint in the work dir,
            a path resumes from that checkpoint, ``None`` starts afresh. Defaults to None.
        amp (bool): Use ``AmpOptimWrapper`` (CUDA only). Defaults to False.
        auto_scale_lr (bool): Enable ``auto_scale_lr``. Defaults to False.
        no_validate (bool): Drop validation. Defaults to False.
        launcher (str): Job launcher. Defaults to ``'none'``.
        allow_fresh_start (bool): With ``resume='auto'`` and no checkpoint in the work dir,
            start from scratch (e.g. the first run of a job that requeues itself) instead of
            stopping. Defaults to False.

    Returns:
        Config: ``cfg`` itself, updated.

    Raises:
        RuntimeError: ``amp`` without a CUDA device.
        ValueError: ``amp`` with an ``optim_wrapper.type`` other than ``OptimWrapper`` or
            ``AmpOptimWrapper``, or ``auto_scale_lr`` without
            ``auto_scale_lr.base_batch_size`` in the config.
        FileNotFoundError: ``resume='auto'`` finds no checkpoint in the work dir (and
            ``allow_fresh_start`` is False), or ``resume`` names a missing file.
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
        if find_latest_checkpoint(cfg.work_dir) is not None:
            cfg.resume = True
            cfg.load_from = None
        elif not allow_fresh_start:
            raise FileNotFoundError(
                f'--resume: nothing to resume in the work dir {cfg.work_dir} (no '
                "'last_checkpoint' file there). Check --work-dir, pass a checkpoint path "
                '(--resume PATH), or add --allow-fresh-start to start from scratch.')
        else:
            print_log(f'--resume: nothing to resume in {cfg.work_dir}; starting from scratch '
                      '(--allow-fresh-start)', logger='current', level=logging.WARNING)
    elif resume is not None:
        if not osp.isfile(resume):
            raise FileNotFoundError(f'--resume: checkpoint {resume} does not exist')
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
    """Point ``cfg`` at ``checkpoint`` for testing; optionally dump raw predictions to ``out``.

    Args:
        cfg (Config): The loaded config, updated in place.
        config_path (str): Its file, used for the default work dir.
        checkpoint (str): The weights to test (``cfg.load_from``).
        work_dir (str, optional): ``--work-dir``. Defaults to None (config, then
            ``./work_dirs/<config name>``).
        out (str, optional): ``--out``: a ``.pkl`` file the raw predictions are dumped to by a
            ``DumpResults`` metric added to the test evaluator. Defaults to None (no dump).
        launcher (str): Job launcher. Defaults to ``'none'``.

    Returns:
        Config: ``cfg`` itself, updated.

    Raises:
        ValueError: If ``out`` does not end with ``.pkl`` or ``.pickle``.
    """
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


class _ResolvedConfigInLogDir:
    """Runner mix-in: write the resolved config into the run's log dir.

    mmengine writes it to ``work_dir/<config file name>``, which *is* the input config when the
    config lives in its own work dir (the quick-start layout): a test run would then rewrite the
    user's config with its ``load_from`` and ``--cfg-options``.
    """

    def dump_config(self) -> None:
        name = osp.basename(self.cfg.filename) if self.cfg.filename else f'{self.timestamp}.py'
        path = osp.join(self.log_dir, name)
        self.cfg.dump(path)
        self.logger.info(f'Resolved config written to {path}')


def build_runner(cfg: Config) -> Runner:
    """Build the runner a config asks for (``runner_type``) or mmengine's default one.

    The runner writes its resolved config into its log dir (``work_dir/<timestamp>/``), never
    over the input config file, and keeps mmengine's start-of-run report (environment, config
    dump, hook order) in the log file, off the console.

    Args:
        cfg (Config): A config prepared by :func:`merge_train_args` or :func:`merge_test_args`.

    Returns:
        Runner: The runner, ready for ``train()`` or ``test()``.
    """
    runner_cls = cfg.get('runner_type', Runner)
    if isinstance(runner_cls, str):
        runner_cls = RUNNERS.get(runner_cls)
        if runner_cls is None:
            raise KeyError(f'runner_type {cfg.runner_type!r} is not in the RUNNERS registry '
                           '(is the module that registers it in custom_imports?)')
    runner_cls = type(runner_cls.__name__,
                      (_ResolvedConfigInLogDir, QuietSetupLogsMixin, runner_cls), {})
    return runner_cls.from_cfg(cfg)
