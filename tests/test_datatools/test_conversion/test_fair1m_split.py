"""FAIR1M tiling (mmrsfm.datatools.conversion.fair1m_split and its CLI): objects crossing tile
borders clipped, marked and dropped by the documented rule, checked by hand and with shapely;
tiles readable by the SAM label generation's FAIR1M reader; resume and errors."""
import glob
import importlib.util
import os
import os.path as osp
import re
import xml.etree.ElementTree as ET

import cv2
import numpy as np
import pytest
from shapely.geometry import Polygon, box

from mmrsfm.datasets.formats import read_fair1m_xml
from mmrsfm.datasets.samrs_metainfo import FAST_CLASSES
from mmrsfm.datatools.conversion import FAIR1M_GAP, FAIR1M_TILE_SIZE, split_fair1m_file
from mmrsfm.datatools.sam_labels import ClassMapper
from mmrsfm.datatools.sam_labels.annotations import load_objects
from mmrsfm.evaluation.functional import parse_patch_name

TOOL = osp.join(osp.dirname(__file__), '..', '..', '..', 'tools', 'dataset_converters',
                'fair1m_split.py')


def _rect(x0, y0, x1, y1):
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _diamond(cx, cy, r):
    return [(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)]


# A 1000 x 1000 image. 600 px tiles with the default 117 px overlap: windows start every
# 483 px, the second moved back to end at the border, so the tiles start at x, y in {0, 400}.
OBJECTS = [
    ('Small Car', _rect(100, 100, 200, 140)),   # inside tile (0, 0) only
    ('Bus', _rect(550, 100, 650, 150)),         # crosses x = 600: half inside tile (0, 0)
    ('Boeing737', _rect(560, 300, 610, 340)),   # crosses x = 600: 80 % inside tile (0, 0)
    ('Tennis Court', _diamond(570, 570, 45)),   # over the corner (600, 600) of tile (0, 0)
    ('Van', _rect(590, 700, 640, 720)),         # crosses x = 600: 20 % inside tile (0, 400)
    ('Intersection', _rect(600, 800, 650, 850)),  # touches x = 600 of tile (0, 400)
    ('Roundabout', _diamond(650, 300, 60)),     # its left tip pokes into tile (0, 0)
]

# Per tile, in file order, by hand: (name, difficult, corners in tile pixels).
# Tile (0, 0): the diamond clipped at x = 600 and y = 600 has 6 corners -> dropped (IoF 0.89);
# the roundabout's tip is a triangle -> dropped. Tile (0, 400): the diamond loses its right tip
# (5 corners; the 30 px edge on x = 600 becomes its midpoint (600, 570)); the intersection only
# touches the tile -> dropped. Tile (400, 0): the diamond loses its bottom tip the same way.
EXPECTED = {
    '0__1.0__0___0': [('Small Car', 0, _rect(100, 100, 200, 140)),
                      ('Bus', 2, _rect(550, 100, 600, 150)),
                      ('Boeing737', 0, _rect(560, 300, 600, 340))],
    '0__1.0__0___400': [('Tennis Court', 0, [(570, 125), (600, 170), (570, 215), (525, 170)]),
                        ('Van', 2, _rect(590, 300, 600, 320))],
    '0__1.0__400___0': [('Bus', 0, _rect(150, 100, 250, 150)),
                        ('Boeing737', 0, _rect(160, 300, 210, 340)),
                        ('Tennis Court', 0, [(170, 525), (215, 570), (170, 600), (125, 570)]),
                        ('Roundabout', 0, _diamond(250, 300, 60))],
    '0__1.0__400___400': [('Tennis Court', 0, _diamond(170, 170, 45)),
                          ('Van', 0, _rect(190, 300, 240, 320)),
                          ('Intersection', 0, _rect(200, 400, 250, 450))],
}


def _fair1m_xml(objects, width, height):
    """FAIR1M XML as the release writes it (five points, the first repeated)."""
    items = []
    for name, corners in objects:
        points = ''.join(f'<point>{x:.6f},{y:.6f}</point>' for x, y in corners + corners[:1])
        items.append('    <object>\n      <coordinate>pixel</coordinate><type>rectangle</type>'
                     f'<description>None</description>\n      <possibleresult><name>{name}'
                     f'</name></possibleresult>\n      <points>{points}</points>\n'
                     '    </object>\n')
    return ('<?xml version="1.0" encoding="utf-8"?>\n<annotation>\n  <source><filename>x.tif'
            f'</filename><origin>GF2/GF3</origin></source>\n  <size><width>{width}</width>'
            f'<height>{height}</height><depth>3</depth></size>\n  <objects>\n'
            + ''.join(items) + '  </objects>\n</annotation>\n')


def _write_source(root, name='0', size=(1000, 1000), objects=OBJECTS, seed=0):
    os.makedirs(osp.join(root, 'images'), exist_ok=True)
    os.makedirs(osp.join(root, 'labelXml'), exist_ok=True)
    width, height = size
    image = np.random.RandomState(seed).randint(0, 256, (height, width, 3)).astype(np.uint8)
    cv2.imwrite(osp.join(root, 'images', f'{name}.tif'), image)
    with open(osp.join(root, 'labelXml', f'{name}.xml'), 'w') as f:
        f.write(_fair1m_xml(objects, width, height))
    return image


def _read_tile_xml(path):
    """(name, difficult, corners) per object, read with ElementTree (not our reader)."""
    root = ET.parse(path).getroot()
    found = []
    for obj in root.iter('object'):
        points = [tuple(float(v) for v in p.text.split(','))
                  for p in obj.findall('points/point')]
        assert points[0] == points[-1] and len(points) == 5
        found.append((obj.findtext('possibleresult/name'), int(obj.findtext('difficult')),
                      points[:4]))
    return root, found


def _load_tool():
    spec = importlib.util.spec_from_file_location('dataset_converters_fair1m_split', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_defaults_size_600_and_scaled_devkit_gap():
    assert FAIR1M_TILE_SIZE == 600  # SAMRS Sec. 2.4
    assert FAIR1M_GAP == 117  # 200 / 1024 * 600, rounded


def test_hand_checked_rule_agrees_with_shapely():
    tile = box(0, 0, 600, 600)
    areas = {name: Polygon(c) for name, c in OBJECTS}
    iof = {name: p.intersection(tile).area / p.area for name, p in areas.items()}
    assert iof['Bus'] == pytest.approx(0.5) and iof['Boeing737'] == pytest.approx(0.8)
    # The diamond over the tile corner: 89 % inside, but its clip has 6 corners.
    diamond = areas['Tennis Court'].intersection(tile)
    assert len(diamond.exterior.coords) - 1 == 6
    assert iof['Tennis Court'] == pytest.approx(3600 / 4050)
    assert len(areas['Roundabout'].intersection(tile).exterior.coords) - 1 == 3
    lower_left = box(0, 400, 600, 1000)
    assert areas['Van'].intersection(lower_left).area / areas['Van'].area == pytest.approx(0.2)
    assert areas['Intersection'].intersection(lower_left).area == 0
    clipped = areas['Tennis Court'].intersection(lower_left)
    assert len(clipped.exterior.coords) - 1 == 5
    assert clipped.area / areas['Tennis Court'].area == pytest.approx(3825 / 4050)


def test_tiles_by_hand(tmp_path):
    image = _write_source(str(tmp_path / 'src'))
    out = str(tmp_path / 'out')
    written = split_fair1m_file(str(tmp_path / 'src' / 'images' / '0.tif'),
                                str(tmp_path / 'src' / 'labelXml' / '0.xml'), out)
    assert written == 4
    assert sorted(n[:-4] for n in os.listdir(osp.join(out, 'labelXml'))) == sorted(EXPECTED)
    for name, expected in EXPECTED.items():
        root, found = _read_tile_xml(osp.join(out, 'labelXml', name + '.xml'))
        assert root.findtext('source/filename') == name + '.png'
        assert (root.findtext('size/width'), root.findtext('size/height')) == ('600', '600')
        assert [(n, d) for n, d, _ in found] == [(n, d) for n, d, _ in expected], name
        for (_, _, corners), (_, _, hand) in zip(found, expected):
            np.testing.assert_allclose(sorted(corners), sorted(hand), atol=1e-6, err_msg=name)
        _, _, x, y = parse_patch_name(name)
        tile = cv2.imread(osp.join(out, 'images', name + '.png'))
        np.testing.assert_array_equal(tile, image[y:y + 600, x:x + 600])

    # What generate_labels.py --format fair1m --classes fast reads: FAST labels, difficult
    # for the cut objects (skipped with --skip-difficult).
    objects = load_objects(osp.join(out, 'labelXml', '0__1.0__0___0.xml'), 'fair1m',
                           ClassMapper.from_spec('fast'))
    assert [FAST_CLASSES[o.label] for o in objects] == ['Small-Car', 'Bus', 'Boeing737']
    assert [o.difficult for o in objects] == [False, True, False]
    np.testing.assert_array_equal(objects[0].hbox, [100, 100, 200, 140])


def test_iof_threshold_flag_and_padding(tmp_path):
    car = _rect(280, 100, 320, 120)  # half inside x 0..300
    image = _write_source(str(tmp_path / 'src'), name='5', size=(500, 400),
                          objects=[('Small Car', car)])
    img = str(tmp_path / 'src' / 'images' / '5.tif')
    xml = str(tmp_path / 'src' / 'labelXml' / '5.xml')
    # 300 px tiles, gap 50: x origins 0 and 200 (moved back), y origins 0 and 100.
    for iof_thr, difficult in ((0.4, 0), (0.7, 2)):
        out = str(tmp_path / f'out_{iof_thr}')
        assert split_fair1m_file(img, xml, out, size=300, gap=50, iof_thr=iof_thr) == 4
        _, [(name, flag, corners)] = _read_tile_xml(osp.join(out, 'labelXml',
                                                             '5__1.0__0___0.xml'))
        assert (name, flag, sorted(corners)) == ('Small Car', difficult,
                                                 sorted(_rect(280, 100, 300, 120)))
        _, found = _read_tile_xml(osp.join(out, 'labelXml', '5__1.0__200___0.xml'))
        assert found == [('Small Car', 0, _rect(80, 100, 120, 120))]  # whole: copied as is
    # Smaller than a 600 px tile: one tile, zero-padded right and below.
    out600 = str(tmp_path / 'out600')
    assert split_fair1m_file(img, xml, out600) == 1
    tile = cv2.imread(osp.join(out600, 'images', '5__1.0__0___0.png'))
    assert tile.shape == (600, 600, 3)
    np.testing.assert_array_equal(tile[:400, :500], image)
    assert not tile[400:].any() and not tile[:, 500:].any()
    (read, ) = read_fair1m_xml(osp.join(out600, 'labelXml', '5__1.0__0___0.xml'), FAST_CLASSES)
    np.testing.assert_array_equal(read.poly, car)


def test_cli_sources_resume_and_errors(tmp_path, capsys):
    train, val = str(tmp_path / 'FAIR1M' / 'train'), str(tmp_path / 'FAIR1M' / 'validation')
    _write_source(train, name='0')
    _write_source(val, name='1', size=(600, 500), objects=[('Warship', _rect(10, 10, 60, 30))],
                  seed=1)
    out = str(tmp_path / 'fair1m_600')
    tool = _load_tool()
    tool.main([train, val, '--out', out, '--nproc', '2'])
    tiles = sorted(os.listdir(osp.join(out, 'images')))
    assert tiles == sorted([n + '.png' for n in EXPECTED] + ['1__1.0__0___0.png'])
    assert sorted(os.listdir(osp.join(out, 'labelXml'))) == [t[:-4] + '.xml' for t in tiles]
    assert '2 images: 5 new tiles' in capsys.readouterr().out

    # Rerun: nothing rewritten.
    mtimes = {p: os.stat(p).st_mtime_ns for p in glob.glob(osp.join(out, '*', '*'))}
    tool.main([train, val, '--out', out])
    assert '2 images: 0 new tiles' in capsys.readouterr().out
    assert mtimes == {p: os.stat(p).st_mtime_ns for p in glob.glob(osp.join(out, '*', '*'))}

    # Two sources with an image of the same name: refused before anything is written, or
    # named apart with --prefix-source.
    _write_source(val, name='0', size=(600, 600), objects=[], seed=2)
    out2 = str(tmp_path / 'collide')
    with pytest.raises(SystemExit) as info:
        tool.main([train, val, '--out', out2])
    assert str(info.value) == (f"error: {osp.join(val, 'images', '0.tif')}: image id '0' also "
                               f"comes from {osp.join(train, 'images', '0.tif')}; their tiles "
                               'would overwrite each other (use --prefix-source, or one --out '
                               'per source)')
    assert not osp.exists(out2)
    tool.main([train, val, '--out', out2, '--prefix-source'])
    names = sorted(os.listdir(osp.join(out2, 'images')))
    assert 'validation_0__1.0__0___0.png' in names and 'train_0__1.0__400___400.png' in names
    assert len(names) == 4 + 1 + 1
    _, found = _read_tile_xml(osp.join(out2, 'labelXml', 'validation_0__1.0__0___0.xml'))
    assert found == []  # an image without objects: a tile with an empty <objects>

    # A malformed point and an unknown class stop the run with file and line (nproc 2 too).
    xml = osp.join(val, 'labelXml', '1.xml')
    with open(xml) as f:
        text = f.read()
    with open(xml, 'w') as f:
        f.write(text.replace('Warship', 'Zeppelin'))
    with pytest.raises(SystemExit,
                       match=re.escape(f"error: {xml}:6: unknown class 'Zeppelin'")):
        tool.main([val, '--out', str(tmp_path / 'bad'), '--nproc', '2'])
    with open(xml, 'w') as f:
        f.write(text.replace('<point>60.000000,10.000000</point>', '<point>60;10</point>'))
    with pytest.raises(SystemExit, match=re.escape(f'error: {xml}:9: <point> must read "x,y"')):
        tool.main([val, '--out', str(tmp_path / 'bad')])
    with pytest.raises(SystemExit, match=r'error: .*nowhere/images: image folder not found'):
        tool.main([str(tmp_path / 'nowhere'), '--out', str(tmp_path / 'bad')])
