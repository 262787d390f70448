"""Feature extraction over a config's dataset, for debLoRA clustering and feature analysis."""
from __future__ import annotations

import copy
from typing import Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, load_checkpoint
from mmengine.utils import ProgressBar


def build_model_from_checkpoint(cfg: Config, checkpoint: str) -> torch.nn.Module:
    """Build ``cfg.model`` in its toolbox's scope and load ``checkpoint`` (eval mode).

    The config's top-level ``data_preprocessor`` becomes the model's when the model config has
    none, as mmengine's ``Runner`` does.

    Args:
        cfg (Config): The config; ``default_scope`` (``'mmpretrain'`` when unset) selects the
            registry ``cfg.model`` is built from.
        checkpoint (str): Path or URL of the weights, loaded onto the CPU with mmengine's
            ``load_checkpoint``.

    Returns:
        torch.nn.Module: The model with the weights loaded, in eval mode.
    """
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    from mmpretrain.registry import MODELS
    model_cfg = copy.deepcopy(cfg.model)
    # As mmengine's Runner does: the top-level data_preprocessor is the model's default one.
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', copy.deepcopy(cfg.data_preprocessor))
    model = MODELS.build(model_cfg)
    load_checkpoint(model, checkpoint, map_location='cpu')
    model.eval()
    return model


def extract_features(model: torch.nn.Module,
                     cfg: Config,
                     split: str = 'train',
                     batch_size: int = 32) -> Tuple[np.ndarray, np.ndarray]:
    """Features (N, C) float32 and labels (N,) of every sample of ``cfg.<split>_dataloader``.

    The split's images go through the *test* pipeline (no augmentation) in dataset order. Features
    are the model's pre-logits (classifiers) or ``extract_feat`` output (debLoRA); labels are only
    read, never fed to the model.

    Args:
        model (torch.nn.Module): The model (e.g. from :func:`build_model_from_checkpoint`), with
            a ``data_preprocessor`` and an ``extract_feat``; a model with a ``head`` is asked
            for ``stage='pre_logits'``, and of a tuple of outputs the last one is kept.
        cfg (Config): The config whose ``<split>_dataloader`` and test pipeline are used.
        split (str): The dataloader to read, ``'train'``, ``'val'`` or ``'test'``.
            Defaults to ``'train'``.
        batch_size (int): Samples per forward pass. Defaults to 32.

    Returns:
        tuple[np.ndarray, np.ndarray]: Features (N, C) as float32 and labels (N,) as int64,
        in dataset order.

    Raises:
        KeyError: If the config has no ``<split>_dataloader``.
        ValueError: If that dataloader's dataset has no ``pipeline`` (a wrapped dataset).
    """
    key = f'{split}_dataloader'
    if key not in cfg:
        raise KeyError(f'the config has no {key}')
    loader_cfg = copy.deepcopy(cfg[key])
    dataset_cfg = loader_cfg.dataset
    if 'pipeline' not in dataset_cfg:
        raise ValueError(f'{key}.dataset ({dataset_cfg.get("type")}) has no pipeline to replace; '
                         'feature extraction supports plain (non-wrapped) datasets')
    dataset_cfg.pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    loader_cfg.update(batch_size=batch_size, num_workers=loader_cfg.get('num_workers', 0),
                      sampler=dict(type='DefaultSampler', shuffle=False))
    loader_cfg.pop('persistent_workers', None)
    loader = Runner.build_dataloader(loader_cfg)

    feats, labels = [], []
    progress = ProgressBar(len(loader.dataset))
    with torch.no_grad():
        for data in loader:
            data = model.data_preprocessor(data, False)
            if hasattr(model, 'head'):
                out = model.extract_feat(data['inputs'], stage='pre_logits')
            else:
                out = model.extract_feat(data['inputs'])
            out = out[-1] if isinstance(out, (tuple, list)) else out
            feats.append(out.float().cpu().numpy())
            labels.append(torch.cat([s.gt_label for s in data['data_samples']]).cpu().numpy())
            for _ in range(len(out)):
                progress.update()
    print()
    return np.concatenate(feats), np.concatenate(labels).astype(np.int64)
