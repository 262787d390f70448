"""mmrsfm.datasets.formats.fair1m: objects of a FAIR1M XML file written by hand, errors naming
file and line, the optional difficult flag of tiles, and the writer."""
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from mmrsfm.datasets.formats import AnnotationError, ClassMapper, format_fair1m_xml, read_fair1m_xml
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


def test_difficult_flag_of_tiles(tmp_path):
    path = tmp_path / '0.xml'
    path.write_text(FAIR1M_XML.replace('<description>None</description>\n      <possibleresult>'
                                       '<name>Boeing737',
                                       '<description>None</description><difficult>2</difficult>'
                                       '\n      <possibleresult><name>Boeing737'))
    car, plane = read_fair1m_xml(str(path), FAST_CLASSES)
    assert not car.difficult and plane.difficult  # no flag (the release): not difficult
    path.write_text(FAIR1M_XML.replace('<type>rectangle</type>',
                                       '<type>rectangle</type><difficult>yes</difficult>'))
    with pytest.raises(AnnotationError, match=r"0\.xml:7: <difficult> must be an integer, "
                       r"found 'yes'"):
        read_fair1m_xml(str(path), FAST_CLASSES)


def test_written_xml_reads_back(tmp_path):
    bus = np.array([[10.5, 10.0], [20.0, 10.0], [20.0, 30.25], [10.5, 30.0]])
    car = np.array([[1.0, 2.0], [3.0, 2.0], [3.0, 4.0], [1.0, 4.0]])
    text = format_fair1m_xml('7__1.0__0___0.png', 600, 500,
                             [(bus, 'Bus', 0), (car, 'Small Car', 2)])
    path = tmp_path / '7.xml'
    path.write_text(text)
    # Independent read with ElementTree: the release's layout, five points per object.
    root = ET.parse(str(path)).getroot()
    assert root.findtext('source/filename') == '7__1.0__0___0.png'
    assert (root.findtext('size/width'), root.findtext('size/height')) == ('600', '500')
    first = root.find('objects/object')
    assert [p.text for p in first.findall('points/point')] == [
        '10.500000,10.000000', '20.000000,10.000000', '20.000000,30.250000',
        '10.500000,30.000000', '10.500000,10.000000']
    read_bus, read_car = read_fair1m_xml(str(path), FAST_CLASSES)
    np.testing.assert_array_equal(read_bus.poly, bus)
    assert (read_bus.name, read_bus.difficult) == ('Bus', False)
    assert (FAST_CLASSES[read_car.label], read_car.difficult) == ('Small-Car', True)
    np.testing.assert_array_equal(read_car.hbox, [1, 2, 3, 4])
