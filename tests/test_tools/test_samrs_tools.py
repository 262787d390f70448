"""SAMRS tools end to end: label generation with a randomly initialised SAM vit_b read from a
checkpoint file (run once per module: the vit_b image encoder costs ~35 s per image on CPU),
resume, the prompt study on the generated instances, and the authors' pickles -> COCO -> mmdet
CocoDataset through the instance configs."""
import contextlib
import io
import json
import os
import os.path as osp
import pickle
import runpy
import sys

import cv2
import numpy as np
import pytest
import torch
from PIL import Image
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from mmrsfm.datasets.samrs_metainfo import FAST_CLASSES, IGNORE_INDEX, SIOR_CLASSES, SOTA_CLASSES
from tests.conftest import REPO_ROOT, run_tool

ANNOTATIONS = {
    # Released DOTA layout: header lines, then 8-point polygons. A large axis-aligned harbor
    # and a small rotated ship inside it.
    'A': 'imagesource:GoogleEarth\ngsd:0.5\n8 8 88 8 88 88 8 88 harbor 0\n'
         '30 40 52 30 60 46 38 56 ship 0\n',
    'B': 'imagesource:GoogleEarth\ngsd:0.5\n',                          # no objects
    'C': 'imagesource:GoogleEarth\ngsd:0.5\n1 2 3 4 5 6 7 8 plane 0\n1 2 3 ship 0\n',
}


@pytest.fixture(scope='module')
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp('samrs_gen')
    images, anns = root / 'images', root / 'labelTxt'
    images.mkdir()
    anns.mkdir()
    rng = np.random.RandomState(0)
    for stem, text in ANNOTATIONS.items():
        image = rng.randint(0, 50, (96, 96, 3), np.uint8)
        cv2.rectangle(image, (8, 8), (88, 88), (90, 140, 160), -1)
        cv2.fillPoly(image, [np.array([[30, 40], [52, 30], [60, 46], [38, 56]])], (240, 240, 240))
        cv2.imwrite(str(images / f'{stem}.png'), image)
        (anns / f'{stem}.txt').write_text(text)
    (root / 'train.txt').write_text('A\nB\n')
    from segment_anything import sam_model_registry
    torch.manual_seed(0)
    checkpoint = str(root / 'sam_vit_b_random.pth')
    torch.save(sam_model_registry['vit_b'](checkpoint=None).state_dict(), checkpoint)
    out = str(root / 'out')
    cmd = [sys.executable, 'tools/samrs/generate_labels.py', '--images', str(images),
           '--annotations', str(anns), '--format', 'dota', '--classes', 'sota',
           '--sam-checkpoint', checkpoint, '--model-type', 'vit_b', '--prompt', 'auto',
           '--batch-boxes', '1', '--device', 'cpu', '--out', out, '--no-progress',
           '--link-images', '--coco-splits', str(root / 'train.txt')]
    first = run_tool(cmd, cwd=REPO_ROOT).stdout
    mtimes = {f: os.stat(osp.join(out, 'gray', f)).st_mtime_ns for f in os.listdir(
        osp.join(out, 'gray'))}
    # The rerun in this process (it loads no SAM: nothing is left to label).
    status, second = _run_main('tools/samrs/generate_labels.py', cmd[2:])
    assert status == 0
    return dict(root=root, out=out, checkpoint=checkpoint, first=first, second=second,
                mtimes=mtimes)


def _run_main(tool, argv):
    """Run a tool's ``main(argv)`` in this process; returns its status and stdout."""
    main = runpy.run_path(osp.join(REPO_ROOT, tool))['main']
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        status = main(argv)
    return status, buffer.getvalue()


def _summary(stdout):
    return json.loads([ln for ln in stdout.splitlines() if ln.startswith('summary: ')][-1][9:])


def test_generation_outputs(generated):
    out = generated['out']
    summary = _summary(generated['first'])
    assert summary['processed'] == 2 and summary['images_without_objects'] == ['B']
    assert 'C.txt:4: expected 8 coordinates, a class name' in generated['first']
    assert sorted(os.listdir(osp.join(out, 'gray'))) == ['A.png', 'B.png']
    assert sorted(os.listdir(osp.join(out, 'color'))) == ['A.png', 'B.png']
    assert os.path.realpath(osp.join(out, 'images', 'A.png')) == str(
        generated['root'] / 'images' / 'A.png')

    coco = COCO(osp.join(out, 'instances.json'))
    assert [c['name'] for c in coco.dataset['categories']] == list(SOTA_CLASSES)
    anns = coco.loadAnns(coco.getAnnIds(imgIds=1))
    labels = [a['category_id'] - 1 for a in anns]
    assert labels == [SOTA_CLASSES.index('harbor'), SOTA_CLASSES.index('ship')]
    # H-Box prompts (--classes sota): each DOTA polygon's enclosing box, for the axis-aligned
    # harbor and for the rotated ship alike (COCO xywh).
    assert anns[0]['bbox'] == [8, 8, 80, 80] and anns[1]['bbox'] == [30, 30, 30, 26]

    gray = np.array(Image.open(osp.join(out, 'gray', 'A.png')))
    assert gray.dtype == np.uint8 and gray.shape == (96, 96)
    assert set(np.unique(gray)) <= set(labels) | {IGNORE_INDEX}
    masks = [mask_utils.decode(a['segmentation']).astype(bool) for a in anns]
    assert [int(m.sum()) for m in masks] == [a['area'] for a in anns]
    # larger-first: the smaller mask is painted last, so none of its pixels is overlapped and
    # the PNG holds its class exactly there; the larger mask shows where the smaller is not.
    large, small = sorted(range(2), key=lambda i: -masks[i].sum())
    assert (gray[masks[small]] == labels[small]).all()
    np.testing.assert_array_equal(gray == labels[large], masks[large] & ~masks[small])
    assert (gray[~(masks[0] | masks[1])] == IGNORE_INDEX).all()
    assert (np.array(Image.open(osp.join(out, 'gray', 'B.png'))) == IGNORE_INDEX).all()

    split = COCO(osp.join(out, 'instances_train.json'))
    assert [i['file_name'] for i in split.dataset['images']] == ['A.png', 'B.png']


def test_generation_resumes(generated):
    summary = _summary(generated['second'])
    assert summary['processed'] == 0 and summary['skipped_done'] == 2
    assert summary['images_without_objects'] == ['B']
    with open(osp.join(generated['out'], 'summary.json')) as f:
        problems = json.load(f)['problems']
    assert [(osp.basename(p['file']), p['line'], p['action']) for p in problems] == [
        ('C.txt', 4, 'image skipped')]
    gray_dir = osp.join(generated['out'], 'gray')
    assert {f: os.stat(osp.join(gray_dir, f)).st_mtime_ns
            for f in os.listdir(gray_dir)} == generated['mtimes']


def test_prompt_study_reproduces_generated_masks(generated):
    # The generated instances as ground truth: prompting the same SAM with the same boxes
    # (COCO bbox = the generation prompt) must give back the same masks.
    out = generated['out']
    status, stdout = _run_main('tools/samrs/evaluate_prompts.py', [
        '--images', str(generated['root'] / 'images'), '--gt', osp.join(out, 'instances.json'),
        '--sam-checkpoint', generated['checkpoint'], '--model-type', 'vit_b', '--device', 'cpu',
        '--prompts', 'hbox', 'point', '--out', osp.join(out, 'study.json'), '--no-progress'])
    assert status == 0
    lines = stdout.splitlines()
    start = [i for i, ln in enumerate(lines) if ln.startswith('prompt')][0]
    header, hbox_row = lines[start:start + 2]
    assert header.split() == ['prompt', 'mIoU_I', 'mIoU_P', 'instances']
    assert hbox_row.startswith('H-Box')
    with open(osp.join(out, 'study.json')) as f:
        study = json.load(f)
    assert study['hbox']['num_instances'] == 2
    assert study['hbox']['mIoU_I'] > 99.5 and study['hbox']['mIoU_P'] > 99.5
    assert 0.0 <= study['point']['mIoU_I'] <= 100.0


def _write_authors_pickles(root, classes):
    """Per-image pickles as the authors' script writes them, plus the images."""
    rng = np.random.RandomState(3)
    (root / 'ins').mkdir()
    (root / 'images').mkdir()
    counts = {}
    for n, num in enumerate((3, 1, 0, 2)):
        stem = f'{n:05d}'
        cv2.imwrite(str(root / 'images' / f'{stem}.jpg'), rng.randint(0, 255, (40, 48, 3),
                                                                      np.uint8))
        instances = []
        for _ in range(num):
            x1, y1 = rng.randint(0, 30, 2)
            mask = np.zeros((40, 48), np.uint8)
            mask[y1:y1 + 8, x1:x1 + 10] = 1
            rle = mask_utils.encode(np.asfortranarray(mask))
            rle['counts'] = rle['counts'].decode('ascii')
            label = int(rng.randint(len(classes)))
            box = np.array([x1, y1, x1 + 10, y1 + 8], np.float32)
            instances.append({'mask': rle, 'bbox': box,
                              'category': classes[label], 'label': np.int64(label),
                              'size': np.int64(80)})
        with open(root / 'ins' / f'{stem}.pkl', 'wb') as f:
            pickle.dump(instances, f)
        counts[stem] = instances
    return counts


def test_pkl_to_coco_loads_in_mmdet_through_the_config(tmp_path, capsys):
    from mmdet.registry import DATASETS
    from mmengine.registry import init_default_scope

    from mmrsfm.apis import load_config
    pickles = _write_authors_pickles(tmp_path, SIOR_CLASSES)
    (tmp_path / 'train.txt').write_text('00000\n00001\n00002\n')
    status, stdout = _run_main('tools/dataset_converters/samrs_pkl_to_coco.py', [
        str(tmp_path / 'ins'), '--classes', 'sior', '--images', str(tmp_path / 'images'),
        '--split', str(tmp_path / 'train.txt'), '--out', str(tmp_path / 'instances_train.json')])
    assert status == 0 and stdout.startswith('3 images, 4 instances')
    cfg = load_config(osp.join(REPO_ROOT, 'configs/samrs/instances/'
                                          'mask-rcnn_r50_fpn_1x_sior-instances.py'))
    init_default_scope('mmdet')
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.data_root = str(tmp_path) + '/'
    ds_cfg.filter_cfg = None  # keep the image without instances to count it
    ds_cfg.pipeline = [dict(type='LoadImageFromFile'),
                       dict(type='LoadAnnotations', with_bbox=True, with_mask=True)]
    dataset = DATASETS.build(ds_cfg)
    assert len(dataset) == 3
    for i, stem in enumerate(('00000', '00001', '00002')):
        sample = dataset[i]
        assert osp.basename(sample['img_path']) == f'{stem}.jpg'
        expected = pickles[stem]
        assert len(sample['gt_bboxes_labels']) == len(expected)
        assert sample['gt_bboxes_labels'].tolist() == [int(e['label']) for e in expected]
        for mask, inst in zip(sample['gt_masks'].masks, expected):
            np.testing.assert_array_equal(mask, mask_utils.decode(inst['mask']))
        np.testing.assert_allclose(sample['gt_bboxes'].tensor.numpy(),
                                   np.array([e['bbox'] for e in expected]).reshape(-1, 4))

    # A pickle without masks: a clear error naming the file and the key, nothing written.
    with open(tmp_path / 'ins' / '00003.pkl', 'wb') as f:
        pickle.dump([{'bbox': [0, 0, 2, 2], 'label': 1}], f)
    status, _ = _run_main('tools/dataset_converters/samrs_pkl_to_coco.py', [
        str(tmp_path / 'ins'), '--classes', 'sior', '--out', str(tmp_path / 'all.json')])
    assert status == 1 and not (tmp_path / 'all.json').exists()
    assert "00003.pkl: instance 0 has no 'mask' key" in capsys.readouterr().err


@pytest.mark.parametrize('subset, classes, scale', [('sior', SIOR_CLASSES, 800),
                                                    ('sota', SOTA_CLASSES, 1024),
                                                    ('fast', FAST_CLASSES, 600)])
def test_instance_configs_follow_the_class_lists(subset, classes, scale):
    from mmrsfm.apis import load_config
    cfg = load_config(osp.join(REPO_ROOT, 'configs/samrs/instances',
                               f'mask-rcnn_r50_fpn_1x_{subset}-instances.py'))
    assert tuple(cfg.train_dataloader.dataset.metainfo['classes']) == classes
    assert tuple(cfg.val_dataloader.dataset.metainfo['classes']) == classes
    assert cfg.model.roi_head.bbox_head.num_classes == len(classes)
    assert cfg.model.roi_head.mask_head.num_classes == len(classes)
    assert cfg.val_evaluator.ann_file == f'data/SAMRS/{subset.upper()}/instances_val.json'
    assert cfg.train_dataloader.dataset.data_root == f'data/SAMRS/{subset.upper()}/'
    assert cfg.train_dataloader.dataset.pipeline[2] == dict(type='Resize', scale=(scale, scale),
                                                            keep_ratio=True)
    assert cfg.test_dataloader.dataset.pipeline[1]['scale'] == (scale, scale)
