"""The Potsdam and iSAID converters' ``--protocol samrs`` presets (SAMRS fine-tuning protocol,
paper appendix A.6) on tiny release-format data: windows, clutter / background -> 255, overrides;
the default (mmseg) protocol stays as it was."""
import importlib.util
import os
import os.path as osp

import cv2
import numpy as np

from mmrsfm.testing.rs_formats import write_isaid_release, write_potsdam_release
from tests.conftest import REPO_ROOT


def load_tool(name: str):
    path = osp.join(REPO_ROOT, 'tools', 'dataset_converters', f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'protocol_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read(path):
    return cv2.imread(path, cv2.IMREAD_UNCHANGED)


def test_potsdam_samrs_protocol_stride_320_and_clutter_ignored(tmp_path):
    src = str(tmp_path / 'raw')
    # One 832 px train tile: stride 320 gives starts [0, 320] (320 + 512 = 832), stride 256
    # gives [0, 256, 320] (mmseg's default).
    labels = write_potsdam_release(src, tiles=('2_10', ), size=832)['2_10']
    assert (labels == 6).any() and (labels == 0).any()
    tool = load_tool('potsdam')
    samrs, mmseg = str(tmp_path / 'samrs'), str(tmp_path / 'mmseg')
    tool.main([src, samrs, '--protocol', 'samrs'])
    tool.main([src, mmseg])
    names = sorted(os.listdir(osp.join(samrs, 'ann_dir', 'train')))
    assert names == sorted(f'2_10_{x}_{y}_{x + 512}_{y + 512}.png'
                           for x in (0, 320) for y in (0, 320))
    assert len(os.listdir(osp.join(mmseg, 'ann_dir', 'train'))) == 9
    expected = labels[320:832, 0:512].copy()
    expected[expected == 6] = 255  # clutter ignored; boundary stays 0 (mmseg ignores it)
    np.testing.assert_array_equal(
        _read(osp.join(samrs, 'ann_dir', 'train', '2_10_0_320_512_832.png')), expected)
    np.testing.assert_array_equal(
        _read(osp.join(mmseg, 'ann_dir', 'train', '2_10_0_320_512_832.png')),
        labels[320:832, 0:512])
    # Presets are overridable: samrs windows with clutter kept.
    kept = str(tmp_path / 'kept')
    tool.main([src, kept, '--protocol', 'samrs', '--no-ignore-clutter', '--stride', '416'])
    patch = _read(osp.join(kept, 'ann_dir', 'train', '2_10_0_320_512_832.png'))
    np.testing.assert_array_equal(patch, labels[320:832, 0:512])


def test_isaid_samrs_protocol_ignores_background(tmp_path):
    src = str(tmp_path / 'raw')
    labels = write_isaid_release(src, {'train': 1, 'val': 1}, size=(80, 120))
    tool = load_tool('isaid')
    out = str(tmp_path / 'iSAID')
    tool.main([src, out, '--protocol', 'samrs', '--size', '64', '--overlap', '16'])
    patch = _read(osp.join(out, 'ann_dir', 'val', 'P0001_16_80_48_112_instance_color_RGB.png'))
    expected = labels['val']['P0001'][16:80, 48:112].copy()
    assert (expected == 0).any()
    expected[expected == 0] = 255
    np.testing.assert_array_equal(patch, expected)
    default = str(tmp_path / 'default')
    tool.main([src, default, '--size', '64', '--overlap', '16'])
    patch = _read(osp.join(default, 'ann_dir', 'val',
                           'P0001_16_80_48_112_instance_color_RGB.png'))
    np.testing.assert_array_equal(patch, labels['val']['P0001'][16:80, 48:112])
