# LoveDA (Wang et al., 2021) for mmseg: 5,987 images of 1,024 x 1,024 px (0.3 m), 7 land-cover
# classes; label 0 (no data) is ignored (reduce_zero_label). 512 x 512 training crops; the
# models evaluate by sliding 512 x 512 windows with stride 384 over the full image: a leaf
# config sets
#   model = dict(test_cfg=_base_.slide_test_cfg, data_preprocessor=dict(size=crop_size))
# Layout after mmseg's converter (docs/dataset_preparation.md):
#   data/loveDA/{img_dir,ann_dir}/{train,val,test}/*.png
# mmseg's base (LoveDA tiles are 1,024 px already: its test Resize keeps their full resolution
# for slide inference) plus the sliding-window test settings.
_base_ = 'mmseg::_base_/datasets/loveda.py'

slide_test_cfg = dict(mode='slide', crop_size=_base_.crop_size, stride=(384, 384))
