# UperNet on a plain ViT-B/16 (mmrsfm ViTPyramid, blocks [3, 5, 7, 11] -> strides 4..32; the
# architecture of the SEP ViT-B config) initialised from SEP weights: the backbone and the UperNet
# body written by tools/model_converters/extract_sep_weights.py, loaded by the leaf configs'
# `load_from` (the 224 px position embedding is resized to the fine-tuning grid on loading); the
# new classifier starts from scratch. Leaf configs set the classes and the crop size.
_base_ = '../../../_base_/models/upernet_vit-b-p16.py'
custom_imports = dict(imports=['mmrsfm.runtime'], allow_failed_imports=False)
model = dict(
    backbone=dict(init_cfg=None),  # the SEP weights replace the benchmark's SelectiveMAE init
    # No auxiliary head: the SEP model has none and the paper's UperNet head is a 1x1 conv only
    # (paper Sec. 4.1); our choice where the paper is silent about fine-tuning.
    auxiliary_head=None,
    # Mean over labelled pixels (torch's CrossEntropyLoss(ignore_index=255), as in SEP); our
    # choice: with iSAID's background ignored, mmseg's default would divide by all pixels.
    decode_head=dict(loss_decode=dict(
        type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, avg_non_ignore=True)))
