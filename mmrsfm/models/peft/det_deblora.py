"""debLoRA stage 3 for detection: the calibration targets are object features.

Stage 1 trains a detector (mmrotate's rotated FCOS) whose backbone is a LoRA-adapted ViT; stage 2
(``tools/deblora/cluster_features.py`` on that detector) pools one feature per ground-truth box
of the training set from the backbone's last feature map
(:func:`~mmrsfm.models.peft.object_features.pool_object_features`), clusters them and writes the
calibration and ``f_theta``; this stage trains ``g_phi`` so that the pooled features of the
student match the calibrated pooled features of the teacher; stage 4 trains the detector on the
exported de-biased backbone.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F

from mmrsfm.registry import register_in_toolboxes

from .deblora import DebLoRA, _last
from .object_features import DEFAULT_POOL, backbone_stride, pool_object_features


@register_in_toolboxes('MODELS', ('mmdet', 'mmrotate', 'mmpretrain'))
class DetDebLoRA(DebLoRA):
    """debLoRA on object features: ``g_phi`` learns the calibrated features of each object.

    For every ground-truth box ``b`` of class ``y`` in a batch, ``z_b`` is the teacher's last
    feature map (``f_theta``, the stage-1 backbone with its LoRA merged) pooled inside ``b``
    (:func:`~mmrsfm.models.peft.object_features.pool_object_features`); the loss is the MSE
    between the student's pooled feature and ``alpha_y z_b + (1 - alpha_y) mu_hat_y``, averaged
    over objects and channels. Boxes are read from ``data_samples[i].gt_instances`` (``bboxes``,
    rotated or horizontal, and ``labels``); ignored instances are left out. Everything else
    (building from the config alone, ``init_cfg`` with the stage-2 init file, checkpoints,
    :meth:`merged_backbone`) is :class:`DebLoRA`'s.

    Args:
        backbone (dict): Config of the stage-1 backbone, e.g. ``dict(type='mmpretrain.LoRAModel',
            module=dict(type='mmpretrain.VisionTransformer', out_type='featmap', ...), ...)``;
            its last output must be a ``(B, C, H, W)`` map. Give the ``mmpretrain.`` scope in
            configs of another toolbox.
        lora (dict): ``g_phi``: the arguments of mmpretrain's ``LoRAModel`` but ``module``.
        num_classes (int): Number of object classes (rows of the calibration).
        feat_dim (int, optional): Channels ``C`` of the pooled map. Defaults to None (the
            backbone's ``embed_dims``).
        feat_stride (float, optional): Pixels per cell of the pooled map. Defaults to None (the
            backbone's patch size, ``patch_embed.projection.stride``).
        pool_cfg (dict, optional): ``output_size``, ``sampling_ratio`` and ``clockwise`` of the
            pooling. Defaults to None (:data:`~mmrsfm.models.peft.object_features.DEFAULT_POOL`).
        data_preprocessor (dict, optional): Data preprocessor config, normally the stage-1
            detector's. Defaults to None (``dict(type='mmdet.DetDataPreprocessor')``).
        init_cfg (dict | list[dict], optional): mmengine initialisation config, normally
            ``dict(type='Pretrained', checkpoint=<stage-2 init file>)``. Defaults to None.

    Examples:
        >>> import torch
        >>> from mmengine.logging import MMLogger
        >>> from mmengine.structures import InstanceData
        >>> from mmdet.structures import DetDataSample
        >>> from mmrotate.registry import MODELS
        >>> import mmrsfm.models  # noqa: F401
        >>> _ = MMLogger.get_instance('example', log_level='WARNING')  # no init-weights report
        >>> vit = dict(type='mmpretrain.VisionTransformer', img_size=32, patch_size=8,
        ...            out_type='featmap', final_norm=False,
        ...            arch=dict(embed_dims=64, num_layers=2, num_heads=2,
        ...                      feedforward_channels=128))
        >>> model = MODELS.build(dict(
        ...     type='DetDebLoRA',
        ...     backbone=dict(type='mmpretrain.LoRAModel', module=vit, alpha=4, rank=4,
        ...                   targets=[dict(type='qkv')]),
        ...     lora=dict(alpha=4, rank=4, targets=[dict(type='qkv')]), num_classes=15))
        >>> model.centres.shape, model.feat_stride
        (torch.Size([15, 64]), 8)
        >>> sample = DetDataSample(gt_instances=InstanceData(
        ...     bboxes=torch.tensor([[16., 16., 12., 8., 0.3]]), labels=torch.tensor([2])))
        >>> model.object_features(torch.rand(1, 3, 32, 32), [sample]).shape
        torch.Size([1, 64])
    """

    def __init__(self,
                 backbone: dict,
                 lora: dict,
                 num_classes: int,
                 feat_dim: Optional[int] = None,
                 feat_stride: Optional[float] = None,
                 pool_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='mmdet.DetDataPreprocessor')
        super().__init__(backbone=backbone, lora=lora, num_classes=num_classes,
                         feat_dim=feat_dim, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if feat_stride is None:
            feat_stride = backbone_stride(self.teacher)
        unknown = set(pool_cfg or {}) - set(DEFAULT_POOL)
        if unknown:
            raise ValueError(f'DetDebLoRA: unknown pool_cfg keys {sorted(unknown)}; use '
                             f'{sorted(DEFAULT_POOL)}')
        self.feat_stride = feat_stride
        self.pool_cfg = dict(DEFAULT_POOL, **(pool_cfg or {}))

    def pool(self, feature_map: torch.Tensor, data_samples: Sequence) -> torch.Tensor:
        """Pool ``feature_map`` inside the ground-truth boxes of ``data_samples``.

        Args:
            feature_map (torch.Tensor): (B, C, H, W) map of stride :attr:`feat_stride`.
            data_samples (Sequence[DetDataSample]): B samples with ``gt_instances.bboxes``.

        Returns:
            torch.Tensor: (M, C) one feature per box, images in order.
        """
        boxes = [sample.gt_instances.bboxes for sample in data_samples]
        return pool_object_features(feature_map, boxes, self.feat_stride, **self.pool_cfg)

    def object_features(self, inputs: torch.Tensor, data_samples: Sequence,
                        teacher: bool = False) -> torch.Tensor:
        """Pooled object features of the student (``g_phi``) or the teacher (``f_theta``).

        Args:
            inputs (torch.Tensor): (B, 3, H, W) preprocessed images.
            data_samples (Sequence[DetDataSample]): B samples with ``gt_instances.bboxes``.
            teacher (bool): Pool the teacher's map instead of the student's. Defaults to False.

        Returns:
            torch.Tensor: (M, C) one feature per ground-truth box.
        """
        backbone = self.teacher if teacher else self.student
        return self.pool(_last(backbone(inputs)), data_samples)

    def loss(self, inputs: torch.Tensor, data_samples: Sequence) -> Dict[str, torch.Tensor]:
        """MSE between the student's and the calibrated teacher's pooled object features.

        Args:
            inputs (torch.Tensor): (B, 3, H, W) preprocessed images.
            data_samples (Sequence[DetDataSample]): B samples with ``gt_instances`` (``bboxes``
                and ``labels``, the latter picking the targets only).

        Returns:
            dict[str, torch.Tensor]: ``loss_deblora``, a scalar (0 with a gradient path when the
            batch holds no object).

        Raises:
            RuntimeError: No calibration has been loaded.
        """
        self._require_calibration()
        labels = torch.cat([s.gt_instances.labels for s in data_samples]).to(inputs.device).long()
        with torch.no_grad():
            target = self.calibrated_target(self.object_features(inputs, data_samples, True),
                                            labels)
        student_map = _last(self.student(inputs))
        if len(labels) == 0:
            return dict(loss_deblora=student_map.sum() * 0.0)
        return dict(loss_deblora=F.mse_loss(self.pool(student_map, data_samples), target))
