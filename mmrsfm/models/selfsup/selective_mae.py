"""SelectiveMAE: masked image modelling that encodes and reconstructs only selected patches.

Differences from mmpretrain's MAE (whose ViT, head and loss are reused): the encoder sees the
``V`` visible tokens chosen by :class:`HOGTokenSelector` (not a random subset), the decoder
(:class:`CrossAttentionDecoder`) decodes only the ``T`` target tokens, and the normalised-pixel MSE
is taken over those targets only. ViT-B/16 at 224 px: 29 visible, 49 targets of 196 patches.
The reconstruction targets come from the head (``MAEPretrainHead.construct_target``, with its
``norm_pix``), as in mmpretrain's MAE.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple, Union

import torch
from mmpretrain.models.selfsup import MAE, MAEViT
from mmpretrain.models.utils import resize_pos_embed
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Split images into flattened patches in mmpretrain's MAE layout, for any H and W.

    Patches are row-major; the pixels of a patch are flattened as (row, column, channel), as
    ``MAEPretrainHead.patchify`` does for square images.

    Args:
        images (torch.Tensor): (B, C, H, W) images, H and W divisible by ``patch_size``.
        patch_size (int): Patch side ``p`` in pixels.

    Returns:
        torch.Tensor: (B, L, p * p * C) patches, ``L = (H / p) * (W / p)``.

    Examples:
        >>> import torch
        >>> patchify(torch.rand(2, 3, 32, 48), 16).shape
        torch.Size([2, 6, 768])
    """
    b, c, h, w = images.shape
    p = patch_size
    x = images.reshape(b, c, h // p, p, w // p, p)
    return torch.einsum('nchpwq->nhwpqc', x).reshape(b, (h // p) * (w // p), p * p * c)


def _gather_tokens(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Pick tokens by index.

    Args:
        x (torch.Tensor): (B, L, D) tokens.
        index (torch.Tensor): (B, K) int64 token indices.

    Returns:
        torch.Tensor: (B, K, D) the indexed tokens.
    """
    return torch.gather(x, 1, index.unsqueeze(-1).expand(-1, -1, x.shape[-1]))


@MODELS.register_module()
class SelectiveMAEViT(MAEViT):
    """mmpretrain's MAE ViT, encoding only given visible tokens, at any input size divisible by
    the patch size (the fixed sin-cos position embedding is interpolated).

    The constructor is ``MAEViT``'s; ``mask_ratio`` is unused (the token selector of
    :class:`SelectiveMAE` picks the visible tokens).

    Args:
        arch (str | dict): ViT architecture. Defaults to ``'b'``.
        img_size (int): Input size the stored position embedding covers. Defaults to 224.
        patch_size (int): Patch size in pixels. Defaults to 16.
        **kwargs: Other ``MAEViT`` arguments (``out_indices``, ``drop_path_rate``,
            ``norm_cfg``, ``final_norm``, ``out_type``, ``interpolate_mode``, ``patch_cfg``,
            ``layer_cfgs``, ``init_cfg``...).

    Examples:
        >>> import torch
        >>> from mmengine.logging import MMLogger
        >>> from mmpretrain.registry import MODELS
        >>> import mmrsfm.models  # noqa: F401
        >>> _ = MMLogger.get_instance('example', log_level='WARNING')  # no init-weights report
        >>> vit = MODELS.build(dict(
        ...     type='SelectiveMAEViT', img_size=64, patch_size=16,
        ...     arch=dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)))
        >>> vit.init_weights()
        >>> visible = torch.tensor([[0, 5, 9]])
        >>> vit(torch.rand(1, 3, 64, 64), visible).shape
        torch.Size([1, 4, 32])
    """

    def token_embeddings(self, images: torch.Tensor
                         ) -> Tuple[torch.Tensor, torch.Tensor, Tuple[int, int]]:
        """Patch + position embeddings of every patch.

        Args:
            images (torch.Tensor): (B, 3, H, W) images.

        Returns:
            tuple[torch.Tensor, torch.Tensor, tuple[int, int]]: The token embeddings (B, L, C),
            the cls position embedding (1, 1, C) and the patch grid (rows, cols).
        """
        tokens, patch_resolution = self.patch_embed(images)
        pos = resize_pos_embed(self.pos_embed, self.patch_resolution, patch_resolution,
                               mode=self.interpolate_mode, num_extra_tokens=1)
        return tokens + pos[:, 1:], pos[:, :1], patch_resolution

    def forward(self, x: torch.Tensor, visible: Optional[torch.Tensor] = None
                ) -> Union[torch.Tensor, Tuple[torch.Tensor, ...]]:
        """Encode the visible tokens, or the whole image.

        Args:
            x (torch.Tensor): (B, 3, H, W) images.
            visible (torch.Tensor, optional): (B, V) indices of the tokens to encode.
                Defaults to None (the plain ``MAEViT`` forward without masking, features for
                downstream use).

        Returns:
            torch.Tensor | tuple[torch.Tensor, ...]: With ``visible``, the (B, 1 + V, C)
            normalised features of the cls and visible tokens; without, ``MAEViT``'s outputs.
        """
        if visible is None:
            return super().forward(x, mask=None)
        tokens, cls_pos, _ = self.token_embeddings(x)
        tokens = _gather_tokens(tokens, visible)
        cls_token = (self.cls_token + cls_pos).expand(len(tokens), -1, -1)
        x = self.drop_after_pos(torch.cat([cls_token, tokens], dim=1))
        x = self.pre_norm(x)
        for layer in self.layers:
            x = layer(x)
        return self.ln1(x)


@MODELS.register_module()
class SelectiveMAE(MAE):
    """SelectiveMAE algorithm (an mmpretrain self-supervisor, used like ``type='MAE'``).

    Args:
        backbone (dict): ``SelectiveMAEViT`` config.
        neck (dict): ``CrossAttentionDecoder`` config.
        head (dict): mmpretrain ``MAEPretrainHead`` config; its ``construct_target`` (patch
            layout and ``norm_pix``) gives the targets and its loss module the loss.
        token_selector (dict): ``HOGTokenSelector`` config (mask / reconstruction ratios,
            sampling, PSTS). Defaults to ``dict(type='HOGTokenSelector')``.
        pretrained (str, optional): Checkpoint to load, a shortcut for
            ``init_cfg=dict(type='Pretrained', checkpoint=pretrained)``. Defaults to None.
        data_preprocessor (dict, optional): Data preprocessor config. Defaults to None
            (``SelfSupDataPreprocessor``, as mmpretrain's MAE).
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Examples:
        >>> import torch
        >>> from mmengine.logging import MMLogger
        >>> from mmpretrain.registry import MODELS
        >>> import mmrsfm.models  # noqa: F401
        >>> _ = MMLogger.get_instance('example', log_level='WARNING')  # no init-weights report
        >>> model = MODELS.build(dict(
        ...     type='SelectiveMAE',
        ...     backbone=dict(type='SelectiveMAEViT', img_size=224, patch_size=16,
        ...                   arch=dict(embed_dims=64, num_layers=2, num_heads=4,
        ...                             feedforward_channels=128)),
        ...     neck=dict(type='CrossAttentionDecoder', num_patches=196, patch_size=16,
        ...               embed_dim=64, decoder_embed_dim=32, decoder_depth=1,
        ...               decoder_num_heads=4),
        ...     head=dict(type='MAEPretrainHead', norm_pix=True, patch_size=16,
        ...               loss=dict(type='PixelReconstructionLoss', criterion='L2'))))
        >>> model.init_weights()
        >>> model.loss(torch.rand(2, 3, 224, 224), None)['loss'].shape
        torch.Size([])
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 token_selector: dict = dict(type='HOGTokenSelector'),
                 pretrained: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(backbone=backbone, neck=neck, head=head, pretrained=pretrained,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.token_selector = MODELS.build(token_selector)
        if self.token_selector.patch_size != self.backbone.patch_embed.projection.kernel_size[0]:
            raise ValueError(f'token_selector.patch_size {self.token_selector.patch_size} differs '
                             'from the backbone patch size')

    def extract_feat(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Features of the whole image (no token selection), for downstream use.

        Args:
            inputs (torch.Tensor): (B, 3, H, W) images.

        Returns:
            tuple[torch.Tensor, ...]: The backbone's outputs.
        """
        return self.backbone(inputs, visible=None)

    def select(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Visible and target tokens of a batch.

        In fp32 under autocast too (the PSTS token features included), so mixed-precision
        training selects the tokens fp32 training selects.

        Args:
            inputs (torch.Tensor): (B, 3, H, W) images.

        Returns:
            tuple[torch.Tensor, torch.Tensor, torch.Tensor]: Visible (B, V) and target (B, T)
            token indices and the HOG scores (B, L).
        """
        token_feats = None
        if self.token_selector.psts is not None:
            with torch.no_grad(), torch.autocast(device_type=inputs.device.type, enabled=False):
                token_feats = self.backbone.token_embeddings(inputs.float())[0]
        return self.token_selector(inputs, token_feats)

    def reconstruction(self, inputs: torch.Tensor, visible: torch.Tensor,
                       targets: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Predicted and true pixels of the target patches.

        Args:
            inputs (torch.Tensor): (B, 3, H, W) images, H and W divisible by the patch size.
            visible (torch.Tensor): (B, V) indices of the encoded tokens.
            targets (torch.Tensor): (B, T) indices of the reconstructed tokens.

        Returns:
            tuple[torch.Tensor, torch.Tensor]: The decoder's prediction and the head's target
            (``norm_pix``-normalised if the head says so), both (B, T, p * p * 3).
        """
        latent = self.backbone(inputs, visible)
        p = self.token_selector.patch_size
        patch_resolution = (inputs.shape[2] // p, inputs.shape[3] // p)
        pred = self.neck(latent, targets, patch_resolution)
        # The head builds the targets (its pixel layout and norm_pix). Its patchify takes square
        # images only, so each target patch goes in as a p x p image of its own.
        b, c, h, w = inputs.shape
        patches = inputs.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 1, 3, 5)
        patches = _gather_tokens(patches.reshape(b, (h // p) * (w // p), c * p * p), targets)
        target = self.head.construct_target(patches.reshape(-1, c, p, p))
        return pred, target.reshape(b, targets.shape[1], -1)

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """Select the tokens, reconstruct the targets and take the head's loss over them.

        Args:
            inputs (torch.Tensor): (B, 3, H, W) images.
            data_samples (list[DataSample]): Unused (self-supervised).
            **kwargs: Unused.

        Returns:
            dict[str, torch.Tensor]: ``loss``, a scalar.
        """
        visible, targets, _ = self.select(inputs)
        pred, target = self.reconstruction(inputs, visible, targets)
        ones = torch.ones(target.shape[:2], device=target.device)
        return dict(loss=self.head.loss_module(pred, target, ones))
