# CPU-sized LoRA + logit-adjusted loss row (see lora_vit-b-p16_1xb64-logit-adjusted-20e_...): the
# tiny LoRA config with LogitAdjustedLoss, priors counted from the training set.
_base_ = ['./lora_vit-tiny-p8-32px_1xb8-2e_dota-lt.py']

model = dict(
    head=dict(loss=dict(_delete_=True, type='LogitAdjustedLoss', tau=1.0, loss_weight=1.0)))
custom_hooks = [dict(type='ClassCountsHook')]
