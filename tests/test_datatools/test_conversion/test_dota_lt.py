"""DOTA-LT crops (mmrsfm/datatools/conversion/dota_lt.py and its CLI) from a generated DOTA
release with hand-written labels: crop boxes, per-class counts per split, groups and imbalance
ratio against hand computations, resume, file:line errors, and the debLoRA config reading the
output."""
import glob
import importlib.util
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS

import mmrsfm.runtime  # noqa: F401  (the configs' custom_imports)
from mmrsfm.datatools.conversion import DOTA_LT_CLASSES, crop_box, dota_lt_stats, plan_dota_lt
from mmrsfm.testing import write_dota
from tests.conftest import REPO_ROOT, run_tool

TOOL = osp.join(REPO_ROOT, 'tools', 'dataset_converters', 'dota_lt.py')
TINY_CFG = osp.join(REPO_ROOT, 'configs', 'deblora', 'lora_vit-tiny-p8-32px_1xb8-2e_dota-lt.py')
BASE_CFG = osp.join(REPO_ROOT, 'configs', 'deblora', '_base_', 'dota-lt_crops.py')
SIZE = 256
HEADER = ['imagesource:GoogleEarth', 'gsd:0.5']
# A rotated plane: corners span x 100..150, y 50..100.
PLANE = '100 60 140 50 150 90 110 100 plane 0'


def _box(x0, y0, x1, y1, name, difficult=0):
    return f'{x0} {y0} {x1} {y0} {x1} {y1} {x0} {y1} {name} {difficult}'


def _small_vehicles(n):
    return [_box(20 + 30 * i, 150, 30 + 30 * i, 160, 'small-vehicle') for i in range(n)]


# Hand-written labels (lines 1-2 are the release's header lines).
TRAIN_LABELS = {
    # 6 small vehicles (lines 3-8), 2 planes (lines 9-10)
    'P0000': HEADER + _small_vehicles(6) + [PLANE, _box(20, 20, 60, 60, 'plane')],
    # 6 small vehicles, a plane and a difficult plane (line 10)
    'P0001': HEADER + _small_vehicles(6) + [PLANE, _box(20, 20, 60, 60, 'plane', 1)],
    # a helicopter, a small vehicle outside the 256 px image
    'P0002': HEADER + [_box(40, 40, 80, 70, 'helicopter'),
                       _box(300, 10, 320, 20, 'small-vehicle')],
}
VAL_LABELS = {
    'P0000': HEADER + [_box(10, 10, 40, 30, 'ship'), _box(60, 60, 90, 80, 'ship'),
                       _box(100, 100, 200, 200, 'roundabout')],
}
# By hand, val fraction 0.25, difficult kept: train small-vehicle 12 -> floor(3.5) = 3 to val;
# plane 4 -> floor(1.5) = 1; helicopter 1 -> floor(0.75) = 0. The outside object is dropped.
EXPECTED = {
    'train': {'small-vehicle': 9, 'plane': 3, 'helicopter': 1},
    'val': {'small-vehicle': 3, 'plane': 1},
    'test': {'ship': 2, 'roundabout': 1},
}


def make_release(root):
    for split, labels in (('train', TRAIN_LABELS), ('val', VAL_LABELS)):
        write_dota(root, split, num_images=len(labels), size=SIZE, raw_release=True, seed=1)
        for image_id, lines in labels.items():
            with open(osp.join(root, split, 'labelTxt', f'{image_id}.txt'), 'w') as f:
                f.write('\n'.join(lines) + '\n')
    return root


def full_counts(partial):
    return {s: {c: partial.get(s, {}).get(c, 0) for c in DOTA_LT_CLASSES} for s in EXPECTED}


def folder_counts(out):
    return {s: {c: len(os.listdir(osp.join(out, s, c))) for c in DOTA_LT_CLASSES}
            for s in EXPECTED}


def load_tool():
    spec = importlib.util.spec_from_file_location('dataset_converters_dota_lt', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mtimes(folder):
    return {p: os.stat(p).st_mtime_ns
            for p in glob.glob(osp.join(folder, '**', '*'), recursive=True) if osp.isfile(p)}


def test_crop_box_by_hand():
    plane = np.array([[100, 60], [140, 50], [150, 90], [110, 100]], dtype=float)
    # 50 x 50 box, 5 px margin a side.
    assert crop_box(plane, SIZE, SIZE, margin=0.1, min_size=32) == (95, 45, 155, 105)
    assert crop_box(plane, SIZE, SIZE, margin=0.0, min_size=1) == (100, 50, 150, 100)
    # 10 x 10 at the top-left corner: 4..16 (12 px) grows to 32 about its centre (-6..26),
    # clipped to 0..26, shifted back to 0..32.
    tiny = np.array([[5, 5], [15, 5], [15, 15], [5, 15]], dtype=float)
    assert crop_box(tiny, SIZE, SIZE) == (0, 0, 32, 32)
    # the same at the right edge: x 239..251 -> 229..261 -> clipped 229..256 -> shifted
    # 224..256; y 104..116 -> 94..126.
    assert crop_box(tiny + [235, 100], SIZE, SIZE) == (224, 94, 256, 126)
    # margins clipped, not shifted, when the crop stays >= min_size: 0..44 x 0..44 of 40 x 40.
    corner = np.array([[0, 0], [40, 0], [40, 40], [0, 40]], dtype=float)
    assert crop_box(corner, SIZE, SIZE) == (0, 0, 44, 44)
    # partly outside: clipped to the image first (x 250..256 of 250..270).
    assert crop_box(corner * [0.5, 1] + [250, 0], SIZE, SIZE) == (224, 0, 256, 44)
    assert crop_box(corner + 300, SIZE, SIZE) is None
    with pytest.raises(ValueError, match='margin'):
        crop_box(plane, SIZE, SIZE, margin=-0.1)


def test_plan_counts_groups_and_imbalance_ratio_by_hand(tmp_path):
    root = make_release(str(tmp_path / 'DOTA'))
    items, skipped = plan_dota_lt(root, val_fraction=0.25, seed=0)
    assert skipped == {'difficult': 0, 'outside': 1}
    stats = dota_lt_stats(items)
    assert stats['counts'] == full_counts(EXPECTED)
    assert stats['totals'] == {'train': 13, 'val': 4, 'test': 3}
    assert stats['imbalance_ratio'] == 9.0  # 9 small vehicles / 1 helicopter
    assert stats['class_imbalance_ratio']['plane'] == 3.0
    assert stats['class_imbalance_ratio']['ship'] is None
    assert 'ship' in stats['missing_train'] and 'plane' not in stats['missing_train']
    # Groups: the config's class_groups (label indices of the sorted classes).
    cfg = Config.fromfile(BASE_CFG)
    assert tuple(stats['classes']) == cfg.classes
    assert stats['class_groups'] == {k: list(v) for k, v in cfg.class_groups.items()}
    assert stats['groups']['head'] == ['large-vehicle', 'ship', 'small-vehicle']
    assert 'plane' in stats['groups']['middle'] and 'helicopter' in stats['groups']['tail']

    # The hold-out is seeded: same seed, same split; per object, not per image.
    again, _ = plan_dota_lt(root, val_fraction=0.25, seed=0)
    assert [(i.split, i.image, i.line) for i in again] == [(i.split, i.image, i.line)
                                                           for i in items]
    # Difficult objects skipped: 3 planes -> floor(0.75 + 0.5) = 1 val, 2 train.
    items, skipped = plan_dota_lt(root, val_fraction=0.25, difficult='skip')
    assert skipped == {'difficult': 1, 'outside': 1}
    counts = dota_lt_stats(items)['counts']
    assert (counts['train']['plane'], counts['val']['plane']) == (2, 1)


def test_cli_writes_crops_resumes_and_config_reads_them(tmp_path, capsys):
    root = make_release(str(tmp_path / 'DOTA'))
    before_inputs = mtimes(root)
    out = str(tmp_path / 'dota_lt')
    args = [root, out, '--val-fraction', '0.25', '--seed', '0']
    tool = load_tool()
    tool.main(args)
    printed = capsys.readouterr().out
    assert '20 new crops (20 in all, 15 classes)' in printed
    assert 'imbalance ratio (train, max / min count): 9.00' in printed
    assert folder_counts(out) == full_counts(EXPECTED)
    assert sorted(os.listdir(out)) == ['dota_lt_stats.json', 'test', 'train', 'val']
    with open(osp.join(out, 'dota_lt_stats.json')) as f:
        stats = json.load(f)
    assert stats['counts'] == full_counts(EXPECTED) and stats['imbalance_ratio'] == 9.0
    assert stats['settings'] == dict(val_fraction=0.25, seed=0, margin=0.1, min_size=32,
                                     difficult='keep')

    # The plane on line 9 of train P0000 (the first of its two planes; in train or val): the
    # margin box by hand, pixel for pixel.
    image = cv2.imread(osp.join(root, 'train', 'images', 'P0000.png'))
    crop_path, = glob.glob(osp.join(out, '*', 'plane', 'P0000_L0009.png'))
    np.testing.assert_array_equal(cv2.imread(crop_path), image[45:105, 95:155])
    crop = cv2.imread(glob.glob(osp.join(out, '*', 'small-vehicle', 'P0000_L0003.png'))[0])
    assert crop.shape == (32, 32, 3)  # 10 x 10 object, 12 px with margins -> min_size

    # Resume: nothing new, nothing rewritten; a deleted crop is redone.
    written = mtimes(out)
    tool.main(args)
    assert '0 new crops' in capsys.readouterr().out
    assert mtimes(out) == written
    os.remove(crop_path)
    tool.main(args)
    assert '1 new crops' in capsys.readouterr().out
    assert mtimes(root) == before_inputs  # inputs never modified

    # Other settings into the same folder are refused.
    with pytest.raises(SystemExit, match=r'dota_lt_stats\.json: the crops there were made'):
        tool.main(args + ['--margin', '0.2'])

    # The debLoRA tiny config's datasets read the output with the config's labels.
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(TINY_CFG)
    for split, loader in (('train', cfg.train_dataloader), ('val', cfg.val_dataloader),
                          ('test', cfg.test_dataloader)):
        loader.dataset.data_root = out
        dataset = DATASETS.build(loader.dataset)
        assert len(dataset) == sum(EXPECTED[split].values())
        assert dataset.metainfo['class_groups'] == cfg.class_groups
        for i in range(len(dataset)):
            info = dataset.get_data_info(i)
            folder = osp.basename(osp.dirname(info['img_path']))
            assert dataset.metainfo['classes'][info['gt_label']] == folder
            assert osp.dirname(osp.dirname(info['img_path'])) == osp.join(out, split)
        sample = dataset[0]
        assert tuple(sample['inputs'].shape) == (3, 32, 32)


def test_unknown_class_fails_with_file_and_line(tmp_path):
    root = make_release(str(tmp_path / 'DOTA'))
    with open(osp.join(root, 'val', 'labelTxt', 'P0000.txt'), 'a') as f:
        f.write(_box(10, 10, 20, 20, 'container-crane') + '\n')  # line 6
    with pytest.raises(SystemExit, match=r"val/labelTxt/P0000\.txt:6: unknown class "
                                         r"'container-crane'"):
        load_tool().main([root, str(tmp_path / 'out')])
    assert not osp.exists(tmp_path / 'out')  # planned before anything is written


def test_runs_as_a_script(tmp_path, python):
    root = make_release(str(tmp_path / 'DOTA'))
    out = str(tmp_path / 'dota_lt')
    result = run_tool([python, TOOL, root, out, '--val-fraction', '0.25', '--nproc', '2'],
                      cwd=REPO_ROOT)
    assert '20 new crops' in result.stdout
    assert folder_counts(out) == full_counts(EXPECTED)
