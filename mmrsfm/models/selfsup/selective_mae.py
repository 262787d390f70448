"""SelectiveMAE: masked image modelling that encodes and reconstructs only selected patches.

Differences from mmpretrain's MAE (whose ViT, head and loss are reused): the encoder sees the
``V`` visible tokens chosen by :class:`HOGTokenSelector` (not a random subset), the decoder
(:class:`CrossAttentionDecoder`) decodes only the ``T`` target tokens, and the normalised-pixel MSE
is taken over those targets only. ViT-B/16 at 224 px: 29 visible, 49 targets of 196 patches.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import torch
from mmpretrain.models.selfsup import MAE, MAEViT
from mmpretrain.models.utils import resize_pos_embed
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, L, patch_size**2 * C), patches row-major, pixels (row, col, channel)
    within a patch (mmpretrain's MAE layout), for any H, W divisible by ``patch_size``."""
    b, c, h, w = images.shape
    p = patch_size
    x = images.reshape(b, c, h // p, p, w // p, p)
    return torch.einsum('nchpwq->nhwpqc', x).reshape(b, (h // p) * (w // p), p * p * c)


def _gather_tokens(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """x: (B, L, D), index: (B, K) -> (B, K, D)."""
    return torch.gather(x, 1, index.unsqueeze(-1).expand(-1, -1, x.shape[-1]))


@MODELS.register_module()
class SelectiveMAEViT(MAEViT):
    """mmpretrain's MAE ViT, encoding only given visible tokens, at any input size divisible by
    the patch size (the fixed sin-cos position embedding is interpolated)."""

    def token_embeddings(self, images: torch.Tensor
                         ) -> Tuple[torch.Tensor, torch.Tensor, Tuple[int, int]]:
        """Patch + position embeddings (B, L, C), the cls position embedding (1, 1, C) and the
        patch grid (rows, cols)."""
        tokens, patch_resolution = self.patch_embed(images)
        pos = resize_pos_embed(self.pos_embed, self.patch_resolution, patch_resolution,
                               mode=self.interpolate_mode, num_extra_tokens=1)
        return tokens + pos[:, 1:], pos[:, :1], patch_resolution

    def forward(self, x: torch.Tensor, visible: Optional[torch.Tensor] = None):
        """With ``visible`` (B, V) indices: (B, 1 + V, C) normalised features of the cls and
        visible tokens. Without: the plain ViT forward (features for downstream use)."""
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
        backbone: ``SelectiveMAEViT`` config.
        neck: ``CrossAttentionDecoder`` config.
        head: mmpretrain ``MAEPretrainHead`` config (its ``norm_pix`` and loss are used).
        token_selector: ``HOGTokenSelector`` config (mask / reconstruction ratios, sampling, PSTS).
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

    def extract_feat(self, inputs: torch.Tensor):
        return self.backbone(inputs, visible=None)

    def select(self, inputs: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Visible (B, V) and target (B, T) indices and HOG scores (B, L) for a batch.

        In fp32 under autocast too (the PSTS token features included), so mixed-precision
        training selects the tokens fp32 training selects.
        """
        token_feats = None
        if self.token_selector.psts is not None:
            with torch.no_grad(), torch.autocast(device_type=inputs.device.type, enabled=False):
                token_feats = self.backbone.token_embeddings(inputs.float())[0]
        return self.token_selector(inputs, token_feats)

    def reconstruction(self, inputs: torch.Tensor, visible: torch.Tensor,
                       targets: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Predicted and true (normalised) pixels of the target patches, both (B, T, p*p*C)."""
        latent = self.backbone(inputs, visible)
        p = self.token_selector.patch_size
        patch_resolution = (inputs.shape[2] // p, inputs.shape[3] // p)
        pred = self.neck(latent, targets, patch_resolution)
        target = _gather_tokens(patchify(inputs, p), targets)
        if self.head.norm_pix:
            mean = target.mean(dim=-1, keepdim=True)
            var = target.var(dim=-1, keepdim=True)
            target = (target - mean) / (var + 1.e-6)**.5
        return pred, target

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        visible, targets, _ = self.select(inputs)
        pred, target = self.reconstruction(inputs, visible, targets)
        ones = torch.ones(target.shape[:2], device=target.device)
        return dict(loss=self.head.loss_module(pred, target, ones))
