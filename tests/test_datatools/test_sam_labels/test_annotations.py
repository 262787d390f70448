"""mmrsfm.datatools.sam_labels.annotations: ``--format`` names dispatch to the shared readers of
mmrsfm.datasets.formats (tested on their own in tests/test_datasets/test_formats)."""
import numpy as np
import pytest

from mmrsfm.datasets.formats import (AnnotationError, ClassMapper, read_dior_xml, read_dota_objects,
                                     read_fair1m_xml)
from mmrsfm.datasets.samrs_metainfo import FAST_CLASSES, SIOR_CLASSES, SOTA_CLASSES
from mmrsfm.datatools.sam_labels.annotations import (ANNOTATION_FORMATS, ANNOTATION_SUFFIX,
                                                     POLY_KIND, load_objects)
from mmrsfm.testing.rs_formats import write_dior, write_dota

FAIR1M_XML = """<annotation>
  <objects>
    <object>
      <possibleresult><name>Small Car</name></possibleresult>
      <points><point>1,1</point><point>9,2</point><point>8,6</point><point>0,5</point></points>
    </object>
  </objects>
</annotation>
"""


def _same(a, b, poly_kind):
    assert len(a) == len(b) > 0
    assert {x.poly_kind for x in a} == {poly_kind}
    for x, y in zip(a, b):
        assert (x.label, x.name, x.difficult, x.line) == (y.label, y.name, y.difficult, y.line)
        for field in ('hbox', 'poly'):
            u, v = getattr(x, field), getattr(y, field)
            assert (u is None) == (v is None) and (u is None or np.array_equal(u, v))


def test_formats_dispatch_to_the_shared_readers(tmp_path):
    assert set(ANNOTATION_FORMATS) == set(ANNOTATION_SUFFIX)
    ids = write_dota(str(tmp_path / 'dota'), num_images=1, size=64)
    dota = str(tmp_path / 'dota' / 'trainval' / 'annfiles' / f'{ids[0]}.txt')
    mapper = ClassMapper(SOTA_CLASSES)
    # DOTA's corners are an outline (its HBB is their enclosing box), the others rotated boxes.
    assert POLY_KIND == {'dota': 'polygon', 'dior': 'rbox', 'fair1m': 'rbox'}
    _same(load_objects(dota, 'dota', mapper), read_dota_objects(dota, mapper), 'polygon')

    ids = write_dior(str(tmp_path / 'dior'), splits={'train': 1}, size=64)['train']
    dior = str(tmp_path / 'dior' / 'Annotations' / 'Oriented Bounding Boxes' / f'{ids[0]}.xml')
    mapper = ClassMapper(SIOR_CLASSES)
    _same(load_objects(dior, 'dior', mapper), read_dior_xml(dior, mapper).objects, 'rbox')

    fair1m = tmp_path / '0.xml'
    fair1m.write_text(FAIR1M_XML)
    mapper = ClassMapper(FAST_CLASSES)
    _same(load_objects(str(fair1m), 'fair1m', mapper), read_fair1m_xml(str(fair1m), mapper),
          'rbox')
    fair1m.write_text(FAIR1M_XML.replace('Small Car', 'Zeppelin'))
    with pytest.raises(AnnotationError, match=r"0\.xml:3: unknown class 'Zeppelin'"):
        load_objects(str(fair1m), 'fair1m', mapper)


def test_unknown_format():
    with pytest.raises(ValueError, match="unknown annotation format 'voc'; expected one of"):
        load_objects('a.xml', 'voc', ClassMapper(SIOR_CLASSES))
