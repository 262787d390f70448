"""ISPRS Potsdam facts for preparation: label colours, the train/val tiles of mmseg's converter,
and tile ids from the released file names.

Released files (after unzipping ``2_Ortho_RGB.zip`` and ``5_Labels_all_noBoundary.zip``):
``top_potsdam_<i>_<j>_RGB.tif`` (6,000 x 6,000 px) and
``top_potsdam_<i>_<j>_label_noBoundary.tif`` (colour-coded; boundaries black). Label indices
follow mmseg's converter: 0 boundary / unknown (ignored with ``reduce_zero_label``), 1..6 the
classes of mmseg's ``PotsdamDataset``.
"""
from __future__ import annotations

import re
from typing import Dict, Tuple

import numpy as np

#: RGB colour of label index 0..6 (0: boundary, then impervious surface, building, low
#: vegetation, tree, car, clutter).
POTSDAM_PALETTE = ((0, 0, 0), (255, 255, 255), (0, 0, 255), (0, 255, 255), (0, 255, 0),
                   (255, 255, 0), (255, 0, 0))

#: Tiles of mmseg's converter (``tools/dataset_converters/potsdam.py``): 24 train, 14 val.
POTSDAM_TRAIN_TILES = ('2_10', '2_11', '2_12', '3_10', '3_11', '3_12', '4_10', '4_11', '4_12',
                       '5_10', '5_11', '5_12', '6_10', '6_11', '6_12', '6_7', '6_8', '6_9',
                       '7_10', '7_11', '7_12', '7_7', '7_8', '7_9')
POTSDAM_VAL_TILES = ('5_15', '6_15', '6_13', '3_13', '4_14', '6_14', '5_14', '2_13', '4_15',
                     '2_14', '5_13', '4_13', '3_14', '7_13')

#: Label index of clutter (before mmseg's ``reduce_zero_label``).
POTSDAM_CLUTTER = 6

#: Preparation presets of ``tools/dataset_converters/potsdam.py --protocol``: patch side and
#: stride (px) and whether clutter becomes 255 (ignored). ``mmseg``: mmseg's converter (512 px,
#: stride 256, 6 classes). ``samrs``: the SAMRS fine-tuning protocol (paper appendix A.6: 512 px,
#: stride 320, giving 8,664 train / 5,054 test patches of the 24 / 14 tiles; RGB only; clutter
#: ignored in training and testing).
POTSDAM_PROTOCOLS: Dict[str, Dict] = {
    'mmseg': dict(size=512, stride=256, ignore_clutter=False),
    'samrs': dict(size=512, stride=320, ignore_clutter=True),
}

_TILE_RE = re.compile(r'top_potsdam_(\d+)_(\d+)_(RGB|label)', re.IGNORECASE)


def potsdam_tile(filename: str) -> Tuple[str, str]:
    """``top_potsdam_2_10_label_noBoundary.tif`` -> ``('2_10', 'label')``.

    Args:
        filename (str): File name (or path) of a released Potsdam tile.

    Returns:
        Tuple[str, str]: The tile id ``'<i>_<j>'`` and the kind, ``'rgb'`` or ``'label'``.

    Raises:
        ValueError: naming the file if it is not a Potsdam RGB or label tile.
    """
    match = _TILE_RE.search(filename)
    if match is None:
        raise ValueError(f'{filename}: not a Potsdam tile name (top_potsdam_<i>_<j>_RGB.tif or '
                         f'top_potsdam_<i>_<j>_label*.tif)')
    return f'{match.group(1)}_{match.group(2)}', match.group(3).lower()


def potsdam_split(tile: str) -> str:
    """``'train'`` or ``'val'`` for a tile id, as mmseg's converter splits them.

    Args:
        tile (str): Tile id ``'<i>_<j>'``, as :func:`potsdam_tile` returns it.

    Returns:
        str: ``'train'`` for a tile of ``POTSDAM_TRAIN_TILES``, else ``'val'``.
    """
    return 'train' if tile in POTSDAM_TRAIN_TILES else 'val'


def ignore_clutter(label: np.ndarray, ignore_index: int = 255) -> np.ndarray:
    """Set the clutter pixels (index :data:`POTSDAM_CLUTTER`) of an index label to ``ignore_index``.

    mmseg's ``reduce_zero_label`` keeps 255 as 255 (0 -> 255, ``i`` -> ``i - 1``), so the
    ignored clutter stays ignored next to the ignored boundary.

    Args:
        label (np.ndarray): ``(H, W)`` uint8 label with indices 0..6 (mmseg converter's).
        ignore_index (int): Value written over clutter. Defaults to 255.

    Returns:
        np.ndarray: A new label array; the input is not modified.
    """
    out = label.copy()
    out[label == POTSDAM_CLUTTER] = ignore_index
    return out
