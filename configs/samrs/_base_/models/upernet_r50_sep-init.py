# UperNet R-50 (mmseg ResNetV1c, as the SEP R-50 config builds it) initialised from SEP weights:
# the backbone and the UperNet body written by tools/model_converters/extract_sep_weights.py,
# loaded by the leaf configs' `load_from`; the new classifier starts from scratch. Leaf
# configs set the classes.
_base_ = 'mmseg::_base_/models/upernet_r50.py'
model = dict(
    pretrained=None,  # the SEP weights replace the ImageNet ones (they came from them: IMP+SEP)
    # No auxiliary head: the SEP model has none and the paper's UperNet head is a 1x1 conv only
    # (paper Sec. 4.1); our choice where the paper is silent about fine-tuning.
    auxiliary_head=None,
    # Mean over labelled pixels (torch's CrossEntropyLoss(ignore_index=255), as in SEP); our
    # choice: with iSAID's background ignored, mmseg's default would divide by all pixels.
    decode_head=dict(loss_decode=dict(
        type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, avg_non_ignore=True)))
