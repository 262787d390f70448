"""Reading the authors' per-image instance pickles (their layout and the accepted variants)."""
import pickle

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmrsfm.datasets.formats import ClassMapper
from mmrsfm.datasets.samrs_metainfo import SIOR_CLASSES
from mmrsfm.datatools.sam_labels.authors_pickle import (PickleLayoutError, pickles_to_coco,
                                                        read_instance_pickle)
from mmrsfm.datatools.sam_labels.coco import encode_mask


def _authors_instance(mask, label, box):
    # As the authors' script writes it: numpy box and label, RLE mask, class name.
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    rle['counts'] = rle['counts'].decode('ascii')
    return {'mask': rle, 'bbox': np.array(box, np.float32), 'category': SIOR_CLASSES[label],
            'label': np.int64(label), 'size': np.int64(mask.sum())}


def test_layouts_and_errors(tmp_path):
    mask = np.zeros((6, 8), bool)
    mask[1:4, 2:7] = True
    mapper = ClassMapper(SIOR_CLASSES)
    variants = {
        'list': [_authors_instance(mask, 13, [2, 1, 7, 4])],
        'dict': {'instances': [{'mask': mask.astype(np.uint8), 'bbox': [2, 1, 7, 4],
                                'label': 13}]},
        'old_int_category': [{'mask': encode_mask(mask), 'bbox': (2, 1, 7, 4), 'category': 13}],
    }
    for name, data in variants.items():
        path = tmp_path / f'{name}.pkl'
        path.write_bytes(pickle.dumps(data))
        size, anns = read_instance_pickle(str(path), mapper)
        assert size == (6, 8), name
        assert len(anns) == 1 and anns[0]['category_id'] == 14, name
        assert anns[0]['bbox'] == [2, 1, 5, 3] and anns[0]['area'] == 15, name
        np.testing.assert_array_equal(mask_utils.decode(anns[0]['segmentation']), mask)

    bad = tmp_path / 'bad.pkl'
    bad.write_bytes(pickle.dumps([{'bbox': [0, 0, 1, 1], 'label': 1}]))
    with pytest.raises(PickleLayoutError, match=r"bad\.pkl: instance 0 has no 'mask' key"):
        read_instance_pickle(str(bad), mapper)
    bad.write_bytes(pickle.dumps([{'mask': encode_mask(mask), 'bbox': [0, 0, 1, 1]}]))
    with pytest.raises(PickleLayoutError, match='neither a "category" nor a "label"'):
        read_instance_pickle(str(bad), mapper)
    bad.write_bytes(pickle.dumps([{'mask': encode_mask(mask), 'bbox': [0, 0, 1, 1],
                                   'label': 1, 'hook': pickle.Pickler}]))
    with pytest.raises(PickleLayoutError, match='refusing to load _pickle.Pickler'):
        read_instance_pickle(str(bad), mapper)
    coco, errors = pickles_to_coco([str(tmp_path / 'list.pkl'), str(bad)], mapper)
    assert len(coco['images']) == 1 and len(errors) == 1 and 'bad.pkl' in errors[0]
