# CPU-sized LoRA + class-balanced sampling row (see lora_vit-b-p16_1xb64-class-balanced-20e_...):
# the tiny LoRA config with mmdet's ClassAwareSampler.
_base_ = ['./lora_vit-tiny-p8-32px_1xb8-2e_dota-lt.py']

train_dataloader = dict(
    sampler=dict(_delete_=True, type='mmdet.ClassAwareSampler', num_sample_class=1))
