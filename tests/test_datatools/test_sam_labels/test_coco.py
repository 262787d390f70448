"""COCO writer / merger / subset, read back with pycocotools."""
import json

import numpy as np
import pytest
from pycocotools.coco import COCO

from mmrsfm.datatools.sam_labels.coco import (build_coco, encode_mask, instance_annotation,
                                              merge_coco, subset_coco)
from mmrsfm.utils import atomic_write_json


def _record(name, masks_labels):
    anns = []
    for mask, label in masks_labels:
        ys, xs = np.nonzero(mask)
        anns.append(instance_annotation(encode_mask(mask), label,
                                        [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]))
    return dict(file_name=name, height=5, width=6, annotations=anns)


def _mask(r0, r1, c0, c1):
    m = np.zeros((5, 6), bool)
    m[r0:r1, c0:c1] = True
    return m


def test_build_merge_subset_round_trip(tmp_path):
    classes = ('a', 'b', 'c')
    first = build_coco([_record('x/1.png', [(_mask(0, 2, 0, 3), 2), (_mask(3, 5, 1, 2), 0)]),
                        _record('2.png', [])], classes)
    second = build_coco([_record('3.png', [(_mask(1, 4, 4, 6), 1)])], classes)
    merged = merge_coco([first, second])
    path = str(tmp_path / 'coco.json')
    atomic_write_json(path, merged)
    coco = COCO(path)
    assert [c['name'] for c in coco.loadCats(coco.getCatIds())] == list(classes)
    assert [img['file_name'] for img in coco.dataset['images']] == ['x/1.png', '2.png', '3.png']
    assert sorted(a['id'] for a in coco.dataset['annotations']) == [1, 2, 3]
    ann = coco.loadAnns(coco.getAnnIds(imgIds=3))[0]
    assert ann['category_id'] == 2 and ann['area'] == 6 and ann['bbox'] == [4, 1, 2, 3]
    np.testing.assert_array_equal(coco.annToMask(ann), _mask(1, 4, 4, 6))
    first_anns = coco.loadAnns(coco.getAnnIds(imgIds=1))
    assert [a['category_id'] for a in first_anns] == [3, 1]

    sub = subset_coco(merged, {'1', '3'})
    assert [i['file_name'] for i in sub['images']] == ['x/1.png', '3.png']
    assert [a['image_id'] for a in sub['annotations']] == [1, 1, 2]

    with pytest.raises(ValueError, match='appears in more than one'):
        merge_coco([first, first])
    with pytest.raises(ValueError, match='other categories'):
        merge_coco([first, build_coco([], ('a', 'b', 'd'))])
    with pytest.raises(ValueError, match='category_id 4 is outside 1..3'):
        build_coco([dict(file_name='q.png', height=1, width=1,
                         annotations=[dict(category_id=4)])], classes)
    assert json.loads((tmp_path / 'coco.json').read_text())['images'][0]['id'] == 1
