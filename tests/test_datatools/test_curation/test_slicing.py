"""mmrsfm.datatools.curation.slicing: crop count and size, seeded reproducibility, crop pixels
equal to the source region, and source files left untouched by a curation run."""
import hashlib
import math
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmrsfm.datatools.curation import CurationConfig, curate, slice_boxes
from mmrsfm.testing.synthetic_images import smooth_image


def test_slice_boxes_count_size_and_seed():
    for width, height, size in [(1500, 1100, 512), (2048, 300, 512), (1025, 1025, 1024)]:
        boxes = slice_boxes(width, height, size, seed=0, key='A/x.tif')
        num = math.ceil(width / size) * math.ceil(height / size)
        # repeated positions are dropped: only likely when the image is barely larger
        assert len(set(boxes)) == len(boxes) and len(boxes) <= num
        assert len(boxes) == num or size == 1024
        for x0, y0, x1, y1 in boxes:
            assert (x1 - x0, y1 - y0) == (min(size, width), min(size, height))
            assert 0 <= x0 and x1 <= width and 0 <= y0 and y1 <= height
    again = slice_boxes(1500, 1100, 512, seed=0, key='A/x.tif')
    assert again == slice_boxes(1500, 1100, 512, seed=0, key='A/x.tif')
    assert again != slice_boxes(1500, 1100, 512, seed=1, key='A/x.tif')
    assert again != slice_boxes(1500, 1100, 512, seed=0, key='A/y.tif')


def _digests(root):
    found = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                found[path] = (hashlib.sha256(f.read()).hexdigest(), os.stat(path).st_mtime_ns)
    return found


def test_curation_slices_large_images_and_never_touches_sources(tmp_path):
    src = tmp_path / 'src' / 'GID'
    src.mkdir(parents=True)
    rng = np.random.default_rng(3)
    big = smooth_image(rng, 700, 1300)  # H 700, W 1300 -> 3 x 2 = 6 crops of 512 px
    big.save(src / 'big.png')
    smooth_image(rng, 200, 300).save(src / 'small.png')
    before = _digests(tmp_path / 'src')
    out_a, out_b = str(tmp_path / 'a'), str(tmp_path / 'b')
    cfg = dict(slice_threshold=1024, slice_size=512, seed=7, progress=False)
    curate(CurationConfig(str(tmp_path / 'src'), out_a, **cfg))
    curate(CurationConfig(str(tmp_path / 'src'), out_b, **cfg))
    assert _digests(tmp_path / 'src') == before

    with open(osp.join(out_a, 'index.txt')) as f:
        entries = [ln.strip() for ln in f if not ln.startswith('#')]
    crops = [e for e in entries if e.startswith('slices/')]
    assert entries[-1] == '../src/GID/small.png' and len(crops) == 6
    expected_boxes = slice_boxes(1300, 700, 512, seed=7, key='GID/big.png')
    source = np.asarray(big)
    for entry, (x0, y0, x1, y1) in zip(crops, expected_boxes):
        assert entry == f'slices/GID/big__x{x0}_y{y0}_512x512.png'
        crop = np.asarray(Image.open(osp.join(out_a, entry)))
        np.testing.assert_array_equal(crop, source[y0:y1, x0:x1])
        with open(osp.join(out_a, entry), 'rb') as fa, open(osp.join(out_b, entry), 'rb') as fb:
            assert fa.read() == fb.read()


def test_write_failure_names_the_source_file(tmp_path, monkeypatch):
    from mmrsfm.datatools.curation import pipeline
    src = tmp_path / 'src' / 'GID'
    src.mkdir(parents=True)
    smooth_image(np.random.default_rng(0), 300, 1100).save(src / 'wide.png')

    def disk_full(*args):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(pipeline, 'write_crop', disk_full)
    with pytest.raises(RuntimeError, match=r'GID/wide\.png: OSError: .*No space left'):
        curate(CurationConfig(str(tmp_path / 'src'), str(tmp_path / 'out'), progress=False))
