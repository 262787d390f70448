"""Checks that turn silent config mistakes into clear messages before a run starts.

OpenMMLab configs are plain Python: a misspelled top-level key (``train_dataloder``) is just an
unused variable, and ``--cfg-options optim_wrapper.optimizer.lr=abc`` stores the string ``'abc'``
that fails much later, far from its cause. The helpers here catch both with the key named.
"""
from __future__ import annotations

import difflib
import logging
from numbers import Number
from typing import Any, Dict, List, Optional, Tuple

from mmengine.config import Config
from mmengine.logging import print_log

#: Top-level keys read by mmengine's ``Runner.from_cfg`` and by the OpenMMLab entry points.
KNOWN_TOP_LEVEL_KEYS: Tuple[str, ...] = (
    'model', 'work_dir', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'train_cfg',
    'val_cfg', 'test_cfg', 'auto_scale_lr', 'optim_wrapper', 'param_scheduler', 'val_evaluator',
    'test_evaluator', 'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
    'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level', 'visualizer', 'default_scope',
    'randomness', 'experiment_name', 'custom_imports', 'model_wrapper_cfg', 'runner_type',
    'compile', 'vis_backends', 'tta_model', 'strategy')

_MISSING = object()


def _close_known_key(key: str) -> Optional[str]:
    matches = difflib.get_close_matches(key, KNOWN_TOP_LEVEL_KEYS, n=1, cutoff=0.8)
    return matches[0] if matches else None


def find_misspelled_top_level_keys(cfg: Config) -> Dict[str, str]:
    """Top-level keys that look like a misspelling of a key the runner reads.

    Configs legitimately hold helper variables (``data_root``, ``train_pipeline``, ...), so only
    names close to a known key (:data:`KNOWN_TOP_LEVEL_KEYS`, ``difflib`` ratio >= 0.8) but not
    equal to one are reported.

    Args:
        cfg (Config): A loaded config.

    Returns:
        dict[str, str]: ``{unknown key: the known key it resembles}``.
    """
    found = {}
    for key in cfg.keys():
        if key in KNOWN_TOP_LEVEL_KEYS or key.startswith('_'):
            continue
        close = _close_known_key(key)
        if close is not None and close not in cfg:
            found[key] = close
    return found


def warn_misspelled_top_level_keys(cfg: Config, config_path: str) -> Dict[str, str]:
    """Log a warning for every key :func:`find_misspelled_top_level_keys` reports.

    Args:
        cfg (Config): A loaded config.
        config_path (str): The config file, named in the message.

    Returns:
        dict[str, str]: What was reported.
    """
    found = find_misspelled_top_level_keys(cfg)
    for key, close in found.items():
        print_log(f'{config_path}: top-level key {key!r} is not read by the runner; did you '
                  f'mean {close!r}? (the config has no {close!r}, so its default is used)',
                  logger='current', level=logging.WARNING)
    return found


def _lookup(cfg: Any, parts: List[str]) -> Any:
    node = cfg
    for part in parts:
        if isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return _MISSING
    return node


def _is_number(value: Any) -> bool:
    return isinstance(value, Number) and not isinstance(value, bool)


def check_cfg_options(cfg: Config, options: Dict[str, Any], config_path: str) -> None:
    """Check ``--cfg-options`` against the values they replace, before they are merged.

    A value whose type cannot replace the current one (a string where the config has a number
    or a bool) is an error naming the key; a key that does not exist yet is merged (OpenMMLab
    allows adding keys) with a warning, suggesting a close existing sibling.

    Args:
        cfg (Config): The config before the options are merged.
        options (dict): ``{dotted.key: value}`` as parsed by mmengine's ``DictAction``.
        config_path (str): The config file, named in messages.

    Raises:
        ValueError: A value's type does not fit the key it replaces.
    """
    # Config wraps its ConfigDict (a dict) without being one.
    root = cfg._cfg_dict if isinstance(cfg, Config) else cfg
    for key, value in options.items():
        parts = key.split('.')
        current = _lookup(root, parts)
        if current is _MISSING:
            parent = _lookup(root, parts[:-1])
            hint = ''
            if isinstance(parent, dict):
                close = difflib.get_close_matches(parts[-1], [str(k) for k in parent], n=1,
                                                  cutoff=0.75)
                hint = f'; did you mean {".".join(parts[:-1] + close)!r}?' if close else ''
            print_log(f'{config_path}: --cfg-options {key} adds a key the config does not '
                      f'have{hint}', logger='current', level=logging.WARNING)
            continue
        if current is None or value is None:
            continue
        expected = None
        if isinstance(current, bool):
            expected = 'True or False' if not isinstance(value, bool) else None
        elif _is_number(current) and not _is_number(value):
            expected = 'a number'
        if expected is not None:
            raise ValueError(f'{config_path}: --cfg-options {key}={value!r}: expected {expected} '
                             f'(the config has {current!r}), got {type(value).__name__} '
                             f'{value!r}')
