"""Every dataset base config under configs/_base_/datasets builds its train / val / test
datasets (the real dataset classes of its toolbox, its real pipelines) on tiny data written in
the benchmark's on-disk format, or prepared from the release format by our converters; the
segmentation bases (most inherit mmseg's) read the label PNGs as the benchmark defines them."""
import os.path as osp

import mmcv
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmrsfm.testing import write_dior, write_loveda, write_scene_folder
from mmrsfm.testing.rs_formats import (write_isaid_release, write_potsdam_release,
                                       write_spacenet_v1_release)
from tests.conftest import REPO_ROOT
from tests.test_tools.test_dataset_converters import load_tool, make_dota_release

SCOPES = {'dior': 'mmdet', 'dior-r': 'mmrotate', 'dota': 'mmrotate', 'dota_ms': 'mmrotate',
          'loveda': 'mmseg', 'spacenet-v1': 'mmseg', 'potsdam': 'mmseg', 'isaid': 'mmseg',
          'aid': 'mmpretrain', 'aid_tr20': 'mmpretrain', 'aid_tr50': 'mmpretrain',
          'resisc45': 'mmpretrain', 'resisc45_tr10': 'mmpretrain',
          'resisc45_tr20': 'mmpretrain'}
#: Segmentation bases whose label 0 is "no data", ignored (reduce_zero_label: 0 -> 255, k -> k-1).
REDUCE_ZERO_LABEL = {'loveda': True, 'potsdam': True, 'isaid': False, 'spacenet-v1': False}


def _prepare(name: str, tmp: str) -> str:
    """Write tiny data for base config ``name``; return its data_root."""
    root = osp.join(tmp, name)
    if name in ('dior', 'dior-r'):
        write_dior(root, {'train': 2, 'val': 1, 'test': 2})
    elif name in ('dota', 'dota_ms'):
        make_dota_release(osp.join(tmp, 'DOTA'))
        rates = ['0.5', '1.0', '1.5'] if name == 'dota_ms' else ['1.0']
        load_tool('dota_split').main([osp.join(tmp, 'DOTA'), root, '--size', '200', '--gap',
                                      '100', '--rates', *rates])
    elif name == 'loveda':
        write_loveda(root, {'train': 2, 'val': 1}, size=64)
    elif name == 'spacenet-v1':
        write_spacenet_v1_release(osp.join(tmp, 'raw'), num_tiles=3)
        load_tool('spacenet_v1').main([osp.join(tmp, 'raw'), root, '--num-train', '2'])
    elif name == 'potsdam':
        write_potsdam_release(osp.join(tmp, 'raw'), size=64)
        load_tool('potsdam').main([osp.join(tmp, 'raw'), root, '--size', '32', '--stride',
                                   '32'])
    elif name == 'isaid':
        write_isaid_release(osp.join(tmp, 'raw'), {'train': 1, 'val': 1}, size=(40, 48))
        load_tool('isaid').main([osp.join(tmp, 'raw'), root, '--size', '32', '--overlap',
                                 '8'])
    else:  # AID / RESISC-45 and their training-ratio splits
        write_scene_folder(root, per_class=9, val_per_class=1, size=16)
        load_tool('scene_split').main([root, '--ratios', '10', '20', '50'])
    return root


def _datasets(loader_cfg):
    dataset = loader_cfg.dataset
    return list(dataset.datasets) if dataset.type == 'ConcatDataset' else [dataset]


@pytest.mark.parametrize('name', sorted(SCOPES))
def test_base_config_builds_datasets(name, tmp_path):
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', '_base_', 'datasets', f'{name}.py'))
    root = _prepare(name, str(tmp_path))
    scope = SCOPES[name]
    init_default_scope(scope)
    if scope == 'mmpretrain':
        from mmpretrain.registry import DATASETS
    elif scope == 'mmseg':
        from mmseg.registry import DATASETS
    elif scope == 'mmrotate':
        import mmrotate.datasets  # noqa: F401 (registers mmrotate's datasets)
        from mmrotate.registry import DATASETS
    else:
        from mmdet.registry import DATASETS
    import mmrsfm.runtime  # noqa: F401 (the configs' custom_imports)
    loaders = {'train': cfg.train_dataloader, 'val': cfg.val_dataloader,
               'test': cfg.test_dataloader}
    if 'submission_dataloader' in cfg:
        loaders['submission'] = cfg.submission_dataloader
    sizes = {}
    for split, loader in loaders.items():
        assert cfg.data_root.rstrip('/') in loader.dataset.get(
            'data_root', _datasets(loader)[0].data_root)
        for dataset_cfg in _datasets(loader):
            dataset_cfg.data_root = root
        dataset = DATASETS.build(loader.dataset)
        assert len(dataset) > 0, f'{name}: empty {split} set'
        sample = dataset[0]  # the real pipeline runs
        assert sample['inputs'].ndim == 3
        sizes[split] = len(dataset)
    if name in ('dior', 'dior-r'):
        assert sizes == {'train': 3, 'val': 2, 'test': 2}
    if name.startswith('dota'):
        # One 256 px test image; 200 px windows every 100 px: 2 x 2 at rate 1.0, plus 1 at
        # 0.5 (128 px, padded) and 3 x 3 at 1.5 (384 px) for the multi-scale split.
        assert sizes['submission'] == (14 if name == 'dota_ms' else 4)
    if name in ('aid_tr20', 'resisc45_tr20'):  # 10 images per class, 3 classes
        assert sizes == {'train': 6, 'val': 24, 'test': 24}
    if name in REDUCE_ZERO_LABEL:
        _check_labels(DATASETS.build(cfg.val_dataloader.dataset)[0], REDUCE_ZERO_LABEL[name])
    if name == 'spacenet-v1':
        assert sizes == {'train': 2, 'val': 1, 'test': 1}
        assert 'mFscore' in cfg.val_evaluator.iou_metrics


def _check_labels(sample, reduce_zero_label):
    """The val sample's labels (at the original size) against its label PNG read by hand."""
    raw = mmcv.imread(sample['data_samples'].seg_map_path, flag='unchanged',
                      backend='pillow').astype(np.int64)
    expected = np.where(raw == 0, 255, raw - 1) if reduce_zero_label else raw
    got = sample['data_samples'].gt_sem_seg.data[0].numpy()
    assert got.shape == raw.shape and (got == expected).all()
    assert len(np.unique(raw)) > 1
