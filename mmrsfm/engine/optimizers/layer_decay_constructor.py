"""Layer-wise learning-rate decay for plain-ViT backbones inside any OpenMMLab model.

mmpretrain's ``LearningRateDecayOptimWrapperConstructor`` needs the model itself to implement
``get_layer_depth`` (classifiers do; mmdet / mmrotate detectors and mmseg segmentors do not),
and mmseg's / mmdet's constructors look only for BEiT / ConvNeXt class names. This one reads the
parameter names of mmpretrain's ``VisionTransformer`` (and of :class:`~mmrsfm.models.ViTPyramid`,
which shares them) or timm's ViT under a configurable backbone prefix, and refuses to run when
nothing matches, instead of silently training without decay.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor

from mmrsfm.registry import register_in_toolboxes

#: Parameters of the ViT stem (layer id 0) besides ``patch_embed.*``.
STEM_NAMES = ('cls_token', 'pos_embed', 'mask_token', 'dist_token', 'pre_norm')
#: Parameters never weight-decayed besides all 1-D ones (norm weights, biases).
NO_DECAY_NAMES = ('cls_token', 'pos_embed', 'mask_token', 'dist_token')
_BLOCK = re.compile(r'^(?:layers|blocks)\.(\d+)\.')


@register_in_toolboxes('OPTIM_WRAPPER_CONSTRUCTORS')
class ViTLayerDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Per-layer learning rates ``base_lr * decay ** (L + 1 - layer_id)`` for a ViT backbone.

    Layer ids: 0 for the stem (patch embedding, cls token, position embedding), ``i + 1`` for
    block ``i`` (``layers.i`` / ``blocks.i``), ``L + 1`` for everything else (the pyramid, the
    final norm, necks and heads), where ``L`` is the number of blocks. Weight decay is 0 for
    1-D parameters (norm weights, biases) and for the tokens / position embedding.

    Registered in the ``OPTIM_WRAPPER_CONSTRUCTORS`` registries of mmdet, mmrotate, mmseg and
    mmpretrain by :func:`mmrsfm.registry.register_in_toolboxes`, so a config of any of the four
    toolboxes names it as ``constructor='ViTLayerDecayOptimWrapperConstructor'``.

    Args:
        optim_wrapper_cfg (dict): The ``optim_wrapper`` config (``optimizer`` with its ``lr`` and
            ``weight_decay``, optional ``type`` of the wrapper, ``clip_grad``...).
        paramwise_cfg (dict, optional): ``layer_decay_rate`` (float, required; 1.0 disables the
            decay), ``num_layers`` (int, ``L``; by default the number of blocks found) and
            ``backbone_prefix`` (str, prefix of the ViT's parameter names; by default
            ``'backbone.'``). No other key is accepted. Defaults to None.

    Raises:
        ValueError: ``paramwise_cfg`` lacks ``layer_decay_rate`` or has another key; or (when
            the optimiser is built) no parameter name has the form
            ``<backbone_prefix>layers.<i>.*`` (or ``blocks.<i>``): the prefix does not match the
            model, so no layer would be decayed.

    Examples:
        >>> import torch.nn as nn
        >>> from mmengine.optim import build_optim_wrapper
        >>> from mmengine.registry import init_default_scope
        >>> init_default_scope('mmseg')
        >>> model = nn.Module()
        >>> model.backbone = nn.Module()
        >>> model.backbone.patch_embed = nn.Linear(4, 4)
        >>> model.backbone.layers = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)])
        >>> model.head = nn.Linear(4, 2)
        >>> optim_wrapper = build_optim_wrapper(model, dict(
        ...     optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
        ...     constructor='ViTLayerDecayOptimWrapperConstructor',
        ...     paramwise_cfg=dict(layer_decay_rate=0.9)))
        >>> sorted({round(g['lr_scale'], 2) for g in optim_wrapper.optimizer.param_groups})
        [0.73, 0.81, 0.9, 1.0]
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None) -> None:
        paramwise_cfg = dict(paramwise_cfg or {})
        unknown = set(paramwise_cfg) - {'layer_decay_rate', 'num_layers', 'backbone_prefix'}
        if unknown or 'layer_decay_rate' not in paramwise_cfg:
            raise ValueError('ViTLayerDecayOptimWrapperConstructor: paramwise_cfg takes '
                             'layer_decay_rate (required), num_layers, backbone_prefix; got '
                             f'{sorted(paramwise_cfg)}')
        super().__init__(optim_wrapper_cfg, paramwise_cfg)
        self.decay_rate = float(paramwise_cfg['layer_decay_rate'])
        self.num_layers = paramwise_cfg.get('num_layers')
        self.backbone_prefix = paramwise_cfg.get('backbone_prefix', 'backbone.')

    def layer_id(self, name: str, num_layers: int) -> int:
        """Layer id of parameter ``name`` in a model with ``num_layers`` ViT blocks.

        Args:
            name (str): Parameter name in the whole model, e.g. ``'backbone.layers.3.ln1.weight'``.
            num_layers (int): Number of ViT blocks ``L``.

        Returns:
            int: 0 for the stem, ``i + 1`` for block ``i``, ``L + 1`` for everything else.
        """
        if not name.startswith(self.backbone_prefix):
            return num_layers + 1
        rest = name[len(self.backbone_prefix):]
        block = _BLOCK.match(rest)
        if block:
            return int(block.group(1)) + 1
        if rest.startswith('patch_embed.') or rest.split('.')[0] in STEM_NAMES:
            return 0
        return num_layers + 1

    def _count_blocks(self, names: List[str]) -> int:
        blocks = {int(m.group(1)) for n in names if n.startswith(self.backbone_prefix)
                  for m in [_BLOCK.match(n[len(self.backbone_prefix):])] if m}
        if not blocks:
            examples = ', '.join(names[:5])
            raise ValueError(
                f'layer-wise lr decay: no parameter is named "{self.backbone_prefix}layers.<i>.*" '
                f'or "{self.backbone_prefix}blocks.<i>.*", so the decay would change nothing. '
                f'Set paramwise_cfg.backbone_prefix to the ViT\'s prefix (model parameters start '
                f'with: {examples} ...)')
        return max(blocks) + 1

    def add_params(self, params: List[dict], module: nn.Module, **kwargs) -> None:
        """Append one param group per (layer id, decay / no decay) of ``module`` to ``params``.

        Args:
            params (list[dict]): Param groups of the optimiser, extended in place.
            module (nn.Module): The whole model; parameters with ``requires_grad=False`` are
                left out.
            **kwargs: Ignored (mmengine's recursion arguments ``prefix``, ``is_dcn_module``).
        """
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        num_layers = self.num_layers or self._count_blocks([n for n, _ in named])
        groups: Dict[Tuple[int, bool], dict] = {}
        for name, param in named:
            layer_id = self.layer_id(name, num_layers)
            no_decay = (param.ndim <= 1 or name.endswith('.bias')
                        or name.split('.')[-1] in NO_DECAY_NAMES)
            key = (layer_id, no_decay)
            if key not in groups:
                scale = self.decay_rate**(num_layers + 1 - layer_id)
                groups[key] = dict(params=[], lr=self.base_lr * scale, lr_scale=scale,
                                   layer_id=layer_id)
                if self.base_wd is not None:
                    groups[key]['weight_decay'] = 0.0 if no_decay else self.base_wd
            groups[key]['params'].append(param)
        params.extend(groups[k] for k in sorted(groups))
        print_log(
            f'layer-wise lr decay {self.decay_rate} over {num_layers} blocks: '
            f'{len(groups)} param groups, lr scales '
            + ', '.join(f'{k[0]}:{groups[k]["lr_scale"]:.3g}' for k in sorted(groups)
                        if not k[1]), logger='current')
