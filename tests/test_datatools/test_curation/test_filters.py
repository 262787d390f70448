"""mmrsfm.datatools.curation.filters (through scan + pipeline): which files are kept, and the
quarantine reason of each dropped one, including the size limits just around 64 / 1024 px."""
import csv
import io
import os.path as osp

import cv2
import numpy as np
import pytest
import tifffile
from PIL import Image

from mmrsfm.datatools.curation import CurationConfig, curate
from mmrsfm.testing.synthetic_images import smooth_image


def _rgb(rng, h, w):
    return smooth_image(rng, h, w)


def _read_quarantine(out):
    with open(osp.join(out, 'quarantine.csv')) as f:
        return {row['file']: row['reason'] for row in csv.DictReader(f)}


def _index(out):
    with open(osp.join(out, 'index.txt')) as f:
        return [ln.strip() for ln in f if ln.strip() and not ln.startswith('#')]


@pytest.fixture
def src(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / 'src'
    (root / 'sizes').mkdir(parents=True)
    (root / 'modes').mkdir()
    sizes = {'w63.png': (100, 63), 'h63.png': (63, 100), 'side64.png': (64, 64),
             'side1024.png': (1024, 80), 'w1025.png': (80, 1025)}
    for name, (h, w) in sizes.items():
        _rgb(rng, h, w).save(root / 'sizes' / name)
    m = root / 'modes'
    _rgb(rng, 96, 96).save(m / 'rgb.jpg', quality=90)
    # truncated JPEG: the header survives, the entropy-coded data is cut
    buf = io.BytesIO()
    _rgb(rng, 96, 96).save(buf, 'JPEG', quality=90)
    (m / 'truncated.jpg').write_bytes(buf.getvalue()[:len(buf.getvalue()) // 2])
    (m / 'random_bytes.png').write_bytes(rng.integers(0, 256, 500, np.uint8).tobytes())
    Image.fromarray(rng.integers(0, 256, (96, 96), np.uint8)).save(m / 'gray.png')
    _rgb(rng, 96, 96).convert('L').convert('RGB').save(m / 'gray_as_rgb.jpg', quality=90)
    _rgb(rng, 96, 96).convert('P').save(m / 'palette.png')
    rgba = np.dstack([np.asarray(_rgb(rng, 96, 96)), np.full((96, 96), 255, np.uint8)])
    Image.fromarray(rgba).save(m / 'rgba_opaque.png')
    rgba[:10, :10, 3] = 0
    Image.fromarray(rgba).save(m / 'rgba_holes.png')
    cv2.imwrite(str(m / 'rgb16.png'), rng.integers(0, 65535, (96, 96, 3), np.uint16))
    tifffile.imwrite(m / 'rgb_nir.tif', rng.integers(0, 256, (96, 96, 4), np.uint8),
                     photometric='rgb', extrasamples=[0])
    tifffile.imwrite(m / 'ms5.tif', rng.integers(0, 256, (96, 96, 5), np.uint8),
                     photometric='minisblack', planarconfig='contig')
    _rgb(rng, 96, 96).convert('CMYK').save(m / 'cmyk.jpg')
    _rgb(rng, 96, 96).save(root / 'stray.png')
    return str(root)


@pytest.mark.parametrize('slice_threshold', [0, 1024])
def test_sizes_modes_and_quarantine_reasons(src, tmp_path, slice_threshold):
    out = str(tmp_path / f'out{slice_threshold}')
    summary = curate(CurationConfig(src, out, slice_threshold=slice_threshold, progress=False))
    expected = {
        'sizes/w63.png': 'too_small', 'sizes/h63.png': 'too_small',
        'modes/truncated.jpg': 'unreadable', 'modes/random_bytes.png': 'unreadable',
        'modes/gray.png': 'grayscale', 'modes/gray_as_rgb.jpg': 'grayscale_rgb',
        'modes/palette.png': 'palette', 'modes/rgba_holes.png': 'alpha_not_opaque',
        'modes/rgb16.png': 'high_bit_depth', 'modes/rgb_nir.tif': 'multiband',
        'modes/ms5.tif': 'multiband', 'modes/cmyk.jpg': 'other_mode',
        'stray.png': 'outside_source_folder'}
    kept = ['../src/modes/rgb.jpg', '../src/modes/rgba_opaque.png', '../src/sizes/side1024.png',
            '../src/sizes/side64.png']
    if slice_threshold == 0:  # no slicing: 1025 px is too large
        expected['sizes/w1025.png'] = 'too_large'
    else:  # 80 x 1025 -> ceil(80/512) * ceil(1025/512) = 3 crops of 80 x 512
        kept += [p for p in _index(out) if p.startswith('slices/sizes/w1025__')]
        assert len(kept) == 7
        assert all(p.endswith('_512x80.png') for p in kept[4:])
    assert _read_quarantine(out) == expected
    assert sorted(_index(out)) == sorted(kept)
    assert summary['quarantined'] == len(expected) and summary['images'] == len(kept)
    assert summary['quarantine_reasons']['unreadable'] == 2


def test_bad_config_is_refused(src):
    with pytest.raises(ValueError, match='must differ'):
        curate(CurationConfig(src, src, progress=False))
    with pytest.raises(ValueError, match='slice_size 2000'):
        curate(CurationConfig(src, src + '_out', slice_size=2000, progress=False))
    with pytest.raises(FileNotFoundError, match='missing'):
        curate(CurationConfig(src + '/missing', src + '_out', progress=False))
