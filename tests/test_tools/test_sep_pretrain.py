"""Multi-head SAMRS pretraining (SEP) through tools/train.py on tiny generated SAMRS data (three
subsets, three heads), then tools/model_converters/extract_sep_weights.py into a plain UperNet."""
import glob
import importlib
import importlib.util
import os.path as osp
import sys

import pytest
import torch
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from mmrsfm.testing.pretrain_runs import make_tiny_sep_config, write_tiny_sep_data
from tests.conftest import REPO_ROOT, assert_finite, read_scalars, run_tool

EXTRACT = osp.join(REPO_ROOT, 'tools', 'model_converters', 'extract_sep_weights.py')
SOURCES = ('sota', 'sior', 'fast')
ITERS = 4


@pytest.fixture(scope='module')
def sep_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('sep')
    data_root, work_dir = str(tmp / 'SAMRS'), str(tmp / 'work')
    write_tiny_sep_data(data_root)
    cfg, path = make_tiny_sep_config(data_root, work_dir, iters=ITERS)
    run_tool([sys.executable, 'tools/train.py', path, '--work-dir', work_dir], cwd=REPO_ROOT)
    return cfg, work_dir


def _extract_tool():
    spec = importlib.util.spec_from_file_location('extract_sep_weights', EXTRACT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_three_heads_train_and_validate_per_subset(sep_run):
    cfg, work_dir = sep_run
    log = open(sorted(glob.glob(osp.join(work_dir, '*', '*.log')))[-1]).read()
    # Per-rank batch 6 over 2 / 3 / 7 training images: shares 1 / 1.5 / 3.5 -> 1 / 1 / 3, the
    # tied remainders (.5, .5) go to the earlier source: 1 / 2 / 3.
    assert 'sota: 2 samples -> 1, sior: 3 samples -> 2, fast: 7 samples -> 3' in log
    records = read_scalars(work_dir)
    train = [r for r in records if 'loss' in r]
    assert len(train) == ITERS
    for r in train:
        parts = [r[f'decode.{s}.loss_ce'] for s in SOURCES]
        for value in parts:
            assert_finite(value, 'per-source loss')
        assert r['loss'] == pytest.approx(sum(parts), rel=1e-4)  # loss = sum over the heads
        # The first param group is the ViT stem: layer decay 0.9 ** (4 blocks + 1) of the
        # scheduled base lr, at every step of the cosine schedule.
        assert r['lr'] == pytest.approx(r['base_lr'] * 0.9**5, rel=1e-6)
    val = [r for r in records if 'mIoU' in r]
    assert len(val) == 1
    per_subset = [val[0][f'{s}/mIoU'] for s in SOURCES]
    for value in per_subset:
        assert 0.0 <= value <= 100.0
    assert val[0]['mIoU'] == pytest.approx(sum(per_subset) / 3, abs=0.01)
    assert 'mIoU per source and their mean' in log
    assert "source 'fast'" in log and 'Warship' in log  # FAST's per-class table


def test_extracted_weights_load_into_a_plain_upernet(sep_run, tmp_path, capsys):
    cfg, work_dir = sep_run
    checkpoint = osp.join(work_dir, f'iter_{ITERS}.pth')
    out = str(tmp_path / 'sep_pretrained.pth')
    tool = _extract_tool()  # run in-process: the same main() as on the command line
    tool.main([checkpoint, out])
    assert 'dropped 6' in capsys.readouterr().out  # weight + bias of three classifiers

    for module in cfg.custom_imports.imports:
        importlib.import_module(module)
    init_default_scope('mmseg')
    plain = cfg.model.copy()
    plain.type = 'EncoderDecoder'
    plain.decode_head = dict(plain.decode_head, type='UPerHead', num_classes=6)
    plain.decode_head.pop('source_classes')
    plain.auxiliary_head = dict(type='FCNHead', in_channels=32, in_index=2, channels=16,
                                num_convs=1, num_classes=6, norm_cfg=dict(type='BN'))
    model = MODELS.build(plain)
    state = torch.load(out, weights_only=True)['state_dict']
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert unexpected == []
    assert {k for k in missing if not k.startswith('auxiliary_head.')} == {
        'decode_head.conv_seg.weight', 'decode_head.conv_seg.bias'}
    sep_state = torch.load(checkpoint, weights_only=False)['state_dict']
    own = model.state_dict()
    for key, value in state.items():
        assert torch.equal(own[key], sep_state[key]), key
    assert any(k.startswith('backbone.layers.') for k in state)
    assert any(k.startswith('decode_head.fpn_bottleneck.') for k in state)

    backbone_only = str(tmp_path / 'backbone.pth')
    tool.main([checkpoint, backbone_only, '--backbone-only'])
    keys = set(torch.load(backbone_only, weights_only=True)['state_dict'])
    assert keys == {k for k in sep_state if k.startswith('backbone.')}

    # --keep-classifier: SOTA's classifier under the plain UperNet name.
    with_sota = str(tmp_path / 'with_sota.pth')
    tool.main([checkpoint, with_sota, '--keep-classifier', 'sota'])
    kept = torch.load(with_sota, weights_only=True)['state_dict']
    assert torch.equal(kept['decode_head.conv_seg.weight'],
                       sep_state['decode_head.conv_seg.sota.weight'])
    assert kept['decode_head.conv_seg.weight'].shape[0] == 18

    # A checkpoint without per-source classifiers is refused with the reason.
    with pytest.raises(ValueError, match=r'not a MultiHeadEncoderDecoder \(SEP\) checkpoint'):
        tool.main([out, str(tmp_path / 'again.pth')])
    assert not osp.exists(tmp_path / 'again.pth')
