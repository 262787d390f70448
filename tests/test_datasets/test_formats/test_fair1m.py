"""mmrsfm.datasets.formats.fair1m: objects of a FAIR1M XML file written by hand, and errors
naming file and line."""
import numpy as np
import pytest

from mmrsfm.datasets.formats import AnnotationError, ClassMapper, read_fair1m_xml
from mmrsfm.datasets.samrs_metainfo import FAST_CLASSES

FAIR1M_XML = """<?xml version="1.0" encoding="utf-8"?>
<annotation>
  <source><filename>0.tif</filename><origin>GF2/GF3</origin></source>
  <size><width>1000</width><height>1000</height><depth>3</depth></size>
  <objects>
    <object>
      <coordinate>pixel</coordinate><type>rectangle</type><description>None</description>
      <possibleresult><name>Small Car</name></possibleresult>
      <points>
        <point>100.000000,50.000000</point><point>130.000000,60.000000</point>
        <point>125.000000,75.000000</point><point>95.000000,65.000000</point>
        <point>100.000000,50.000000</point>
      </points>
    </object>
    <object>
      <coordinate>pixel</coordinate><type>rectangle</type><description>None</description>
      <possibleresult><name>Boeing737</name></possibleresult>
      <points>
        <point>10,10</point><point>20,10</point><point>20,30</point><point>10,30</point>
      </points>
    </object>
  </objects>
</annotation>
"""


def test_fair1m_xml(tmp_path):
    path = tmp_path / '0.xml'
    path.write_text(FAIR1M_XML)
    car, plane = read_fair1m_xml(str(path), FAST_CLASSES)
    assert FAST_CLASSES[car.label] == 'Small-Car' and car.name == 'Small Car'
    assert FAST_CLASSES[plane.label] == 'Boeing737'
    np.testing.assert_array_equal(car.poly, [[100, 50], [130, 60], [125, 75], [95, 65]])
    assert car.hbox is None and car.line == 6 and plane.line == 15
    np.testing.assert_array_equal(plane.hbox, [10, 10, 20, 30])
    # A class the mapper drops is left out.
    (plane_only, ) = read_fair1m_xml(str(path), ClassMapper(FAST_CLASSES, {'small car': None}))
    assert plane_only.name == 'Boeing737'


@pytest.mark.parametrize('old, new, where', [
    ('<point>20,30</point>', '<point>20;30</point>', r'0\.xml:19: <point> must read "x,y"'),
    ('<point>20,30</point>', '', r'0\.xml:15: expected 4 corners .* found 3'),
    ('Boeing737', 'Zeppelin', r"0\.xml:15: unknown class 'Zeppelin'"),
    ('<possibleresult><name>Boeing737</name></possibleresult>', '',
     r'0\.xml:15: <object> has no <possibleresult/name>'),
    ('</objects>', '', r'0\.xml:23: malformed XML: mismatched tag'),
])
def test_errors_name_file_and_line(tmp_path, old, new, where):
    path = tmp_path / '0.xml'
    path.write_text(FAIR1M_XML.replace(old, new))
    with pytest.raises(AnnotationError, match=where):
        read_fair1m_xml(str(path), FAST_CLASSES)
