# LoRA + logit-adjusted loss: a long-tail baseline row. The LoRA row
# (lora_vit-b-p16_1xb64-20e_dota-lt.py) trained with the logit-adjusted cross-entropy of Menon
# et al. 2021 (logits + tau * log prior in the loss only; predictions unchanged). The priors are
# the training set's class frequencies, counted by ClassCountsHook when training starts.
# Evaluate as the LoRA row: export the backbone, then the linear probe.
_base_ = ['./lora_vit-b-p16_1xb64-20e_dota-lt.py']

model = dict(
    head=dict(
        loss=dict(
            _delete_=True,
            type='LogitAdjustedLoss',
            tau=1.0,  # [Menon et al. 2021] their default scale of the log-prior shift
            loss_weight=1.0)))
custom_hooks = [dict(type='ClassCountsHook')]
