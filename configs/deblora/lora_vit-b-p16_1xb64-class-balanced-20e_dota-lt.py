# LoRA + class-balanced sampling: a long-tail baseline row built from existing parts. The LoRA row
# (lora_vit-b-p16_1xb64-20e_dota-lt.py) with mmdet's ClassAwareSampler, which draws a class
# uniformly, then one of its crops (Shen et al. 2016, "Relay backpropagation"; mmdet's
# implementation works on any dataset with get_cat_ids, mmpretrain's included). An epoch keeps the
# dataset's length, so the schedule is the LoRA row's. Evaluate as the LoRA row: export the
# backbone, then the linear probe.
_base_ = ['./lora_vit-b-p16_1xb64-20e_dota-lt.py']

train_dataloader = dict(
    sampler=dict(
        _delete_=True,
        type='mmdet.ClassAwareSampler',
        num_sample_class=1))  # [mmdet default] one crop per drawn class
