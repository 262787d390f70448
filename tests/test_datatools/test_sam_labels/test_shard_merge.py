"""Sharded label generation: 3 shards (tiny random SAM on CPU) merged == one unsharded run, file
for file; each shard resumes on its own; the merge refuses missing, duplicate and foreign
outputs and other settings, and writes nothing then."""
import hashlib
import json
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

from mmrsfm.datasets.formats import ClassMapper
from mmrsfm.datasets.samrs_metainfo import SOTA_CLASSES
from mmrsfm.datatools.sam_labels.generation import LabelGenerator
from mmrsfm.datatools.sam_labels.sam_labeler import SamBoxLabeler
from mmrsfm.datatools.sam_labels.shard_merge import ShardMergeError, merge_shards

from .conftest import build_tiny_sam

NUM_SHARDS = 3
CLASSES = ('harbor', 'ship', 'plane', 'small-vehicle')


def _shard(stem):
    """Independent expectation of the assignment: SHA-256 of the name, first 8 bytes."""
    return int(hashlib.sha256(stem.encode()).hexdigest()[:16], 16) % NUM_SHARDS


def _stems():
    """Two image names per shard, plus one with a malformed annotation file."""
    stems, per_shard = [], {k: 0 for k in range(NUM_SHARDS)}
    for i in range(100):
        stem = f'img{i:03d}'
        if per_shard[_shard(stem)] < 2:
            per_shard[_shard(stem)] += 1
            stems.append(stem)
    assert len(stems) == 2 * NUM_SHARDS
    return stems


def _write_data(root):
    images, anns = root / 'images', root / 'labelTxt'
    images.mkdir()
    anns.mkdir()
    rng = np.random.RandomState(0)
    stems = _stems()
    for n, stem in enumerate(stems + ['broken']):
        cv2.imwrite(str(images / f'{stem}.png'), rng.randint(0, 255, (48, 56, 3), np.uint8))
        lines = []
        for _ in range(n % 3):  # 0, 1 or 2 objects: images without objects included
            x, y = rng.randint(2, 30, size=2)
            w, h = rng.randint(6, 20, size=2)
            dx = rng.randint(0, 4)
            corners = [x + dx, y, x + w, y + dx, x + w - dx, y + h, x, y + h - dx]
            lines.append(' '.join(map(str, corners)) + f' {CLASSES[rng.randint(4)]} 0')
        (anns / f'{stem}.txt').write_text('\n'.join(lines) + '\n')
    (anns / 'broken.txt').write_text('1 2 3 4 5 6 7 8 ship 0\n1 2 3 ship\n')
    return str(images), str(anns), stems


def _generator(out, **kwargs):
    return LabelGenerator(out, ClassMapper(SOTA_CLASSES), 'dota',
                          lambda: SamBoxLabeler(build_tiny_sam(), batch_size=2), prompt='hbox',
                          settings=dict(model_type='vit_b'), **kwargs)


def _files(out):
    """relative path -> bytes of every per-image output and the COCO file."""
    found = {}
    for kind in ('gray', 'color', 'instances'):
        for name in sorted(os.listdir(osp.join(out, kind))):
            with open(osp.join(out, kind, name), 'rb') as f:
                found[f'{kind}/{name}'] = f.read()
    with open(osp.join(out, 'instances.json'), 'rb') as f:
        found['instances.json'] = f.read()
    return found


def test_three_shards_merge_to_the_unsharded_output(tmp_path):
    images, anns, stems = _write_data(tmp_path)
    single = str(tmp_path / 'single')
    reference = _generator(single).run(images, anns, progress=False)
    assert reference['coco_images'] == 2 * NUM_SHARDS  # 'broken' is skipped

    out = str(tmp_path / 'sharded')
    settings = dict(_generator(out).settings)
    shard_summaries = [_generator(out, shard_id=k, num_shards=NUM_SHARDS).run(
        images, anns, progress=False) for k in range(NUM_SHARDS)]
    for k, summary in enumerate(shard_summaries):
        folder = osp.join(out, 'shards', f'shard-{k:05d}-of-{NUM_SHARDS:05d}')
        mine = sorted(s for s in stems if _shard(s) == k)
        assert sorted(n[:-5] for n in os.listdir(osp.join(folder, 'instances'))) == mine
        assert summary['processed'] == 2 and (summary['shard_id'], summary['num_shards']) == (
            k, NUM_SHARDS)
        with open(osp.join(folder, 'summary.json')) as f:
            assert json.load(f)['processed'] == 2
        broken = [p for p in summary['problems'] if 'broken' in p['file']]
        assert bool(broken) == (_shard('broken') == k)  # reported by its own shard only
    assert not osp.exists(osp.join(out, 'instances.json'))  # shards write no COCO

    # 'broken' was skipped by its shard: missing unless allowed, like an unsharded run skips it.
    with pytest.raises(ShardMergeError, match=r'missing: image broken .*broken\.txt:2'):
        merge_shards(out, images, anns, 'dota', SOTA_CLASSES, settings)
    assert not osp.exists(osp.join(out, 'gray'))  # nothing written by a refused merge
    merged = merge_shards(out, images, anns, 'dota', SOTA_CLASSES, settings, allow_skipped=True)

    assert _files(out) == _files(single)
    for key in ('images', 'instances', 'coco_images', 'coco_annotations',
                'images_without_objects', 'prompt', 'prompt_types'):
        assert merged[key] == reference[key], key
    assert merged['num_shards'] == NUM_SHARDS and merged['processed'] == 2 * NUM_SHARDS
    assert [(osp.basename(p['file']), p['line']) for p in merged['problems']] == [
        ('broken.txt', 2)]
    with open(osp.join(out, 'summary.json')) as f:
        assert json.load(f)['coco_annotations'] == reference['coco_annotations']
    # The merge can be rerun: same result.
    merge_shards(out, images, anns, 'dota', SOTA_CLASSES, settings, allow_skipped=True)
    assert _files(out) == _files(single)


def test_merge_refuses_missing_duplicate_and_foreign_outputs(tmp_path):
    images, anns, stems = _write_data(tmp_path)
    (tmp_path / 'labelTxt' / 'broken.txt').write_text('1 2 3 4 5 6 7 8 ship 0\n')
    out = str(tmp_path / 'out')
    settings = _generator(out).settings
    for k in range(NUM_SHARDS):
        _generator(out, shard_id=k, num_shards=NUM_SHARDS).run(images, anns, progress=False)
    folder = {k: osp.join(out, 'shards', f'shard-{k:05d}-of-{NUM_SHARDS:05d}')
              for k in range(NUM_SHARDS)}
    stem = sorted(s for s in stems if _shard(s) == 0)[0]

    def refused(match, **kwargs):
        with pytest.raises(ShardMergeError, match=match):
            merge_shards(out, images, anns, 'dota', SOTA_CLASSES, kwargs.get('settings',
                                                                             settings))
        assert not osp.exists(osp.join(out, 'instances.json'))

    # Missing: an image whose outputs are gone; rerunning its shard redoes that image only.
    os.remove(osp.join(folder[0], 'instances', f'{stem}.json'))
    refused(rf'missing: image {stem} of shard 0 \(not labelled yet')
    redo = _generator(out, shard_id=0, num_shards=NUM_SHARDS).run(images, anns, progress=False)
    shard0 = [s for s in stems + ['broken'] if _shard(s) == 0]
    assert redo['processed'] == 1 and redo['skipped_done'] == len(shard0) - 1

    # Duplicate: the image's outputs also in another shard (which they do not belong to).
    for kind, suffix in (('gray', '.png'), ('color', '.png'), ('instances', '.json')):
        shutil.copy(osp.join(folder[0], kind, stem + suffix), osp.join(folder[1], kind))
    refused(rf'foreign file .*shard-00001-of-00003/gray/{stem}\.png: image {stem} belongs to '
            rf'shard 0, not 1(.|\n)*duplicate: image {stem} is done in shards \[0, 1\]')
    for kind, suffix in (('gray', '.png'), ('color', '.png'), ('instances', '.json')):
        os.remove(osp.join(folder[1], kind, stem + suffix))

    # Foreign: an output of an image that is not among the inputs, a stray folder.
    open(osp.join(folder[2], 'gray', 'zzz.png'), 'wb').close()
    os.makedirs(osp.join(out, 'shards', 'old'))
    refused(r'foreign entry .*shards/old(.|\n)*foreign file .*gray/zzz\.png: no such input image')
    os.remove(osp.join(folder[2], 'gray', 'zzz.png'))
    os.rmdir(osp.join(out, 'shards', 'old'))

    # Other settings, a shard that never ran.
    refused(r"shard 0 .* other settings: prompt='hbox' \(merge command: 'rhbox'\)",
            settings=dict(settings, prompt='rhbox'))
    shutil.move(folder[2], str(tmp_path / 'away'))
    refused(r'shard 2 of 3 never ran(.|\n)*missing: image')
    shutil.move(str(tmp_path / 'away'), folder[2])

    summary = merge_shards(out, images, anns, 'dota', SOTA_CLASSES, settings)
    assert summary['coco_images'] == len(stems) + 1 and not summary['problems']
