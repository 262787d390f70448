"""Test-server protocols of the benchmarks (configs/benchmarks/README.md, "Test-server
submissions"): the LoveDA train + val configs (the paper trains on train + val and reports the
test server) build their ConcatDataset and write the test split in the server's format; the
documented commands name tools and flags that exist; the DOTA submission config resolves to the
unlabelled test patches.

LoveDA server format (hand-derived, not read from mmseg's output): one ``<image id>.png`` per test
image, single-channel uint8, values 0..6; the server reads its ground truth as ``label - 1``
(LoveDA annotations: 0 no-data, 1..7 the classes), so a perfect prediction of a pixel labelled
``r`` in the annotation files must be written as ``r - 1``.
"""
import importlib
import os
import os.path as osp
import re
import shlex
import zipfile

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from PIL import Image

from mmrsfm.apis import load_config
from mmrsfm.testing.rs_formats import LOVEDA_CLASSES, write_loveda
from mmrsfm.testing.tiny_runs import TINY_VIT, shrink_vit
from tests.conftest import REPO_ROOT, read_scalars, run_tool

SEG = 'configs/benchmarks/segmentation'
TRAINVAL = {
    arch: f'{SEG}/upernet_vit-{arch}-p16-selectivemae-pre_4xb2-80k_loveda-trainval-512x512.py'
    for arch in ('b', 'l')
}
TRAIN_ONLY = {
    arch: f'{SEG}/upernet_vit-{arch}-p16-selectivemae-pre_4xb2-80k_loveda-512x512.py'
    for arch in ('b', 'l')
}
README = osp.join(REPO_ROOT, 'configs', 'benchmarks', 'README.md')
SPLITS = {'train': 3, 'val': 2, 'test': 2}


def _cfg(path: str) -> Config:
    cfg = load_config(osp.join(REPO_ROOT, path))
    for module in cfg.custom_imports['imports']:
        importlib.import_module(module)
    init_default_scope(cfg.default_scope)
    return cfg


@pytest.fixture(scope='module')
def loveda_root(tmp_path_factory) -> str:
    root = str(tmp_path_factory.mktemp('loveda'))
    write_loveda(root, SPLITS, size=64, unlabelled=('test', ))
    return root


def test_write_loveda_leaves_the_test_split_unlabelled(loveda_root, tmp_path):
    for split, count in SPLITS.items():
        assert len(os.listdir(osp.join(loveda_root, 'img_dir', split))) == count
    assert sorted(os.listdir(osp.join(loveda_root, 'ann_dir'))) == ['train', 'val']
    # the same images as a fully labelled write (the option changes no random draw)
    write_loveda(str(tmp_path), SPLITS, size=64)
    for split, count in SPLITS.items():
        for i in os.listdir(osp.join(loveda_root, 'img_dir', split)):
            with open(osp.join(loveda_root, 'img_dir', split, i), 'rb') as a, \
                    open(tmp_path / 'img_dir' / split / i, 'rb') as b:
                assert a.read() == b.read()


@pytest.mark.parametrize('arch', ['b', 'l'])
def test_trainval_config_changes_only_the_data(arch):
    """Model, optimiser and schedule are the train-on-train config's; train is train + val with
    the same pipeline; no validation; the test set is the unlabelled test split, format-only."""
    new, old = _cfg(TRAINVAL[arch]).to_dict(), _cfg(TRAIN_ONLY[arch]).to_dict()
    for key in ('model', 'optim_wrapper', 'param_scheduler', 'train_cfg', 'test_cfg'):
        assert new[key] == old[key], key
    parts = new['train_dataloader'].pop('dataset')
    base_train = old['train_dataloader'].pop('dataset')
    assert new['train_dataloader'] == old['train_dataloader']  # batch 2 per GPU, sampler
    assert parts['type'] == 'ConcatDataset'
    assert [d['data_prefix'] for d in parts['datasets']] == [
        dict(img_path='img_dir/train', seg_map_path='ann_dir/train'),
        dict(img_path='img_dir/val', seg_map_path='ann_dir/val'),
    ]
    for part in parts['datasets']:
        assert {k: v for k, v in part.items() if k != 'data_prefix'} == {
            k: v for k, v in base_train.items() if k != 'data_prefix'}
    assert new['val_dataloader'] is None and new['val_evaluator'] is None
    assert new['val_cfg'] is None and new['default_hooks']['checkpoint']['save_best'] is None
    test_set = new['test_dataloader']['dataset']
    assert test_set['data_prefix'] == dict(img_path='img_dir/test')
    assert test_set['reduce_zero_label'] is False
    assert [t['type'] for t in test_set['pipeline']] == [
        'LoadImageFromFile', 'Resize', 'PackSegInputs']
    assert new['test_evaluator'] == dict(
        type='IoUMetric', format_only=True,
        output_dir=f'work_dirs/{osp.splitext(osp.basename(TRAINVAL[arch]))[0]}/submission')


def test_trainval_concat_dataset_builds_over_both_splits(loveda_root):
    from mmseg.registry import DATASETS
    cfg = _cfg(TRAINVAL['b'])
    for part in cfg.train_dataloader.dataset.datasets:
        part.data_root = loveda_root
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    assert type(dataset).__name__ == 'ConcatDataset'
    assert len(dataset) == SPLITS['train'] + SPLITS['val']
    assert dataset.metainfo['classes'] == LOVEDA_CLASSES
    paths = [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]
    assert [osp.basename(osp.dirname(p)) for p in paths] == ['train'] * 3 + ['val'] * 2
    # a val image through the training pipeline: labels reduced to 0..6, no-data -> 255
    sample = dataset[4]
    labels = set(np.unique(sample['data_samples'].gt_sem_seg.data.numpy()).tolist())
    assert labels <= set(range(7)) | {255} and labels - {255}


def _test_set(cfg: Config, root: str, split: str = 'test'):
    from mmseg.registry import DATASETS
    cfg.test_dataloader.dataset.update(
        data_root=root, data_prefix=dict(img_path=f'img_dir/{split}'))
    return DATASETS.build(cfg.test_dataloader.dataset)


def _write_predictions(cfg: Config, dataset, preds, out_dir: str) -> dict:
    """Feed ``preds`` (one HxW label map per image) to the config's test evaluator."""
    from mmseg.registry import METRICS
    cfg.test_evaluator.output_dir = out_dir
    evaluator = Evaluator(METRICS.build(cfg.test_evaluator))
    evaluator.dataset_meta = dataset.metainfo
    for i, pred in enumerate(preds):
        sample = dataset[i]['data_samples']
        assert 'gt_sem_seg' not in sample  # nothing read from labels
        sample.pred_sem_seg = PixelData(data=torch.from_numpy(pred)[None].long())
        evaluator.process(data_samples=[sample])
    return evaluator.evaluate(len(preds))


def _read_png(path: str) -> np.ndarray:
    with Image.open(path) as image:
        assert image.mode == 'L', f'{path}: mode {image.mode}'
        return np.array(image)


def test_format_only_writes_the_server_values(loveda_root, tmp_path):
    cfg = _cfg(TRAINVAL['b'])
    dataset = _test_set(cfg, loveda_root)
    assert [osp.basename(d['img_path']) for d in dataset.load_data_list()] == ['5.png', '6.png']
    assert all('seg_map_path' not in d for d in dataset.load_data_list())
    # every model label in a known pattern: pixel (y, x) predicts (x + 2 y) % 7
    yy, xx = np.mgrid[:64, :64]
    pattern = (xx + 2 * yy) % 7
    preds = [pattern, 6 - pattern]
    assert _write_predictions(cfg, dataset, preds, str(tmp_path / 'sub')) == {}
    assert sorted(os.listdir(tmp_path / 'sub')) == ['5.png', '6.png']
    for name, pred in zip(['5.png', '6.png'], preds):
        written = _read_png(str(tmp_path / 'sub' / name))
        assert written.dtype == np.uint8 and written.shape == (64, 64)
        # model label c (class LOVEDA_CLASSES[c]) -> server value c: 0..6, no offset
        np.testing.assert_array_equal(written, pred)
        assert written.min() == 0 and written.max() == 6


def test_perfect_prediction_matches_the_servers_reading_of_the_labels(loveda_root, tmp_path):
    """The test settings on the (labelled) val images, predicting the ground truth through mmseg's
    own label loading: the files must equal the annotation - 1 wherever it is labelled."""
    from mmseg.datasets.transforms import LoadAnnotations
    cfg = _cfg(TRAINVAL['b'])
    dataset = _test_set(cfg, loveda_root, split='val')
    load = LoadAnnotations(reduce_zero_label=True)
    names = [osp.basename(d['img_path']) for d in dataset.load_data_list()]
    raw = [cv2.imread(osp.join(loveda_root, 'ann_dir', 'val', n), cv2.IMREAD_UNCHANGED)
           for n in names]
    preds = []
    for name, r in zip(names, raw):
        labels = load(dict(seg_map_path=osp.join(loveda_root, 'ann_dir', 'val', name),
                           reduce_zero_label=True, seg_fields=[]))['gt_seg_map']
        preds.append(np.where(labels == 255, 0, labels))  # no-data pixels: any class
    _write_predictions(cfg, dataset, preds, str(tmp_path / 'sub'))
    for name, r in zip(names, raw):
        written = _read_png(str(tmp_path / 'sub' / name))
        labelled = r > 0
        assert labelled.sum() > 0 and set(np.unique(r[labelled])) > {1}
        np.testing.assert_array_equal(written[labelled], r[labelled].astype(np.int64) - 1)
    # mmseg's default (reduce_zero_label=True on the test set, as in the train-on-train config)
    # writes label + 1: agricultural (model label 6) would become 7, outside the server's 0..6.
    cfg = _cfg(TRAINVAL['b'])
    cfg.test_dataloader.dataset.reduce_zero_label = True
    dataset = _test_set(cfg, loveda_root)
    _write_predictions(cfg, dataset, [np.full((64, 64), 6), np.zeros((64, 64), int)],
                       str(tmp_path / 'default'))
    assert _read_png(str(tmp_path / 'default' / '5.png')).max() == 7


def _submission_commands(section: str):
    """``(tool path, flags)`` of every documented ``python tools/...`` / ``bash tools/...`` line
    (continuation lines joined)."""
    text = re.sub(r'\\\n\s*', ' ', section)
    for line in text.splitlines():
        words = shlex.split(line.strip()) if line.strip().startswith(('python ', 'bash ')) else []
        if len(words) > 1 and words[1].startswith('tools/'):
            yield words[1], [w.split('=')[0] for w in words[2:] if w.startswith('--')]


def _readme_section() -> str:
    with open(README) as f:
        text = f.read()
    start = text.index('## Test-server submissions')
    return text[start:text.index('\n## ', start + 1)]


def test_documented_commands_use_existing_tools_and_flags():
    commands = list(_submission_commands(_readme_section()))
    assert {tool for tool, _ in commands} == {
        'tools/dist_train.sh', 'tools/test.py', 'tools/dataset_converters/dota_split.py',
        'tools/dataset_converters/dota_merge.py'}
    for tool, flags in commands:
        with open(osp.join(REPO_ROOT, tool)) as f:
            source = f.read()
        for flag in flags:
            assert f"'{flag}'" in source, f'{tool} has no {flag} option'
    section = _readme_section()
    for path in TRAINVAL.values():
        assert osp.relpath(path, 'configs/benchmarks') in section


def _dota_submission_config(tmp_path) -> str:
    """The DOTA test config the README writes with a here-document, at its documented path."""
    heredoc = re.search(r"cat > (\S+) <<'PY'\n(.*?)\nPY\n", _readme_section(), re.S)
    rel_path, text = heredoc.group(1), heredoc.group(2)
    os.symlink(osp.join(REPO_ROOT, 'configs'), tmp_path / 'configs')
    path = tmp_path / rel_path
    path.parent.mkdir(parents=True)
    path.write_text(text + '\n')
    return str(path)


def test_dota_submission_config_reads_the_unlabelled_test_patches(tmp_path):
    cfg = load_config(_dota_submission_config(tmp_path))
    dataset = cfg.test_dataloader.dataset
    assert (dataset.data_root, dataset.ann_file) == ('data/split_ss_dota/', '')
    assert dataset.data_prefix == dict(img_path='test/images/') and dataset.test_mode
    assert not any('LoadAnnotations' in t.type for t in dataset.pipeline)
    assert cfg.test_evaluator.to_dict() == dict(
        type='DOTAMetric', format_only=True, outfile_prefix='work_dirs/dota_test/patches')
    trained = load_config(osp.join(
        REPO_ROOT, 'configs/benchmarks/rotated_detection/'
        'oriented-rcnn-le90_vit-b-p16-selectivemae-pre_fpn_1x_dota.py'))
    assert cfg.model == trained.model


def _tiny_trainval_config(root: str, work_dir: str) -> str:
    """The ViT-B train + val config with a tiny ViT on 64 px images, a seconds-long CPU run;
    test split, format-only evaluator and slide inference as in the real config."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, TRAINVAL['b']))
    shrink_vit(cfg.model)
    size = TINY_VIT['img_size']
    cfg.model.data_preprocessor.size = (size, size)
    cfg.model.test_cfg = dict(mode='slide', crop_size=(size, size), stride=(48, 48))
    train_pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations', reduce_zero_label=True),
        dict(type='RandomCrop', crop_size=(size, size), cat_max_ratio=0.75),
        dict(type='PackSegInputs'),
    ]
    for part in cfg.train_dataloader.dataset.datasets:
        part.update(data_root=root, pipeline=train_pipeline)
    cfg.test_dataloader.dataset.data_root = root
    cfg.test_dataloader.dataset.pipeline[1].scale = (128, 128)  # the 128 px images' own size
    for loader in (cfg.train_dataloader, cfg.test_dataloader):
        loader.update(num_workers=0, persistent_workers=False)
    cfg.test_evaluator.output_dir = osp.join(work_dir, 'submission')
    cfg.param_scheduler = None
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2)
    cfg.default_hooks.checkpoint.interval = 2
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.randomness = dict(seed=0)
    path = osp.join(work_dir, 'loveda_trainval_tiny.py')
    os.makedirs(work_dir, exist_ok=True)
    cfg.dump(path)
    return path


def test_train_on_trainval_then_write_the_test_submission(tmp_path, python):
    root, work = str(tmp_path / 'loveda'), str(tmp_path / 'work')
    written = write_loveda(root, {'train': 2, 'val': 2, 'test': 3}, unlabelled=('test', ))
    config = _tiny_trainval_config(root, work)
    run_tool([python, 'tools/train.py', config, '--work-dir', work], cwd=REPO_ROOT)
    assert [r['iter'] for r in read_scalars(work) if 'loss' in r] == [1, 2]
    # A checkpoint whose classifier says "background" everywhere: all logits 0 but class 0's.
    state = torch.load(osp.join(work, 'iter_2.pth'), map_location='cpu', weights_only=False)
    weights = state['state_dict']
    weights['decode_head.conv_seg.weight'].zero_()
    weights['decode_head.conv_seg.bias'].copy_(torch.tensor([9.0, 0, 0, 0, 0, 0, 0]))
    torch.save(state, osp.join(work, 'background.pth'))
    run_tool([python, 'tools/test.py', config, osp.join(work, 'background.pth'), '--work-dir',
              work], cwd=REPO_ROOT)
    names = sorted(f'{i}.png' for i in written['test'])
    assert sorted(os.listdir(osp.join(work, 'submission'))) == names
    for name in names:
        values = _read_png(osp.join(work, 'submission', name))
        assert values.shape == (128, 128)
        assert (values == 0).all()  # background is server value 0 (mmseg's default writes 1)
    # the README's zip command: the PNGs at the root of the archive
    run_tool([python, '-m', 'zipfile', '-c', osp.join(work, 'loveda_test.zip')] +
             [osp.join(work, 'submission', n) for n in names], cwd=REPO_ROOT)
    with zipfile.ZipFile(osp.join(work, 'loveda_test.zip')) as archive:
        assert sorted(archive.namelist()) == names


def test_dota_submission_chain_as_documented(tmp_path, python):
    """Split the test images, run tools/test.py --out with the README's test config (tiny ViT,
    random weights, every detection kept), merge with dota_merge.py --zip: one Task1_<class>.txt
    per DOTA class, lines naming the full test images (not patches), and the zip of them."""
    from mmrotate.registry import MODELS

    from mmrsfm.testing.rs_formats import DOTA_CLASSES, write_dota
    ids = write_dota(str(tmp_path / 'DOTA'), 'test', num_images=2, size=300, raw_release=True)
    split = str(tmp_path / 'split_ss_dota')
    run_tool([python, 'tools/dataset_converters/dota_split.py', str(tmp_path / 'DOTA'), split,
              '--phases', 'test', '--size', '128', '--gap', '28'], cwd=REPO_ROOT)
    patches = os.listdir(osp.join(split, 'test', 'images'))
    assert len(patches) == 2 * 9  # 300 px: patches at 0, 100, 172 (stride 100, last flush)
    cfg = Config.fromfile(_dota_submission_config(tmp_path))
    shrink_vit(cfg.model)
    cfg.model.backbone.img_size = 128
    cfg.model.test_cfg.rpn.update(nms_pre=200, max_per_img=100)
    cfg.model.test_cfg.rcnn.update(score_thr=0.0, max_per_img=20)
    loader = cfg.test_dataloader
    loader.update(num_workers=0, persistent_workers=False)
    loader.dataset.data_root = split + '/'
    loader.dataset.pipeline[1].scale = (128, 128)
    work = str(tmp_path / 'work')
    cfg.test_evaluator.outfile_prefix = osp.join(work, 'patches')
    os.makedirs(work)
    config = osp.join(work, 'dota_test_tiny.py')
    cfg.dump(config)
    init_default_scope('mmrotate')
    torch.manual_seed(0)
    torch.save({'state_dict': MODELS.build(cfg.model).state_dict()}, osp.join(work, 'rand.pth'))
    run_tool([python, 'tools/test.py', config, osp.join(work, 'rand.pth'), '--work-dir', work,
              '--out', osp.join(work, 'preds_test.pkl')], cwd=REPO_ROOT)
    task1 = osp.join(work, 'Task1')
    run_tool([python, 'tools/dataset_converters/dota_merge.py', osp.join(work, 'preds_test.pkl'),
              task1, '--zip'], cwd=REPO_ROOT)
    names = sorted(f'Task1_{c}.txt' for c in DOTA_CLASSES)
    assert sorted(n for n in os.listdir(task1) if n.endswith('.txt')) == names
    lines = []
    for name in names:
        with open(osp.join(task1, name)) as f:
            lines += [line.split() for line in f if line.strip()]
    assert lines, 'no detection was written'
    assert {line[0] for line in lines} <= set(ids)  # full-image ids: <id> <score> 8 coords
    assert all(len(line) == 10 for line in lines)
    with zipfile.ZipFile(osp.join(task1, 'Task1.zip')) as archive:
        assert sorted(archive.namelist()) == names
