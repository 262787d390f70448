# SelectiveMAE ViT-B/16: encoder on the 29 HOG/PSTS-selected visible tokens, cross-attention
# decoder (width 512, depth 12, 16 heads) on the 49 reconstruction targets, normalised-pixel MSE.
# Sources: [paper 6.4] mask ratio 0.85, reconstruction ratio 0.25, 12 decoder blocks ([code]
# train.sh: 8); [code] decoder width 512 / 16 heads, norm_pix (train.sh --norm_pix_loss), PSTS
# from half the visible tokens in 2 steps (section 3.2.3 defines the initial proportion, the
# values are the code's); [paper T9] input 224 px; [MAE] patch 16.
model = dict(
    type='SelectiveMAE',
    backbone=dict(type='SelectiveMAEViT', arch='b', img_size=224, patch_size=16),
    neck=dict(
        type='CrossAttentionDecoder',
        num_patches=196,
        patch_size=16,
        in_chans=3,
        embed_dim=768,
        decoder_embed_dim=512,
        decoder_depth=12,
        decoder_num_heads=16,
        mlp_ratio=4.),
    head=dict(
        type='MAEPretrainHead',
        norm_pix=True,
        patch_size=16,
        loss=dict(type='PixelReconstructionLoss', criterion='L2')),
    token_selector=dict(
        type='HOGTokenSelector',
        patch_size=16,
        mask_ratio=0.85,
        recon_ratio=0.25,
        sampling='topk',
        # PSTS near -> far -> random; boundaries as fractions of the schedule
        # (280 / 300 / 580 / 600 of 800 epochs).
        psts=dict(seed_ratio=0.5, num_steps=2, boundaries=(0.35, 0.375, 0.725, 0.75))),
    init_cfg=[
        dict(type='Xavier', layer='Linear', distribution='uniform'),
        dict(type='Constant', layer='LayerNorm', val=1.0, bias=0.0)
    ])
