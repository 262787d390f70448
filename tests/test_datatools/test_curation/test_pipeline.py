"""mmrsfm.datatools.curation.pipeline (with .scan and .manifest): duplicates across sources are
removed by the documented rule, the index is read by the real ``OpticalRS13M``, and a run
interrupted mid-way resumes without recomputing finished shards and ends with the outputs of
an uninterrupted run; a bad source root creates nothing, and crops of other slicing parameters
are refused or cleaned."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmrsfm.datasets import OpticalRS13M
from mmrsfm.datatools.curation import CurationConfig, curate, phash_code
from mmrsfm.datatools.curation import pipeline as pipeline_module
from mmrsfm.datatools.curation import slice_boxes
from mmrsfm.testing.synthetic_images import near_copy, smooth_image

OUTPUTS = ('index.txt', 'quarantine.csv', 'duplicates.json')


@pytest.fixture
def src(tmp_path):
    rng = np.random.default_rng(11)
    root = tmp_path / 'src'
    (root / 'AID').mkdir(parents=True)
    (root / 'fMoW').mkdir()
    originals = [smooth_image(rng, 160, 160) for _ in range(6)]
    for i, image in enumerate(originals):
        image.save(root / 'AID' / f'{i}.png')
    originals[0].save(root / 'fMoW' / 'exact.png')
    near_copy(originals[1], 'jpeg').save(root / 'fMoW' / 'jpeg.png')
    near_copy(originals[2], 'resize').save(root / 'fMoW' / 'resized.png')
    smooth_image(rng, 160, 160).save(root / 'fMoW' / 'distinct.png')
    (root / 'fMoW' / 'broken.jpg').write_bytes(b'\xff\xd8\xff\xe0 not really')
    return str(root)


def _read(out):
    found = {}
    for name in OUTPUTS:
        with open(osp.join(out, name)) as f:
            found[name] = f.read()
    with open(osp.join(out, 'summary.json')) as f:
        summary = json.load(f)
    summary.pop('params')
    return found, summary


def test_duplicates_removed_and_index_read_by_dataset(src, tmp_path):
    out = str(tmp_path / 'out')
    summary = curate(CurationConfig(src, out, threshold=4, chunk_size=3, progress=False))
    groups = json.load(open(osp.join(out, 'duplicates.json')))['groups']
    # the resized copy is smaller, the others tie on size and AID comes first
    assert [(g['kept'], [m['file'] for m in g['removed']]) for g in groups] == [
        ('../src/AID/0.png', ['../src/fMoW/exact.png']),
        ('../src/AID/1.png', ['../src/fMoW/jpeg.png']),
        ('../src/AID/2.png', ['../src/fMoW/resized.png'])]
    for group in groups:  # distances: recomputed from the files themselves
        kept = phash_code(Image.open(osp.join(out, group['kept'])))
        for member in group['removed']:
            other = phash_code(Image.open(osp.join(out, member['file'])))
            assert member['distance'] == int(np.unpackbits(kept ^ other).sum()) <= 4
    assert summary['images'] == 7 and summary['duplicates_removed'] == 3
    assert summary['images_per_source'] == {'AID': 6, 'fMoW': 1}
    assert summary['quarantine_reasons'] == {'unreadable': 1}

    dataset = OpticalRS13M(data_root=out, index_file='index.txt',
                           pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')])
    assert len(dataset) == 7
    assert dataset[6]['inputs'].shape == (3, 160, 160)
    assert dataset.get_data_info(6)['img_path'].endswith('fMoW/distinct.png')


def test_resume_after_interruption_matches_uninterrupted_run(src, tmp_path, monkeypatch):
    cfg = dict(chunk_size=2, progress=False)  # AID: 3 shards, fMoW: 3 shards
    full = str(tmp_path / 'full')
    reference = curate(CurationConfig(src, full, **cfg))
    assert reference['run']['shards_computed'] == 6

    real, calls = pipeline_module.process_chunk, []

    def crash_on_third(task):
        calls.append(task['shard'])
        if len(calls) == 3:
            raise KeyboardInterrupt('simulated interruption')
        return real(task)

    out = str(tmp_path / 'resumed')
    monkeypatch.setattr(pipeline_module, 'process_chunk', crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        curate(CurationConfig(src, out, **cfg))
    monkeypatch.undo()
    assert not osp.exists(osp.join(out, 'index.txt'))
    finished = {p: os.stat(p).st_mtime_ns for p in calls[:2]}
    assert all(osp.isfile(p) for p in finished) and not osp.exists(calls[2])

    resumed = curate(CurationConfig(src, out, **cfg))
    assert resumed['run']['shards_computed'] == 4 and resumed['run']['shards_reused'] == 2
    assert {p: os.stat(p).st_mtime_ns for p in finished} == finished
    assert _read(out) == _read(full)

    again = curate(CurationConfig(src, out, **cfg))  # idempotent: nothing recomputed
    assert again['run']['shards_computed'] == 0 and _read(out) == _read(full)
    # a changed source file invalidates only its own shard
    smooth_image(np.random.default_rng(99), 100, 100).save(osp.join(src, 'AID', '5.png'))
    changed = curate(CurationConfig(src, out, **cfg))
    assert changed['run']['shards_computed'] == 1


def _files(folder):
    return sorted(osp.relpath(osp.join(d, n), folder) for d, _, names in os.walk(folder)
                  for n in names)


def test_bad_src_creates_nothing(tmp_path):
    out = tmp_path / 'out'
    with pytest.raises(FileNotFoundError, match=r'srcc is not a folder.*Nothing was written'):
        curate(CurationConfig(str(tmp_path / 'srcc'), str(out), progress=False))
    assert not out.exists()
    # one source folder given as --src: images but no source-dataset sub-folder
    flat = tmp_path / 'AID'
    flat.mkdir()
    smooth_image(np.random.default_rng(0), 80, 80).save(flat / 'a.png')
    with pytest.raises(ValueError, match=r'no source-dataset sub-folder \(found 1 image'):
        curate(CurationConfig(str(flat), str(out), progress=False))
    assert not out.exists()


def test_crops_of_other_slicing_parameters_refused_or_cleaned(tmp_path):
    src = tmp_path / 'src' / 'GID'
    src.mkdir(parents=True)
    rng = np.random.default_rng(5)
    smooth_image(rng, 700, 1300).save(src / 'big.png')
    smooth_image(rng, 200, 300).save(src / 'small.png')
    src, out = str(tmp_path / 'src'), str(tmp_path / 'out')
    curate(CurationConfig(src, out, slice_size=512, progress=False))
    first = _files(out)
    assert sum(f.startswith('slices') for f in first) == 6

    with pytest.raises(ValueError, match=r"slice_size 512 then, 256 now.*new --out.*--clean"):
        curate(CurationConfig(src, out, slice_size=256, progress=False))
    assert _files(out) == first  # refused before writing anything

    # a new hash size writes the same crops: not refused
    curate(CurationConfig(src, out, slice_size=512, hash_size=16, progress=False))

    cleaned = curate(CurationConfig(src, out, slice_size=256, clean=True, progress=False))
    assert cleaned['run']['stale_files_removed'] == 6
    assert cleaned['run']['earlier_states_removed'] == 2
    with open(osp.join(out, 'index.txt')) as f:
        crops = sorted(ln.strip() for ln in f if ln.startswith('slices/'))
    on_disk = sorted(f.replace(os.sep, '/') for f in _files(out) if f.startswith('slices'))
    boxes = slice_boxes(1300, 700, 256, seed=0, key='GID/big.png')  # 6 x 3 tiles
    assert len(on_disk) == len(boxes) and all(f.endswith('_256x256.png') for f in on_disk)
    assert set(crops) <= set(on_disk)
    assert len(os.listdir(osp.join(out, pipeline_module.STATE_DIR))) == 1
    # same outputs as a run in a fresh folder; a rerun is no longer refused
    fresh = str(tmp_path / 'fresh')
    curate(CurationConfig(src, fresh, slice_size=256, progress=False))
    assert _read(out) == _read(fresh)
    again = curate(CurationConfig(src, out, slice_size=256, progress=False))
    assert again['run']['shards_computed'] == 0 and _read(out) == _read(fresh)
