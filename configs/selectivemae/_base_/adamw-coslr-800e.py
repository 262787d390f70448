# Pretraining schedule of SelectiveMAE and of its MAE baselines on OpticalRS-13M (800 epochs).
# Where each value comes from:
#   [paper T9]  Table 9 (i) of the SelectiveMAE paper (pre-training column);
#   [paper 6.4] its section 6.4 text ("for the 800-epoch experiments, the warm-up period is
#               adjusted to 60 epochs"; "all other hyperparameters remain the same as in MAE");
#   [MAE]       the official MAE pretraining recipe, which section 6.4 defers to;
#   [code]      the authors' released pretraining code (main_pretrain.py / train.sh), where it
#               differs from the paper (the paper's value is the default here);
#   [ours]      our choice, with the reason.
# The SelectiveMAE configs additionally scale the lr by recon_ratio / mask_ratio (see there and
# configs/selectivemae/README.md, "Recipe").

# [paper T9] total batch 1024, run as 8 GPUs x 128 (train_dataloader.batch_size in
# ./opticalrs-13m.py; [code] train.sh uses 8 x 256 = 2048).
batch_size = 1024
# [paper T9] AdamW, base lr 1.5e-4, betas (0.9, 0.95), weight decay 0.05.
# [MAE] absolute lr = base lr x total batch / 256 = 1.5e-4 x 1024 / 256 = 6e-4.
optim_wrapper = dict(
    # [MAE] mixed precision with a dynamic loss scale (torch.cuda.amp in MAE's code).
    type='AmpOptimWrapper',
    loss_scale='dynamic',
    optimizer=dict(type='AdamW', lr=1.5e-4 * batch_size / 256, betas=(0.9, 0.95),
                   weight_decay=0.05),
    # No gradient clipping: [paper 6.4] "other settings as MAE", and MAE does not clip.
    # [code] the authors' loss scaler clips at norm 1.0 by default; to train as their code does:
    #   --cfg-options optim_wrapper.clip_grad.max_norm=1.0
    paramwise_cfg=dict(
        # [MAE] no weight decay on biases and other 1-D parameters (LayerNorm weights) of the
        # encoder AND the decoder. By module type / shape rather than by name: a name key such as
        # 'ln' missed the cross-attention decoder's norm1 / norm2 / norm weights.
        norm_decay_mult=0.,
        bias_decay_mult=0.,
        flat_decay_mult=0.,
        # [ours] no decay on the position embeddings and the cls / mask tokens either, as in
        # mmpretrain's MAE config, so that the MAE baseline is mmpretrain's MAE recipe (official
        # MAE and the authors' code decay the (1, 1, C) cls / mask tokens; the position
        # embeddings are fixed sin-cos there and here, so they have no gradient anyway).
        custom_keys={
            'pos_embed': dict(decay_mult=0.),
            'mask_token': dict(decay_mult=0.),
            'cls_token': dict(decay_mult=0.),
        }))
param_scheduler = [
    # [paper T9] linear warm-up; [paper 6.4] 60 epochs for the 800-epoch schedule; per iteration
    # from ~0 as MAE ([code] train.sh: 10 warm-up epochs).
    dict(type='LinearLR', start_factor=1e-4, by_epoch=True, begin=0, end=60,
         convert_to_iter_based=True),
    # [MAE] half-cycle cosine to 0 over the remaining 740 epochs, per iteration.
    dict(type='CosineAnnealingLR', T_max=740, by_epoch=True, begin=60, end=800,
         convert_to_iter_based=True),
]
# [paper T9] 800 epochs.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=800)
# --auto-scale-lr rescales the lr linearly when the real total batch differs from 1024.
auto_scale_lr = dict(base_batch_size=batch_size)
