"""CenterCropAsInput: the crop (image, label) by hand, ori_shape set to the crop, and mmseg's
segmentor then predicts at the label's size (which mmcv's plain CenterCrop breaks).

Module under test: ``mmrsfm/datasets/transforms/center_crop.py``."""
import numpy as np
import torch
from mmengine.config import ConfigDict
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS, TRANSFORMS
from mmseg.structures import SegDataSample

import mmrsfm.datasets  # noqa: F401 (registers the transforms)


def _results(height, width):
    img = np.arange(height * width * 3, dtype=np.int64).reshape(height, width, 3) % 251
    label = (np.arange(height * width).reshape(height, width) % 7).astype(np.uint8)
    return dict(img=img.astype(np.uint8), gt_seg_map=label, ori_shape=(height, width),
                img_shape=(height, width), seg_fields=['gt_seg_map']), img.astype(np.uint8), label


def test_crop_by_hand():
    results, img, label = _results(8, 10)
    out = TRANSFORMS.build(dict(type='CenterCropAsInput', crop_size=(4, 6)))(results)
    # crop_size is (width, height) = (4, 6): y0 = round((8 - 6) / 2) = 1, x0 = round(3) = 3.
    np.testing.assert_array_equal(out['img'], img[1:7, 3:7])
    np.testing.assert_array_equal(out['gt_seg_map'], label[1:7, 3:7])
    assert out['ori_shape'] == out['img_shape'] == (6, 4)


def test_images_smaller_than_the_crop_keep_their_extent():
    results, img, label = _results(5, 12)
    out = TRANSFORMS.build(dict(type='CenterCropAsInput', crop_size=8))(results)
    # Height 5 < 8: the whole height; width: x0 = round((12 - 8) / 2) = 2.
    np.testing.assert_array_equal(out['img'], img[:, 2:10])
    np.testing.assert_array_equal(out['gt_seg_map'], label[:, 2:10])
    assert out['ori_shape'] == (5, 8)


def _predict(crop_type):
    results, _, _ = _results(40, 56)
    pipeline = [TRANSFORMS.build(dict(type=crop_type, crop_size=32)),
                TRANSFORMS.build(dict(type='PackSegInputs'))]
    for t in pipeline:
        results = t(results)
    init_default_scope('mmseg')
    model = MODELS.build(ConfigDict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', size=(32, 32)),
        backbone=dict(type='mmseg.MixVisionTransformer', in_channels=3, embed_dims=8,
                      num_stages=1, num_layers=[1], num_heads=[1], patch_sizes=[7], strides=[4],
                      sr_ratios=[1], out_indices=(0, )),
        decode_head=dict(type='FCNHead', in_channels=8, channels=8, num_convs=0,
                         concat_input=False, num_classes=7, in_index=0),
        test_cfg=dict(mode='whole')))
    model.eval()
    with torch.no_grad():
        sample, = model.test_step(dict(inputs=[results['inputs']],
                                       data_samples=[results['data_samples']]))
    assert isinstance(sample, SegDataSample)
    return sample.pred_sem_seg.data.shape[-2:], sample.gt_sem_seg.data.shape[-2:]


def test_segmentor_predicts_at_the_label_size():
    pred, gt = _predict('CenterCropAsInput')
    assert tuple(pred) == tuple(gt) == (32, 32)
    # mmcv's CenterCrop leaves ori_shape at the whole image: prediction and label disagree.
    pred, gt = _predict('CenterCrop')
    assert tuple(pred) == (40, 56) and tuple(gt) == (32, 32)
