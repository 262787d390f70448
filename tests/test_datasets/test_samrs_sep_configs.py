"""The SEP configs' data settings (issue 14 item 5, item 3): validation on 512 x 512 centre
crops (paper appendix A.5), random gamma in the augmentation (Sec. 3.1), one FAST tile size
(600 px, Sec. 2.4) in the SEP and instance configs; the centre crop runs in the real SOTA val
pipeline."""
import os.path as osp

import mmcv
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmrsfm.apis import load_config
from mmrsfm.testing import write_samrs_subsets
from tests.conftest import REPO_ROOT

SAMRS = osp.join(REPO_ROOT, 'configs', 'samrs')
SEP = ['sep-upernet_r50_8xb12-80k_samrs-224x224.py',
       'sep-upernet_vit-b-p16_8xb12-80k_samrs-224x224.py']


def _types(pipeline):
    return [t['type'] for t in pipeline]


@pytest.mark.parametrize('name', SEP)
def test_sep_val_crops_and_train_gamma(name):
    cfg = load_config(osp.join(SAMRS, name))
    for dataset in cfg.val_dataloader.dataset.datasets:
        crop = [t for t in dataset.pipeline if t['type'] == 'CenterCropAsInput']
        assert len(crop) == 1 and tuple(crop[0]['crop_size']) == (512, 512)
        assert _types(dataset.pipeline).index('CenterCropAsInput') > \
            _types(dataset.pipeline).index('LoadAnnotations')
    scales = {}
    for dataset in cfg.train_dataloader.dataset.datasets:
        gamma = [t for t in dataset.pipeline if t['type'] == 'RandomGamma']
        assert len(gamma) == 1 and tuple(gamma[0]['gamma_range']) == (0.8, 1.2)
        resize, = [t for w in dataset.pipeline if w['type'] == 'RandomApply'
                   for t in w['transforms']]
        scales[dataset.type] = tuple(resize['scale'])
    assert scales == {'SOTADataset': (1024, 1024), 'SIORDataset': (800, 800),
                      'FASTDataset': (600, 600)}


def test_one_fast_tile_size_in_sep_and_instance_configs():
    sep = Config.fromfile(osp.join(SAMRS, '_base_', 'datasets', 'samrs.py'))
    resize, = [t for w in sep.fast_train.pipeline if w['type'] == 'RandomApply'
               for t in w['transforms']]
    instances = Config.fromfile(osp.join(SAMRS, 'instances',
                                         'mask-rcnn_r50_fpn_1x_fast-instances.py'))
    assert tuple(resize['scale']) == tuple(instances.image_scale) == (600, 600)
    pipelines = (instances.train_dataloader.dataset.pipeline +
                 instances.val_dataloader.dataset.pipeline)
    scales = {tuple(t['scale']) for t in pipelines if t['type'] == 'Resize'}
    assert scales == {(600, 600)}


def test_sota_val_pipeline_evaluates_the_centre_crop(tmp_path):
    # Real SOTADataset + the config's val pipeline on a 640 px tile: image and label are the
    # 512 px centre (offset 64), and ori_shape says 512 so predictions are made at that size.
    from mmseg.registry import DATASETS

    import mmrsfm.runtime  # noqa: F401
    init_default_scope('mmseg')
    root = str(tmp_path / 'SAMRS')
    write_samrs_subsets(root, train_sizes={'sota': 1}, val_size=1, size=640)
    cfg = load_config(osp.join(SAMRS, SEP[0]))
    val = cfg.val_dataloader.dataset.datasets[0]
    val.data_root = osp.join(root, 'SOTA')
    sample = DATASETS.build(val)[0]
    data = sample['data_samples']
    raw_label = mmcv.imread(data.seg_map_path, flag='unchanged', backend='pillow')
    raw_img = mmcv.imread(data.img_path)
    assert raw_label.shape == (640, 640)
    np.testing.assert_array_equal(data.gt_sem_seg.data[0].numpy(), raw_label[64:576, 64:576])
    np.testing.assert_array_equal(sample['inputs'].permute(1, 2, 0).numpy(),
                                  raw_img[64:576, 64:576])
    assert data.ori_shape == data.img_shape == (512, 512)
