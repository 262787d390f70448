"""Box and point prompts: RH-Box by hand and by shapely, H-Box of a polygon outline, prompt
selection per object and per SAMRS subset, clipping."""
import numpy as np
import pytest
from shapely.geometry import Polygon

from mmrsfm.datasets.formats import DetObject
from mmrsfm.datatools.sam_labels.prompts import (box_prompt, build_box_prompts, center_point,
                                                 default_prompt, horizontal_box, prompt_kind,
                                                 rhbox_from_polygon)

# A DOTA-style quadrilateral that is not a rectangle (DOTA labels are free quadrilaterals).
QUAD = np.array([[12., 30.], [40., 18.], [52., 44.], [20., 50.]])


def test_rhbox_of_an_8_point_polygon_by_hand():
    # DOTA order x1 y1 ... x4 y4 of a rotated rectangle.
    poly = np.array([100, 50, 130, 60, 125, 75, 95, 65], dtype=float)
    np.testing.assert_array_equal(rhbox_from_polygon(poly), [95, 50, 130, 75])
    # A 20 x 20 square centred at (50, 50), turned 45 degrees: half-diagonal 10 * sqrt(2).
    r = 10 * np.sqrt(2)
    diamond = np.array([[50, 50 - r], [50 + r, 50], [50, 50 + r], [50 - r, 50]])
    np.testing.assert_allclose(rhbox_from_polygon(diamond), [50 - r, 50 - r, 50 + r, 50 + r])
    np.testing.assert_allclose(rhbox_from_polygon(diamond), Polygon(diamond).bounds)


def test_prompt_selection():
    both = DetObject(label=0, name='a', hbox=np.array([1., 2., 30., 40.]),
                     poly=np.array([[5., 2.], [30., 10.], [26., 40.], [1., 32.]]))
    rotated_only = DetObject(label=1, name='b', poly=np.array([[0, 5.], [5, 0], [10, 5], [5, 10]]))
    np.testing.assert_array_equal(box_prompt(both, 'auto'), [1, 2, 30, 40])
    np.testing.assert_array_equal(box_prompt(both, 'hbox'), [1, 2, 30, 40])
    np.testing.assert_array_equal(box_prompt(both, 'rhbox'), [1, 2, 30, 40])
    np.testing.assert_array_equal(box_prompt(rotated_only, 'auto'), [0, 0, 10, 10])
    with pytest.raises(ValueError, match='only a rotated box'):
        box_prompt(rotated_only, 'hbox')
    with pytest.raises(ValueError, match='unknown box prompt'):
        box_prompt(both, 'rbox')
    np.testing.assert_array_equal(center_point(rotated_only), [5, 5])
    np.testing.assert_array_equal(center_point(DetObject(0, 'c', hbox=np.array([0, 0, 4., 2]))),
                                  [2, 1])


def test_polygon_outline_has_its_enclosing_box_as_h_box():
    # DOTA's HBB ground truth is xmin, ymin, xmax, ymax of the polygon: by hand and by shapely.
    outline = DetObject(0, 'ship', poly=QUAD, poly_kind='polygon')
    rotated = DetObject(0, 'ship', poly=QUAD)  # the same corners read as a rotated box
    np.testing.assert_array_equal(horizontal_box(outline), [12, 18, 52, 50])
    np.testing.assert_array_equal(horizontal_box(outline), Polygon(QUAD).bounds)
    assert horizontal_box(rotated) is None
    assert [prompt_kind(outline, m) for m in ('hbox', 'rhbox', 'auto')] == ['hbox', 'rhbox',
                                                                            'hbox']
    assert [prompt_kind(rotated, m) for m in ('rhbox', 'auto')] == ['rhbox', 'rhbox']
    with pytest.raises(ValueError, match='only a rotated box'):
        prompt_kind(rotated, 'hbox')
    for mode in ('hbox', 'rhbox', 'auto'):
        np.testing.assert_array_equal(box_prompt(outline, mode), [12, 18, 52, 50])
    hbox_only = DetObject(0, 'vehicle', hbox=np.array([3., 4., 9., 8.]))
    assert [prompt_kind(hbox_only, m) for m in ('hbox', 'rhbox', 'auto')] == ['hbox'] * 3
    with pytest.raises(ValueError, match='poly_kind must be one of'):
        DetObject(0, 'ship', poly=QUAD, poly_kind='quad')


@pytest.mark.parametrize('classes, expected', [('sota', 'hbox'), ('SIOR', 'hbox'),
                                               ('fast', 'rhbox'), ('my_classes.json', 'auto')])
def test_default_prompt_per_subset_as_in_the_paper(classes, expected):
    # Sec. 2.5: DOTA-v2.0 and DIOR with H-Boxes, FAIR1M-2.0 (rotated boxes only) with RH-Boxes.
    assert default_prompt(classes) == expected


def test_build_box_prompts_clips_and_reports():
    objects = [
        DetObject(0, 'in', hbox=np.array([-5., 10, 20, 30]), line=1),
        DetObject(0, 'rot', poly=np.array([[0, 5.], [5, 0], [10, 5], [5, 10]]), line=2),
        DetObject(0, 'out', hbox=np.array([70., 10, 90, 30]), line=3),
        DetObject(0, 'outline', poly=QUAD - [0, 10], poly_kind='polygon', line=4),
    ]
    boxes, kept, dropped = build_box_prompts(objects, 'hbox', width=64, height=48)
    np.testing.assert_array_equal(boxes, [[0, 10, 20, 30], [12, 8, 52, 40]])
    assert kept == [0, 3]
    assert [line for line, _ in dropped] == [2, 3]
    assert 'rotated box' in dropped[0][1] and 'outside the 64x48 image' in dropped[1][1]
