"""mmrsfm.datasets.formats.hrsc: the HRSC2016 XML reader (H-Box and R-Box of the same ships,
R-Box corners checked by hand), the colour-coded masks, and errors naming file and line."""
import math

import cv2
import numpy as np
import pytest

from mmrsfm.datasets.formats import AnnotationError
from mmrsfm.datasets.formats.hrsc import (HRSCAnnotation, instance_masks_from_colors, rbox_corners,
                                          read_hrsc_xml)
from mmrsfm.testing.hrsc_format import hrsc_xml_text

SHIPS = [
    # Vertical ship: angle pi/2 turns the width axis to +y (down).
    dict(hbox=(25, 10, 35, 50), rbox=(30, 30, 40, 10, math.pi / 2), seg_color=(255, 0, 0),
         header=(30, 49)),
    # 30 degrees.
    dict(hbox=(77, 41, 123, 79), rbox=(100, 60, 40, 20, math.pi / 6), seg_color=None,
         difficult=1),
]


def test_reads_both_boxes_of_each_ship(tmp_path):
    path = tmp_path / '100000001.xml'
    path.write_text(hrsc_xml_text('100000001', 160, 90, SHIPS))
    ann = read_hrsc_xml(str(path))
    assert isinstance(ann, HRSCAnnotation)
    assert (ann.image_file, ann.width, ann.height) == ('100000001.bmp', 160, 90)
    assert len(ann.objects) == 2
    a, b = ann.objects
    np.testing.assert_allclose(a.hbox, [25, 10, 35, 50])
    np.testing.assert_allclose(a.rbox, [30, 30, 40, 10, math.pi / 2])
    # By hand: width axis w/2 * (cos, sin) = (0, 20), height axis h/2 * (-sin, cos) = (-5, 0);
    # corners centre -/+ width -/+ height.
    np.testing.assert_allclose(a.poly, [[35, 10], [35, 50], [25, 50], [25, 10]], atol=1e-9)
    # 30 degrees: width half-axis 20 * (sqrt3/2, 1/2) = (10 sqrt3, 10), height half-axis
    # 10 * (-1/2, sqrt3/2) = (-5, 5 sqrt3).
    r3 = math.sqrt(3)
    np.testing.assert_allclose(b.poly, [[100 - 10 * r3 + 5, 60 - 10 - 5 * r3],
                                        [100 + 10 * r3 + 5, 60 + 10 - 5 * r3],
                                        [100 + 10 * r3 - 5, 60 + 10 + 5 * r3],
                                        [100 - 10 * r3 - 5, 60 - 10 + 5 * r3]])
    np.testing.assert_allclose(b.center, [100, 60])
    assert a.seg_color == (255, 0, 0) and b.seg_color is None
    np.testing.assert_allclose(a.header, [30, 49])
    assert (a.difficult, b.difficult) == (False, True)
    assert a.line is not None and b.line > a.line
    assert not ann.fully_segmented
    dets = ann.det_objects()
    assert [d.label for d in dets] == [0, 0] and dets[1].difficult
    np.testing.assert_allclose(dets[1].poly, b.poly)
    np.testing.assert_allclose(dets[0].hbox, a.hbox)


def test_angle_convention_on_a_released_file(tmp_path):
    # Numbers of HRSC2016 image 100000006 (as shipped in mmrotate's test data): the ship's bow
    # point (header) lies inside its R-Box under our convention, and far from the mirrored box.
    ship = dict(hbox=(119, 75, 587, 789), rbox=(341.2143, 443.3325, 778.4297, 178.2595,
                                                -1.122944), header=(143, 776))
    path = tmp_path / '100000006.xml'
    path.write_text(hrsc_xml_text('100000006', 1172, 816, [ship]))
    obj = read_hrsc_xml(str(path)).objects[0]
    poly = obj.poly.astype(np.float32)
    assert cv2.pointPolygonTest(poly, (143.0, 776.0), False) > 0
    mirrored = rbox_corners(341.2143, 443.3325, 778.4297, 178.2595, 1.122944)
    assert cv2.pointPolygonTest(mirrored.astype(np.float32), (143.0, 776.0), True) < -100


def test_fully_segmented_and_empty_colour(tmp_path):
    path = tmp_path / 'a.xml'
    ships = [dict(SHIPS[0]), dict(SHIPS[1], seg_color=(0, 128, 7))]
    path.write_text(hrsc_xml_text('a', 160, 90, ships).replace('<seg_color>0,128,7',
                                                               '<seg_color> 0, 128, 7 '))
    ann = read_hrsc_xml(str(path))
    assert ann.fully_segmented and ann.objects[1].seg_color == (0, 128, 7)
    empty = tmp_path / 'b.xml'
    empty.write_text(hrsc_xml_text('b', 160, 90, []))
    ann = read_hrsc_xml(str(empty))
    assert ann.objects == [] and not ann.fully_segmented


def test_instance_masks_from_colors():
    label = np.zeros((3, 4, 3), np.uint8)
    label[0, :2] = (255, 0, 0)
    label[2, 3] = (0, 128, 7)
    label[1, 1] = (255, 0, 1)        # a different colour
    masks = instance_masks_from_colors(label, [(255, 0, 0), (0, 128, 7), (9, 9, 9)])
    expected = np.zeros((3, 3, 4), bool)
    expected[0, 0, :2] = True
    expected[1, 2, 3] = True
    np.testing.assert_array_equal(masks, expected)
    with pytest.raises(ValueError, match=r'\(H, W, 3\)'):
        instance_masks_from_colors(np.zeros((3, 4), np.uint8), [(1, 2, 3)])


@pytest.mark.parametrize('old, new, at, message', [
    ('<mbox_ang>1.5707963267948966</mbox_ang>', '', 'object', 'has no <mbox_ang>'),
    ('<box_xmin>25</box_xmin>', '<box_xmin>x</box_xmin>', 'object', 'not a number'),
    ('<box_xmax>35</box_xmax>', '<box_xmax>20</box_xmax>', 'object', 'box_xmax < box_xmin'),
    ('<mbox_w>40</mbox_w>', '<mbox_w>-4</mbox_w>', 'object', 'negative size'),
    ('<seg_color>255,0,0</seg_color>', '<seg_color>255,0</seg_color>', 'element', 'R,G,B'),
    ('<seg_color>255,0,0</seg_color>', '<seg_color>255,0,300</seg_color>', 'element', 'R,G,B'),
    ('<difficult>0</difficult>', '<difficult>yes</difficult>', 'element', 'an integer'),
    ('<Img_SizeWidth>160</Img_SizeWidth>', '<Img_SizeWidth>1.5</Img_SizeWidth>', 'element',
     'positive whole number'),
])
def test_errors_name_file_and_line(tmp_path, old, new, at, message):
    text = hrsc_xml_text('x', 160, 90, SHIPS[:1])
    assert text.count(old) == 1
    text = text.replace(old, new)
    lines = text.splitlines()
    if at == 'object':
        expected = lines.index('    <HRSC_Object>') + 1
    else:
        expected = [i for i, ln in enumerate(lines) if new in ln][0] + 1
    path = tmp_path / 'x.xml'
    path.write_text(text)
    with pytest.raises(AnnotationError, match=message) as err:
        read_hrsc_xml(str(path))
    assert err.value.path == str(path) and err.value.line == expected
    assert str(err.value).startswith(f'{path}:{expected}: ')


def test_not_hrsc_or_malformed(tmp_path):
    path = tmp_path / 'voc.xml'
    path.write_text('<annotation>\n</annotation>\n')
    with pytest.raises(AnnotationError, match=r'voc\.xml:1: expected an <HRSC_Image>'):
        read_hrsc_xml(str(path))
    path.write_text('<HRSC_Image>\n<HRSC_Objects>\n</HRSC_Image>\n')
    with pytest.raises(AnnotationError, match=r'voc\.xml:3: malformed XML'):
        read_hrsc_xml(str(path))
