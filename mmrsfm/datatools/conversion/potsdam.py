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
from typing import Tuple

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
