"""LabelGenerator on DOTA-format files with a tiny random SAM: outputs against SAM's own
predictions and a re-rendering of the instances, problems reported, resume, settings check."""
import json
import os

import cv2
import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO
from segment_anything import SamPredictor

from mmrsfm.datasets.formats import ClassMapper
from mmrsfm.datasets.samrs_metainfo import SIOR_CLASSES, SOTA_CLASSES
from mmrsfm.datatools.sam_labels.generation import LabelGenerator
from mmrsfm.datatools.sam_labels.sam_labeler import SamBoxLabeler

from .conftest import build_tiny_sam

OBJECTS_A = ('imagesource:GoogleEarth\ngsd:0.5\n'
             '4 4 60 4 60 60 4 60 harbor 0\n'               # large, axis-aligned
             '20 20 30 16 34 26 24 30 ship 0\n'             # small, rotated: H-Box = its bounds
             '40 30 50 30 50 44 40 44 small-vehicle 1\n')   # difficult


def _write_data(root):
    images, anns = root / 'images', root / 'labelTxt'
    images.mkdir(parents=True)
    anns.mkdir()
    rng = np.random.RandomState(0)
    for stem in ('A', 'B', 'C', 'D'):
        cv2.imwrite(str(images / f'{stem}.png'), rng.randint(0, 255, (64, 64, 3), np.uint8))
    (anns / 'A.txt').write_text(OBJECTS_A)
    (anns / 'B.txt').write_text('imagesource:GoogleEarth\ngsd:0.5\n')   # no objects
    (anns / 'C.txt').write_text('4 4 60 4 60 60 4 60 harbor 0\n1 2 3 ship\n')  # malformed
    (anns / 'E.txt').write_text('4 4 60 4 60 60 4 60 harbor 0\n')      # no image
    return str(images), str(anns)                                      # D: no annotation


def _paint(masks, labels, order):
    """Independent re-rendering: 255 background, the last painted instance wins."""
    idx = list(range(len(masks)))
    if order == 'larger-first':
        idx = sorted(idx, key=lambda i: -int(masks[i].sum()))
    out = np.full(masks[0].shape, 255, np.uint8)
    for i in idx:
        out[masks[i]] = labels[i]
    return out


@pytest.mark.parametrize('order', ['larger-first', 'annotation'])
def test_generate_resume_and_report(tmp_path, order):
    images, anns = _write_data(tmp_path)
    out = str(tmp_path / 'out')
    built = []

    def factory():
        built.append(1)
        return SamBoxLabeler(build_tiny_sam(), batch_size=2)

    gen = LabelGenerator(out, ClassMapper(SOTA_CLASSES), 'dota', factory, prompt='auto',
                         overlap_order=order)
    summary = gen.run(images, anns, progress=False)
    assert summary['processed'] == 2 and summary['skipped_done'] == 0 and len(built) == 1
    # DOTA polygons have an H-Box (their enclosing box), so auto prompts every object with it.
    assert summary['prompt'] == 'auto' and summary['prompt_types'] == {'hbox': 3}
    assert summary['images_without_objects'] == ['B']
    problems = {(os.path.basename(p['file']), p['line'], p['action']) for p in summary['problems']}
    assert problems == {('C.txt', 2, 'image skipped'), ('D.png', None, 'image skipped'),
                        ('E.txt', None, 'annotation skipped')}
    with open(os.path.join(out, 'summary.json')) as f:
        assert json.load(f)['problems'] == summary['problems']

    # Instances: SAM's own single-box prediction for each prompt (H-Box / RH-Box).
    coco = COCO(os.path.join(out, 'instances.json'))
    assert [img['file_name'] for img in coco.dataset['images']] == ['A.png', 'B.png']
    anns_a = coco.loadAnns(coco.getAnnIds(imgIds=1))
    expected_boxes = [[4, 4, 60, 60], [20, 16, 34, 30], [40, 30, 50, 44]]
    expected_labels = [SOTA_CLASSES.index(n) for n in ('harbor', 'ship', 'small-vehicle')]
    assert [a['category_id'] - 1 for a in anns_a] == expected_labels
    assert [a['prompt'] for a in anns_a] == ['hbox'] * 3
    predictor = SamPredictor(build_tiny_sam())
    predictor.set_image(cv2.cvtColor(cv2.imread(os.path.join(images, 'A.png')),
                                     cv2.COLOR_BGR2RGB))
    masks = []
    for ann, box in zip(anns_a, expected_boxes):
        x, y, w, h = ann['bbox']
        np.testing.assert_allclose([x, y, x + w, y + h], box)
        ref, _, _ = predictor.predict(box=np.array(box, float), multimask_output=False)
        mask = coco.annToMask(ann).astype(bool)
        np.testing.assert_array_equal(mask, ref[0])
        assert ann['area'] == int(ref[0].sum())
        masks.append(mask)

    gray = np.array(Image.open(os.path.join(out, 'gray', 'A.png')))
    np.testing.assert_array_equal(gray, _paint(masks, expected_labels, order))
    assert set(np.unique(gray)) <= set(expected_labels) | {255}
    assert (np.array(Image.open(os.path.join(out, 'gray', 'B.png'))) == 255).all()
    assert np.array(Image.open(os.path.join(out, 'color', 'A.png'))).shape == (64, 64, 3)
    assert not os.path.exists(os.path.join(out, 'gray', 'C.png'))

    # Resume: nothing redone, SAM not even built; the malformed file is reported again.
    mtimes = {p: os.stat(os.path.join(out, 'gray', p)).st_mtime_ns for p in ('A.png', 'B.png')}
    again = LabelGenerator(out, ClassMapper(SOTA_CLASSES), 'dota', factory,
                           overlap_order=order).run(images, anns, progress=False)
    assert again['processed'] == 0 and again['skipped_done'] == 2 and len(built) == 1
    assert ('C.txt', 2) in {(os.path.basename(p['file']), p['line']) for p in again['problems']}
    assert mtimes == {p: os.stat(os.path.join(out, 'gray', p)).st_mtime_ns for p in mtimes}

    # After fixing the file, only that image is labelled.
    (tmp_path / 'labelTxt' / 'C.txt').write_text('4 4 60 4 60 60 4 60 harbor 0\n')
    fixed = LabelGenerator(out, ClassMapper(SOTA_CLASSES), 'dota', factory,
                           overlap_order=order).run(images, anns, progress=False)
    assert fixed['processed'] == 1 and fixed['coco_images'] == 3 and len(built) == 2

    other = 'annotation' if order == 'larger-first' else 'larger-first'
    with pytest.raises(ValueError, match=f"overlap_order='{order}'"):
        LabelGenerator(out, ClassMapper(SOTA_CLASSES), 'dota', factory,
                       overlap_order=other).run(images, anns, progress=False)
    # The prompt type is a label setting too: resuming with another one is refused.
    with pytest.raises(ValueError, match="prompt='auto'.*now prompt='rhbox'.*--prompt auto"):
        LabelGenerator(out, ClassMapper(SOTA_CLASSES), 'dota', factory, prompt='rhbox',
                       overlap_order=order).run(images, anns, progress=False)


DIOR_XML = """<annotation>
  <object><name>ship</name><difficult>0</difficult>
    <robndbox><x_left_top>20</x_left_top><y_left_top>20</y_left_top>
      <x_right_top>30</x_right_top><y_right_top>16</y_right_top>
      <x_right_bottom>34</x_right_bottom><y_right_bottom>26</y_right_bottom>
      <x_left_bottom>24</x_left_bottom><y_left_bottom>30</y_left_bottom></robndbox>
  </object>
  <object><name>harbor</name><difficult>0</difficult>
    <bndbox><xmin>5</xmin><ymin>5</ymin><xmax>61</xmax><ymax>61</ymax></bndbox>
  </object>
</annotation>
"""


def test_hbox_prompt_on_polygons_and_rotated_boxes(tmp_path):
    images, anns = _write_data(tmp_path)
    gen = LabelGenerator(str(tmp_path / 'out'), ClassMapper(SOTA_CLASSES), 'dota',
                         lambda: SamBoxLabeler(build_tiny_sam()), prompt='hbox',
                         skip_difficult=True)
    summary = gen.run(images, anns, progress=False)
    assert not [p for p in summary['problems'] if p['action'] == 'object skipped']
    with open(tmp_path / 'out' / 'instances' / 'A.json') as f:
        record = json.load(f)
    # The rotated DOTA ship keeps its enclosing box as H-Box; the difficult vehicle is left out.
    assert [a['source_line'] for a in record['annotations']] == [3, 4]
    assert [a['bbox'] for a in record['annotations']] == [[4, 4, 56, 56], [20, 16, 14, 14]]
    assert [a['prompt'] for a in record['annotations']] == ['hbox', 'hbox']
    rle = record['annotations'][0]['segmentation']
    assert mask_utils.decode(rle).shape == (64, 64)

    # A DIOR-R <robndbox> alone is a rotated box: no H-Box, reported and left out.
    (tmp_path / 'xml').mkdir()
    (tmp_path / 'xml' / 'A.xml').write_text(DIOR_XML)
    gen = LabelGenerator(str(tmp_path / 'dior'), ClassMapper(SIOR_CLASSES), 'dior',
                         lambda: SamBoxLabeler(build_tiny_sam()), prompt='hbox')
    summary = gen.run(images, str(tmp_path / 'xml'), progress=False)
    skipped = [p for p in summary['problems'] if p['action'] == 'object skipped']
    assert [(os.path.basename(p['file']), p['line']) for p in skipped] == [('A.xml', 2)]
    assert 'only a rotated box' in skipped[0]['message']
    assert summary['prompt_types'] == {'hbox': 1}

    # FAIR1M has rotated boxes only: an H-Box run is refused before anything is done.
    with pytest.raises(ValueError, match='FAIR1M annotations are rotated boxes'):
        LabelGenerator(str(tmp_path / 'fair1m'), ClassMapper(SOTA_CLASSES), 'fair1m',
                       lambda: SamBoxLabeler(build_tiny_sam()), prompt='hbox')
