from functools import partial

import pytest
import torch
from segment_anything.modeling import (ImageEncoderViT, MaskDecoder, PromptEncoder, Sam,
                                       TwoWayTransformer)


def build_tiny_sam(img_size: int = 64, seed: int = 0) -> Sam:
    """A real segment-anything ``Sam`` with one narrow encoder block and random weights (the
    vit_b image encoder costs ~35 s per image on this CPU); same prompt/mask pipeline."""
    torch.manual_seed(seed)
    grid = img_size // 16
    return Sam(
        image_encoder=ImageEncoderViT(
            img_size=img_size, patch_size=16, embed_dim=32, depth=1, num_heads=2, out_chans=32,
            norm_layer=partial(torch.nn.LayerNorm, eps=1e-6), use_rel_pos=True, window_size=0),
        prompt_encoder=PromptEncoder(embed_dim=32, image_embedding_size=(grid, grid),
                                     input_image_size=(img_size, img_size), mask_in_chans=4),
        mask_decoder=MaskDecoder(
            num_multimask_outputs=3, transformer_dim=32, iou_head_depth=1, iou_head_hidden_dim=16,
            transformer=TwoWayTransformer(depth=1, embedding_dim=32, mlp_dim=64, num_heads=2)),
        pixel_mean=[123.675, 116.28, 103.53], pixel_std=[58.395, 57.12, 57.375]).eval()


@pytest.fixture
def tiny_sam() -> Sam:
    return build_tiny_sam()
