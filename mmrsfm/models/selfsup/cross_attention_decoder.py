"""CrossMAE-style decoder of SelectiveMAE: only the reconstruction targets are decoded, as queries
cross-attending to the encoder output."""
from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from mmpretrain.models.utils import build_2d_sincos_position_embedding, resize_pos_embed
from mmpretrain.registry import MODELS
from torch import nn


class CrossAttention(nn.Module):
    """Multi-head attention of decoder queries (B, T, dims) over encoder tokens
    (B, N, context_dims), projected to keys and values by ``kv`` (CrossMAE's layout).

    Args:
        dims (int): Width of the queries and of the output, divisible by ``num_heads``.
        context_dims (int): Width of the encoder tokens.
        num_heads (int): Attention heads.
        qkv_bias (bool): Bias in the query and key/value projections. Defaults to True.

    Raises:
        ValueError: If ``dims`` is not divisible by ``num_heads``.
    """

    def __init__(self, dims: int, context_dims: int, num_heads: int,
                 qkv_bias: bool = True) -> None:
        super().__init__()
        if dims % num_heads:
            raise ValueError(f'decoder width {dims} is not divisible by {num_heads} heads')
        self.num_heads = num_heads
        self.q = nn.Linear(dims, dims, bias=qkv_bias)
        self.kv = nn.Linear(context_dims, 2 * dims, bias=qkv_bias)
        self.proj = nn.Linear(dims, dims)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """Attend from the queries to the context tokens.

        Args:
            x (torch.Tensor): Queries (B, T, dims).
            context (torch.Tensor): Encoder tokens (B, N, context_dims).

        Returns:
            torch.Tensor: The attention output (B, T, dims), after the output projection.
        """
        b, t, c = x.shape
        h = self.num_heads
        q = self.q(x).reshape(b, t, h, c // h).transpose(1, 2)
        k, v = self.kv(context).reshape(b, -1, 2, h, c // h).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(b, t, c))


class CrossAttentionBlock(nn.Module):
    """``x += CrossAttn(LN(x), y); x += MLP(LN(x))``; keys and values are a per-block projection
    of the encoder output ``y``.

    Args:
        dims (int): Decoder width (queries).
        context_dims (int): Encoder width (keys / values before projection).
        num_heads (int): Attention heads; must divide ``dims``.
        mlp_ratio (float): Hidden width of the MLP relative to ``dims``. Defaults to 4.0.
        norm_cfg (dict): Config of the two norm layers. Defaults to
            ``dict(type='LN', eps=1e-6)``.
        qkv_bias (bool): Bias in the query and key/value projections. Defaults to True.
    """

    def __init__(self, dims: int, context_dims: int, num_heads: int, mlp_ratio: float = 4.0,
                 norm_cfg: dict = dict(type='LN', eps=1e-6), qkv_bias: bool = True) -> None:
        super().__init__()
        self.norm1 = build_norm_layer(norm_cfg, dims)[1]
        self.cross_attn = CrossAttention(dims, context_dims, num_heads, qkv_bias)
        self.norm2 = build_norm_layer(norm_cfg, dims)[1]
        self.mlp = FFN(dims, int(dims * mlp_ratio))

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """Run the block on the queries.

        Args:
            x (torch.Tensor): Queries (B, T, dims).
            context (torch.Tensor): Encoder output (B, 1 + V, context_dims): cls + visible
                tokens.

        Returns:
            torch.Tensor: The updated queries (B, T, dims).
        """
        x = x + self.cross_attn(self.norm1(x), context)
        return x + self.mlp(self.norm2(x))


class FFN(nn.Module):
    """Two-layer GELU MLP with timm's parameter names (``fc1``, ``fc2``).

    Args:
        dims (int): Input and output width.
        hidden (int): Hidden width.
    """

    def __init__(self, dims: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dims, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply ``fc2(GELU(fc1(x)))``.

        Args:
            x (torch.Tensor): Tokens (..., dims).

        Returns:
            torch.Tensor: Tokens (..., dims).
        """
        return self.fc2(self.act(self.fc1(x)))


@MODELS.register_module()
class CrossAttentionDecoder(BaseModule):
    """Decodes pixel values at the target patches only.

    Queries are a learnable mask token plus the (fixed, sin-cos) decoder position embedding of each
    target patch; each block cross-attends to the encoder output (cls + visible tokens).

    Args:
        num_patches (int): Patches of the pretraining size (square grid), e.g. 196 for
            224 / 16; other sizes interpolate the position embedding. Defaults to 196.
        patch_size (int): Pixels per patch side. Defaults to 16.
        in_chans (int): Image channels. Defaults to 3.
        embed_dim (int): Encoder width. Defaults to 768.
        decoder_embed_dim (int): Decoder width (512 in the paper's recipe). Defaults to 512.
        decoder_depth (int): Decoder blocks (12 in the paper's recipe). Defaults to 12.
        decoder_num_heads (int): Attention heads; must divide ``decoder_embed_dim``.
            Defaults to 16.
        mlp_ratio (float): Hidden width of each block's MLP relative to the decoder width.
            Defaults to 4.0.
        norm_cfg (dict): Config of the norm layers. Defaults to
            ``dict(type='LN', eps=1e-6)``.
        init_cfg (dict, optional): Initialisation config of ``BaseModule``, applied before
            the decoder's own initialisation (:meth:`init_weights`). Defaults to None.

    Raises:
        ValueError: If ``num_patches`` is not a square number or the heads do not divide
            the decoder width.

    Examples:
        >>> import torch
        >>> from mmpretrain.registry import MODELS
        >>> decoder = MODELS.build(dict(
        ...     type='CrossAttentionDecoder', num_patches=16, patch_size=16, embed_dim=64,
        ...     decoder_embed_dim=32, decoder_depth=2, decoder_num_heads=4))
        >>> latent = torch.rand(2, 1 + 4, 64)  # cls + 4 visible tokens
        >>> targets = torch.tensor([[0, 5, 9], [1, 2, 15]])  # 3 target patches each
        >>> decoder(latent, targets, patch_resolution=(4, 4)).shape  # 16 * 16 * 3 pixels
        torch.Size([2, 3, 768])
    """

    def __init__(self,
                 num_patches: int = 196,
                 patch_size: int = 16,
                 in_chans: int = 3,
                 embed_dim: int = 768,
                 decoder_embed_dim: int = 512,
                 decoder_depth: int = 12,
                 decoder_num_heads: int = 16,
                 mlp_ratio: float = 4.0,
                 norm_cfg: dict = dict(type='LN', eps=1e-6),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.grid = int(num_patches**0.5)
        if self.grid**2 != num_patches:
            raise ValueError(f'num_patches must be a square grid, got {num_patches}')
        self.mask_token = nn.Parameter(torch.zeros(1, 1, decoder_embed_dim))
        self.decoder_pos_embed = nn.Parameter(
            torch.zeros(1, num_patches, decoder_embed_dim), requires_grad=False)
        self.blocks = nn.ModuleList([
            CrossAttentionBlock(decoder_embed_dim, embed_dim, decoder_num_heads, mlp_ratio,
                                norm_cfg) for _ in range(decoder_depth)
        ])
        self.norm = build_norm_layer(norm_cfg, decoder_embed_dim)[1]
        self.pred = nn.Linear(decoder_embed_dim, patch_size**2 * in_chans)

    def init_weights(self) -> None:
        """Fixed 2-D sin-cos position embedding, N(0, 0.02) mask token, Xavier-uniform linear
        layers with zero bias, unit LayerNorms (MAE's initialisation)."""
        super().init_weights()
        pos = build_2d_sincos_position_embedding(self.grid, self.decoder_pos_embed.shape[-1],
                                                 cls_token=False)
        self.decoder_pos_embed.data.copy_(pos.float())
        nn.init.normal_(self.mask_token, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, latent: torch.Tensor, targets: torch.Tensor,
                patch_resolution: Tuple[int, int]) -> torch.Tensor:
        """Predict the pixels of the target patches.

        Args:
            latent (torch.Tensor): Encoder output (B, 1 + V, embed_dim): cls + visible tokens.
            targets (torch.Tensor): Target patch indices (B, T), row-major in
                ``patch_resolution``.
            patch_resolution (tuple[int, int]): ``(rows, cols)`` of the patch grid of this
                batch.

        Returns:
            torch.Tensor: Predicted (normalised) pixels (B, T, patch_size**2 * in_chans), each
            patch flattened as ``patchify`` does.
        """
        pos = resize_pos_embed(self.decoder_pos_embed, (self.grid, self.grid), patch_resolution,
                               mode='bicubic', num_extra_tokens=0)
        pos = pos.expand(len(targets), -1, -1)
        index = targets.unsqueeze(-1).expand(-1, -1, pos.shape[-1])
        x = self.mask_token + torch.gather(pos, 1, index)
        for block in self.blocks:
            x = block(x, latent)
        return self.pred(self.norm(x))
