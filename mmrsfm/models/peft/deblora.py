"""debLoRA (stage 3): a second LoRA ``g_phi`` on the LoRA-adapted backbone ``f_theta``, trained so
that its features match the calibrated features ``z_tilde`` of :mod:`.calibration`.

The three stages, one command each (see ``configs/deblora/README.md``):

1. LoRA fine-tuning of the backbone (``ImageClassifier`` with a ``LoRAModel`` backbone);
2. clustering + calibration of the adapted training features
   (``tools/deblora/cluster_features.py``): besides the calibration ``.npz``, it writes the
   stage-3 initial weights (:func:`deblora_init_state`: ``f_theta`` with its LoRA merged, and the
   calibration);
3. debLoRA: this model, ``min E ||g_phi(x) - z_tilde(x)||^2``; labels only pick the target.
   It builds from its config alone; ``init_cfg=dict(type='Pretrained', checkpoint=<stage-2
   init file>)`` loads ``f_theta`` and the calibration when ``init_weights()`` runs (the Runner
   calls it before training).

Its backbone is exported with ``tools/model_converters/export_lora_backbone.py`` and evaluated by a
linear probe with per-group macro-F1 (:class:`mmrsfm.evaluation.LongTailF1`). For detection,
:class:`~mmrsfm.models.peft.DetDebLoRA` (``det_deblora.py``) does the same on object features.
"""
from __future__ import annotations

import copy
from typing import Dict, List, Optional, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from torch import nn

from .calibration import Calibration
from .lora_merge import merge_lora


def _module_cfg(backbone: dict) -> dict:
    """The plain backbone config inside a ``LoRAModel`` config (or the config itself).

    Args:
        backbone (dict): A ``LoRAModel`` config or a plain backbone config.

    Returns:
        dict: A copy of the plain backbone config, with ``init_cfg=None``: the weights come from
        DebLoRA's own ``init_cfg`` or checkpoint, never from a file read at build time.
    """
    cfg = copy.deepcopy(dict(backbone))
    module = dict(cfg['module']) if _is_lora_cfg(cfg) else cfg
    return dict(module, init_cfg=None)


def _is_lora_cfg(cfg: dict) -> bool:
    """Whether ``cfg`` is a ``LoRAModel`` config (``type`` with or without the ``mmpretrain.``
    scope, which configs of other toolboxes need).

    Args:
        cfg (dict): A module config.

    Returns:
        bool: True for ``'LoRAModel'`` and ``'mmpretrain.LoRAModel'``.
    """
    return cfg.get('type') in ('LoRAModel', 'mmpretrain.LoRAModel')


def _base_keys(lora_module: nn.Module) -> Dict[str, str]:
    """Map the plain-module key of every base weight of ``lora_module`` to its own key.

    Args:
        lora_module (nn.Module): A module with ``LoRALinear`` layers inserted (a ``LoRAModel``'s
            ``module``).

    Returns:
        dict[str, str]: ``{'layers.0.attn.qkv.weight': 'layers.0.attn.qkv.original_layer.weight',
        'cls_token': 'cls_token', ...}``; the LoRA weights are left out.
    """
    return {key.replace('.original_layer.', '.'): key
            for key in lora_module.state_dict() if '.lora_' not in key}


def _pretrained_files(init_cfg: Union[dict, List[dict], None]) -> List[str]:
    """The checkpoints of the ``Pretrained`` entries of an ``init_cfg``.

    Args:
        init_cfg (dict | list[dict], optional): An mmengine ``init_cfg``.

    Returns:
        list[str]: Their ``checkpoint`` values, in order (empty without ``Pretrained`` entries).
    """
    cfgs = [init_cfg] if isinstance(init_cfg, dict) else list(init_cfg or [])
    return [str(cfg.get('checkpoint')) for cfg in cfgs if cfg.get('type') == 'Pretrained']


@MODELS.register_module()
class DebLoRA(BaseModel):
    """De-biased LoRA: learn ``g_phi`` so that ``g_phi(x)`` matches the calibrated ``z_tilde``.

    The frozen teacher ``f_theta`` (the stage-1 backbone, LoRA merged into its base weights) gives
    ``z`` (B, C); the student is ``f_theta`` with a new LoRA ``g_phi``; the loss is the MSE between
    the student's last output (B, C) and ``alpha_y z + (1 - alpha_y) mu_hat_y``.

    Building reads no file. The weights come from one of:

    * ``init_cfg=dict(type='Pretrained', checkpoint=...)`` naming the stage-2 init file
      (written by ``tools/deblora/cluster_features.py``, see :func:`deblora_init_state`), applied
      by :meth:`init_weights`: the teacher (``teacher.*``) and the calibration buffers;
    * a stage-3 checkpoint (``load_checkpoint``, ``--resume``, the export and analysis tools),
      which holds the teacher, the calibration buffers and the student's LoRA weights.

    The student's base weights are not saved (as mmpretrain's ``LoRAModel`` does): they are
    ``f_theta`` by definition, copied from the teacher at build time, after :meth:`init_weights`
    and whenever a state dict holding teacher weights is loaded.

    Stage-3 checkpoints of earlier mmrsfm versions hold the student's LoRA weights only
    (``LoRAModel``'s state-dict hook dropped every other key of the model). They load into a
    DebLoRA that already has ``f_theta`` and a calibration (the Runner's ``resume`` /
    ``load_from``, which run :meth:`init_weights` first); loaded into one without (a model built
    from its config, as the export and analysis tools do) they raise :class:`DebLoRAStateError`,
    which those tools report with the file's name.

    Args:
        backbone (dict): Config of the stage-1 backbone, usually
            ``dict(type='LoRAModel', module=dict(type='VisionTransformer', ...), ...)``. Only its
            architecture is used: the ``init_cfg`` of its ``module`` (the foundation-model
            weights of stage 1) is ignored, since ``f_theta`` comes with the stage-2 file.
        lora (dict): ``g_phi``: ``dict(alpha=..., rank=..., targets=[dict(type='qkv')],
            drop_rate=...)``, the arguments of mmpretrain's ``LoRAModel`` but ``module``.
        num_classes (int, optional): Rows of the calibration buffers. Defaults to None (the
            ``num_classes`` of the data preprocessor, e.g. a ``ClsDataPreprocessor``).
        feat_dim (int, optional): Width ``C`` of the teacher's last output, the columns of
            ``centres``. Defaults to None (the backbone's ``embed_dims``, as mmpretrain's
            ViTs with ``out_type='cls_token'`` output).
        data_preprocessor (dict, optional): Data preprocessor config. Defaults to None
            (``dict(type='ClsDataPreprocessor')``).
        init_cfg (dict | list[dict], optional): mmengine initialisation config, normally
            ``dict(type='Pretrained', checkpoint=<stage-2 init file>)``. Defaults to None.

    Attributes:
        centres (torch.Tensor): Buffer (num_classes, C), the de-biased centres ``mu_hat``.
            Zeros until a calibration is loaded.
        alpha (torch.Tensor): Buffer (num_classes,), the calibration weights. NaN until a
            calibration is loaded: :meth:`loss` refuses to train without one.

    Examples:
        >>> import torch
        >>> from mmengine.logging import MMLogger
        >>> from mmpretrain.registry import MODELS
        >>> _ = MMLogger.get_instance('example', log_level='WARNING')  # no init-weights report
        >>> vit = dict(type='VisionTransformer', img_size=32, patch_size=8, out_type='cls_token',
        ...            arch=dict(embed_dims=64, num_layers=2, num_heads=2,
        ...                      feedforward_channels=128))
        >>> model = MODELS.build(dict(
        ...     type='DebLoRA',
        ...     backbone=dict(type='LoRAModel', module=vit, alpha=4, rank=4,
        ...                   targets=[dict(type='qkv')]),
        ...     lora=dict(alpha=4, rank=4, targets=[dict(type='qkv')]),
        ...     num_classes=15))
        >>> model.centres.shape, model.calibrated
        (torch.Size([15, 64]), False)
        >>> model.extract_feat(torch.rand(2, 3, 32, 32)).shape
        torch.Size([2, 64])
    """

    def __init__(self,
                 backbone: dict,
                 lora: dict,
                 num_classes: Optional[int] = None,
                 feat_dim: Optional[int] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='ClsDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            data_preprocessor.setdefault('type', 'ClsDataPreprocessor')
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)

        module_cfg = _module_cfg(backbone)
        # f_theta has the architecture of the stage-1 backbone with its LoRA merged: built as
        # such (random weights), so that the stage-2 file and stage-3 checkpoints fit it.
        adapted_cfg = dict(backbone, module=module_cfg) if _is_lora_cfg(backbone) else module_cfg
        teacher = merge_lora(MODELS.build(adapted_cfg))
        teacher.requires_grad_(False)
        teacher.eval()  # (some mmpretrain backbones' train() returns None, so no chaining)
        self.teacher = teacher

        # Scoped: resolves under the default scope of any toolbox (mmrotate for detection).
        self.student = MODELS.build(dict(type='mmpretrain.LoRAModel', module=module_cfg, **lora))
        self._base_keys = _base_keys(self.student.module)
        self._copy_teacher_to_student()
        self.register_state_dict_post_hook(_restore_dropped_keys)
        self.register_load_state_dict_pre_hook(_complete_loaded_state)

        if num_classes is None:
            num_classes = getattr(self.data_preprocessor, 'num_classes', None)
        if feat_dim is None:
            feat_dim = getattr(teacher, 'embed_dims', None)
        if num_classes is None or feat_dim is None:
            raise ValueError(
                f'DebLoRA needs num_classes and feat_dim to size its calibration buffers; got '
                f'num_classes={num_classes} (nor data_preprocessor.num_classes) and '
                f'feat_dim={feat_dim} (nor an embed_dims attribute of the backbone)')
        self.register_buffer('centres', torch.zeros(num_classes, feat_dim))
        self.register_buffer('alpha', torch.full((num_classes, ), float('nan')))

    @property
    def calibrated(self) -> bool:
        """bool: Whether a calibration has been loaded (no NaN in :attr:`alpha`)."""
        return not bool(torch.isnan(self.alpha).any())

    def init_weights(self) -> None:
        """Apply ``init_cfg`` (normally the stage-2 init file) as mmengine's ``BaseModule`` does.

        The student's base weights are then the teacher's again, whatever the teacher got.

        Raises:
            DebLoRAStateError: The ``init_cfg`` checkpoint holds no calibration, or one whose
                shape does not fit; the message names the file.
        """
        try:
            super().init_weights()
        except DebLoRAStateError as err:
            raise DebLoRAStateError(f'{", ".join(_pretrained_files(self.init_cfg))}: {err}') \
                from None
        self._copy_teacher_to_student()

    def train(self, mode: bool = True) -> 'DebLoRA':
        """Set the training mode; the teacher always stays in eval mode.

        Args:
            mode (bool): Training (True) or eval (False) mode. Defaults to True.

        Returns:
            DebLoRA: The model itself.
        """
        super().train(mode)
        self.teacher.eval()  # f_theta is fixed: no dropout / drop-path noise in the targets
        return self

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Student features ``g_phi(x)``.

        Args:
            inputs (torch.Tensor): (B, 3, H, W) preprocessed images.

        Returns:
            torch.Tensor: (B, C) last output of the student backbone.
        """
        return _last(self.student(inputs))

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor') -> Union[torch.Tensor, Dict[str, torch.Tensor]]:
        """Student features (``mode='tensor'``) or the debLoRA loss (``mode='loss'``).

        Args:
            inputs (torch.Tensor): (B, 3, H, W) preprocessed images.
            data_samples (list[DataSample], optional): Samples with ``gt_label``, needed for
                ``mode='loss'``. Defaults to None.
            mode (str): ``'tensor'`` or ``'loss'``. Defaults to ``'tensor'``.

        Returns:
            torch.Tensor | dict[str, torch.Tensor]: (B, C) features, or ``{'loss_deblora': ...}``.

        Raises:
            ValueError: ``mode='predict'`` or another mode (evaluate the exported backbone with a
                linear probe instead).
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs)
        raise ValueError(f'DebLoRA supports mode "loss" and "tensor", not {mode!r}: evaluate the '
                         'exported backbone with the linear-probe config instead')

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """MSE between ``g_phi(x)`` and ``alpha_y f_theta(x) + (1 - alpha_y) mu_hat_y``.

        Args:
            inputs (torch.Tensor): (B, 3, H, W) preprocessed images.
            data_samples (list[DataSample]): B samples with ``gt_label`` (picks the target only).

        Returns:
            dict[str, torch.Tensor]: ``loss_deblora``, a scalar.

        Raises:
            RuntimeError: No calibration has been loaded.
            ValueError: The teacher's output width differs from the calibration's.
        """
        self._require_calibration()
        labels = torch.cat([sample.gt_label for sample in data_samples]).to(inputs.device)
        with torch.no_grad():
            target = self.calibrated_target(_last(self.teacher(inputs)), labels)
        return dict(loss_deblora=F.mse_loss(self.extract_feat(inputs), target))

    def calibrated_target(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """``z_tilde = alpha_y z + (1 - alpha_y) mu_hat_y`` for teacher features ``z``.

        Args:
            z (torch.Tensor): (N, C) teacher features.
            labels (torch.Tensor): (N,) their class indices ``y``.

        Returns:
            torch.Tensor: (N, C) calibrated targets.

        Raises:
            ValueError: The features' width differs from the calibration's.
        """
        if z.shape[-1] != self.centres.shape[-1]:
            raise ValueError(f'DebLoRA: the teacher outputs {z.shape[-1]} channels, the '
                             f'calibration centres have {self.centres.shape[-1]} (feat_dim)')
        alpha = self.alpha[labels].unsqueeze(1)
        return alpha * z + (1 - alpha) * self.centres[labels]

    def _require_calibration(self) -> None:
        """Raise a RuntimeError naming the fix if no calibration has been loaded."""
        if not self.calibrated:
            raise RuntimeError(
                'DebLoRA has no calibration (its alpha buffer is NaN): set model.init_cfg = '
                "dict(type='Pretrained', checkpoint=<the stage-3 init file written by "
                'tools/deblora/cluster_features.py>) (applied by init_weights(), which the '
                'Runner calls), or load a stage-3 checkpoint')

    def merged_backbone(self) -> nn.Module:
        """The de-biased backbone ``g_phi`` merged into plain layers.

        Returns:
            nn.Module: A copy of the student with its LoRA folded into the base weights.
        """
        return merge_lora(copy.deepcopy(self.student))

    def _copy_teacher_to_student(self) -> None:
        """Set the student's base weights to the teacher's (``f_theta``)."""
        teacher = self.teacher.state_dict()
        missing = set(teacher) - set(self._base_keys)
        if missing:
            raise KeyError(f'f_theta weights without a counterpart in the LoRA student: '
                           f'{sorted(missing)[:5]}')
        self.student.module.load_state_dict(
            {own: teacher[plain] for plain, own in self._base_keys.items()}, strict=False)


class DebLoRAStateError(ValueError):
    """A state dict that would leave a :class:`DebLoRA` incomplete or does not fit it.

    Raised while loading (checkpoint or ``init_cfg``) when the calibration buffers have another
    shape than the model's, or when a state dict without teacher and calibration (a stage-3
    checkpoint written before they were saved) is loaded into a model that has none.
    """


def _restore_dropped_keys(model: DebLoRA, state_dict: Dict[str, torch.Tensor], prefix: str,
                          local_metadata: dict) -> None:
    """State-dict post-hook of :class:`DebLoRA`: put back the teacher and calibration keys.

    mmpretrain's ``LoRAModel`` (the student) removes every key without ``lora_`` from the whole
    state dict being written, not only from its own part, so the teacher's weights and the
    calibration buffers, written before it, are gone when this hook runs after it.

    Args:
        model (DebLoRA): The model whose state dict is written.
        state_dict (dict[str, torch.Tensor]): The state dict (edited in place).
        prefix (str): Key prefix of ``model`` in ``state_dict``.
        local_metadata (dict): Metadata torch passes to state-dict hooks (unused).
    """
    for key, value in model.teacher.state_dict().items():
        state_dict.setdefault(f'{prefix}teacher.{key}', value)
    for name in ('centres', 'alpha'):
        state_dict.setdefault(prefix + name, getattr(model, name).detach())


def _complete_loaded_state(model: DebLoRA, state_dict: Dict[str, torch.Tensor], prefix: str,
                           *args) -> None:
    """Load-state-dict pre-hook of :class:`DebLoRA`: check and complete ``state_dict``.

    The student's base weights are the teacher's: each ``teacher.<key>`` present gives the
    matching ``student.module.<key>`` (unless the state dict has it).

    Args:
        model (DebLoRA): The model being loaded.
        state_dict (dict[str, torch.Tensor]): The state dict being loaded (a copy; edited).
        prefix (str): Key prefix of ``model`` in ``state_dict``.
        *args: The other arguments torch passes to load-state-dict pre-hooks (unused).

    Raises:
        DebLoRAStateError: ``centres`` or ``alpha`` has another shape than the model's, or the
            state dict has no calibration and neither has the model (a checkpoint written
            before the calibration was saved, loaded into a model built from its config).
    """
    for name in ('centres', 'alpha'):
        value = state_dict.get(prefix + name)
        expected = getattr(model, name).shape
        if value is not None and value.shape != expected:
            raise DebLoRAStateError(
                f'calibration {name!r} has shape {tuple(value.shape)}, this DebLoRA expects '
                f'{tuple(expected)} (num_classes, feat_dim); build it with the num_classes / '
                'feat_dim of the stage-2 run')
    if prefix + 'alpha' not in state_dict and not model.calibrated:
        raise DebLoRAStateError(
            'no teacher (f_theta) and calibration in these weights, and the DebLoRA has none '
            "loaded. DebLoRA's init_cfg takes the stage-3 init file that "
            'tools/deblora/cluster_features.py writes (--init-out), not a stage-1 checkpoint. '
            'A stage-3 checkpoint written before mmrsfm saved teacher and calibration holds '
            "only the student's LoRA weights: load the init file first (init_cfg + "
            "init_weights(), as the Runner's resume does; rerun cluster_features.py with the "
            "stage-1 run's flags and seed to write it) or retrain stage 3")
    for plain, own in model._base_keys.items():
        value = state_dict.get(f'{prefix}teacher.{plain}')
        if value is not None:
            state_dict.setdefault(f'{prefix}student.module.{own}', value)


def deblora_init_state(adapted: nn.Module, calibration: Calibration) -> Dict[str, torch.Tensor]:
    """The state dict a :class:`DebLoRA`'s ``init_cfg`` loads: ``f_theta`` and the calibration.

    Args:
        adapted (nn.Module): The stage-1 backbone with its LoRA weights loaded (a ``LoRAModel``,
            e.g. ``classifier.backbone``); it is copied, not changed.
        calibration (Calibration): Stage 2's calibration of that backbone's features.

    Returns:
        dict[str, torch.Tensor]: ``teacher.*`` (the backbone with its LoRA merged) and the
        ``centres`` (num_classes, C) and ``alpha`` (num_classes,) buffers, float32. Save it as
        ``{'state_dict': ...}`` and name the file in
        ``init_cfg=dict(type='Pretrained', checkpoint=...)``.

    Examples:
        >>> import numpy as np
        >>> from mmengine.logging import MMLogger
        >>> from mmpretrain.registry import MODELS
        >>> from mmrsfm.models.peft import Calibration, deblora_init_state
        >>> _ = MMLogger.get_instance('example', log_level='WARNING')  # no init-weights report
        >>> vit = dict(type='VisionTransformer', img_size=32, patch_size=8,
        ...            out_type='cls_token', arch=dict(embed_dims=64, num_layers=2, num_heads=2,
        ...                                            feedforward_channels=128))
        >>> adapted = MODELS.build(dict(type='LoRAModel', module=vit, alpha=4, rank=4,
        ...                             targets=[dict(type='qkv')]))
        >>> calib = Calibration(np.zeros((15, 64), np.float32), np.ones(15, np.float32))
        >>> state = deblora_init_state(adapted, calib)
        >>> state['alpha'].shape, 'teacher.layers.0.attn.qkv.weight' in state
        (torch.Size([15]), True)
    """
    teacher = merge_lora(copy.deepcopy(adapted))
    state = {f'teacher.{k}': v.detach().clone() for k, v in teacher.state_dict().items()}
    state['centres'] = torch.as_tensor(calibration.centres, dtype=torch.float32)
    state['alpha'] = torch.as_tensor(calibration.alpha, dtype=torch.float32)
    return state


def _last(outputs: Union[torch.Tensor, tuple, list]) -> torch.Tensor:
    """The last of a backbone's outputs (or the output itself).

    Args:
        outputs (torch.Tensor | tuple | list): A backbone's output(s).

    Returns:
        torch.Tensor: The last output.
    """
    return outputs[-1] if isinstance(outputs, (tuple, list)) else outputs
