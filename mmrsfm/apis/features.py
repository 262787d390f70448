"""Feature extraction over a config's dataset, for debLoRA clustering and feature analysis: one
feature per image (classification) or per ground-truth object (detection)."""
from __future__ import annotations

import copy
from typing import List, Optional, Tuple

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
    if f'{split}_dataloader' not in cfg:
        raise KeyError(f'the config has no {split}_dataloader')
    loader = _feature_loader(cfg, split, batch_size,
                             copy.deepcopy(cfg.test_dataloader.dataset.pipeline))
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


def extract_object_features(model: torch.nn.Module,
                            cfg: Config,
                            split: str = 'train',
                            batch_size: int = 2) -> Tuple[np.ndarray, np.ndarray]:
    """Features (M, C) and labels (M,) of every ground-truth object of ``cfg.<split>_dataloader``.

    Each image goes through the split's own pipeline without its random transforms (any
    ``Random*`` step: flips, rotations, crops), so the boxes are those of the image the model
    sees; the backbone's last feature map is pooled inside each box of ``gt_instances``
    (ignored instances are left out) with
    :func:`mmrsfm.models.peft.object_features.pool_object_features`. Labels are only read, never
    fed to the model.

    Args:
        model (torch.nn.Module): A detector with ``data_preprocessor`` and a ViT-like
            ``backbone`` (its last output a ``(B, C, H, W)`` map, its stride the patch size), e.g.
            the stage-1 rotated FCOS with a ``LoRAModel`` backbone; or a
            :class:`~mmrsfm.models.peft.DetDebLoRA` (its student's objects).
        cfg (Config): The config whose ``<split>_dataloader`` is read.
        split (str): ``'train'``, ``'val'`` or ``'test'``. Defaults to ``'train'``.
        batch_size (int): Images per forward pass. Defaults to 2.

    Returns:
        tuple[np.ndarray, np.ndarray]: Features (M, C) as float32 and labels (M,) as int64, in
        dataset order, then box order.

    Raises:
        KeyError: If the config has no ``<split>_dataloader``.
        ValueError: If the dataset is wrapped (no ``pipeline``), or its pipeline resizes the
            image before loading the boxes (they would not match the image).
    """
    from mmrsfm.models.peft import DetDebLoRA
    from mmrsfm.models.peft.object_features import backbone_stride, pool_object_features

    key = f'{split}_dataloader'
    if key not in cfg:
        raise KeyError(f'the config has no {key}')
    pipeline = [step for step in copy.deepcopy(cfg[key].dataset.get('pipeline') or [])
                if not _step_name(step).startswith('Random')]
    names = [_step_name(step) for step in pipeline]
    load = _first(names, 'LoadAnnotations')
    resize = _first(names, 'Resize')
    if load is None or (resize is not None and resize < load):
        raise ValueError(f'{key}.dataset.pipeline {names} must load the boxes (LoadAnnotations) '
                         'before any Resize, so that they match the image; the training '
                         "pipeline does (mmrotate's val pipeline does not)")
    loader = _feature_loader(cfg, split, batch_size, pipeline)
    if not isinstance(model, DetDebLoRA):
        stride = backbone_stride(model.backbone)

    feats, labels = [], []
    progress = ProgressBar(len(loader.dataset))
    with torch.no_grad():
        for data in loader:
            data = model.data_preprocessor(data, False)
            samples = data['data_samples']
            if isinstance(model, DetDebLoRA):
                out = model.object_features(data['inputs'], samples)
            else:
                fmap = model.backbone(data['inputs'])
                fmap = fmap[-1] if isinstance(fmap, (tuple, list)) else fmap
                out = pool_object_features(fmap, [s.gt_instances.bboxes for s in samples],
                                           stride)
            feats.append(out.float().cpu().numpy())
            labels.append(torch.cat([s.gt_instances.labels for s in samples]).cpu().numpy())
            for _ in range(len(samples)):
                progress.update()
    print()
    return np.concatenate(feats), np.concatenate(labels).astype(np.int64)


def _feature_loader(cfg: Config, split: str, batch_size: int, pipeline: List[dict]):
    """An in-order, unshuffled loader of ``cfg.<split>_dataloader``'s dataset with ``pipeline``.

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
    dataset_cfg.pipeline = pipeline
    loader_cfg.update(batch_size=batch_size, num_workers=loader_cfg.get('num_workers', 0),
                      sampler=dict(type='DefaultSampler', shuffle=False))
    loader_cfg.pop('persistent_workers', None)
    loader_cfg.pop('batch_sampler', None)
    return Runner.build_dataloader(loader_cfg)


def _step_name(step: dict) -> str:
    """The type of a pipeline step without its scope (``'mmdet.Resize'`` -> ``'Resize'``)."""
    return str(step.get('type', '')).split('.')[-1]


def _first(names: List[str], suffix: str) -> Optional[int]:
    """Index of the first name ending with ``suffix``, or None."""
    return next((i for i, name in enumerate(names) if name.endswith(suffix)), None)
