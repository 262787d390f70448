# Zero-Shot row (slides' Table 2): the linear probe of linear-probe_vit-b-p16_1xb64-30e_dota-lt.py
# on the pretrained backbone itself, frozen and never adapted to DOTA-LT. Same data, probe head,
# schedule and model selection (val split) as the probes of the other rows.
_base_ = ['./linear-probe_vit-b-p16_1xb64-30e_dota-lt.py']

# The foundation-model checkpoint the LoRA / Fine-Tune rows start from (their `pretrained`).
backbone_checkpoint = 'checkpoints/vit-b-p16_pretrain.pth'
model = dict(backbone=dict(init_cfg=dict(checkpoint=backbone_checkpoint)))
