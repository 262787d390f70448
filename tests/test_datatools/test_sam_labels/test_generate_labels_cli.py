"""tools/samrs/generate_labels.py sharded as torchrun launches it, then --merge-only with image
links and COCO splits, in this process. The images have no object inside them, so SAM is never
built (the label content of sharded runs is checked in test_shard_merge.py)."""
import contextlib
import io
import json
import os
import os.path as osp
import runpy

import cv2
import numpy as np

from tests.conftest import REPO_ROOT

OUTSIDE = '100 100 110 100 110 110 100 110 plane 0\n'  # left out: outside the 32 x 32 image


def _main(argv):
    main = runpy.run_path(osp.join(REPO_ROOT, 'tools', 'samrs', 'generate_labels.py'))['main']
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


def test_torchrun_shards_then_merge(tmp_path, monkeypatch):
    (tmp_path / 'images').mkdir()
    (tmp_path / 'ann').mkdir()
    stems = [f'tile{i}' for i in range(6)]
    for i, stem in enumerate(stems):
        cv2.imwrite(str(tmp_path / 'images' / f'{stem}.png'), np.full((32, 32, 3), i, np.uint8))
        (tmp_path / 'ann' / f'{stem}.txt').write_text(OUTSIDE if i % 2 else '')
    (tmp_path / 'train.txt').write_text('tile0\ntile3\n')
    out = str(tmp_path / 'out')
    common = ['--images', str(tmp_path / 'images'), '--annotations', str(tmp_path / 'ann'),
              '--format', 'dota', '--classes', 'sota', '--model-type', 'vit_b', '--out', out,
              '--no-progress']
    for rank in range(3):
        for key, value in dict(RANK=rank, WORLD_SIZE=3, LOCAL_RANK=rank).items():
            monkeypatch.setenv(key, str(value))
        status, stdout, _ = _main(common + ['--sam-checkpoint', 'never_loaded.pth',
                                            '--device', 'cpu'])
        assert status == 0
        assert f'shard {rank} of 3 (torchrun: RANK / WORLD_SIZE) on cpu' in stdout
        assert osp.isdir(osp.join(out, 'shards', f'shard-{rank:05d}-of-00003', 'gray'))
    for key in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK'):
        monkeypatch.delenv(key)

    status, _, stderr = _main(common + ['--merge-only', '--prompt', 'rhbox'])
    assert status == 1 and "other settings: prompt='hbox' (merge command: 'rhbox')" in stderr
    status, stdout, _ = _main(common + ['--merge-only', '--link-images', '--coco-splits',
                                        str(tmp_path / 'train.txt')])
    assert status == 0, stdout
    summary = json.loads([ln for ln in stdout.splitlines() if ln.startswith('summary: ')][-1][9:])
    assert summary['num_shards'] == 3 and summary['coco_images'] == 6
    assert summary['images_without_objects'] == stems and summary['prompt'] == 'hbox'
    with open(osp.join(out, 'summary.json')) as f:
        problems = json.load(f)['problems']
    assert sorted(osp.basename(p['file']) for p in problems) == [
        'tile1.txt', 'tile3.txt', 'tile5.txt']
    assert sorted(os.listdir(osp.join(out, 'images'))) == [f'{s}.png' for s in stems]
    with open(osp.join(out, 'instances_train.json')) as f:
        assert [i['file_name'] for i in json.load(f)['images']] == ['tile0.png', 'tile3.png']

    status, _, stderr = _main(common + ['--sam-checkpoint', 'x.pth', '--shard-id', '1'])
    assert status == 2 and '--shard-id needs --num-shards' in stderr
