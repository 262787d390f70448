"""iSAID semantic-segmentation facts for preparation: label colours and file naming.

Released layout (after unzipping): ``<split>/images/P0000.png`` (the DOTA images) and
``<split>/Semantic_masks/images/P0000_instance_color_RGB.png`` (colour-coded classes) for
``train`` and ``val``; ``test/images`` has no labels. Label indices follow mmseg's converter and
``iSAIDDataset``: 0 background, 1..15 the object classes; colours outside the palette become 255
(ignored).
"""
from __future__ import annotations

from typing import Dict

import numpy as np

#: RGB colour of label index 0..15, in the class order of mmseg's ``iSAIDDataset``.
ISAID_PALETTE = ((0, 0, 0), (0, 0, 63), (0, 63, 63), (0, 63, 0), (0, 63, 127), (0, 63, 191),
                 (0, 63, 255), (0, 127, 63), (0, 127, 127), (0, 0, 127), (0, 0, 191),
                 (0, 0, 255), (0, 191, 127), (0, 127, 191), (0, 127, 255), (0, 100, 155))

#: Preparation presets of ``tools/dataset_converters/isaid.py --protocol``: patch side and
#: overlap (px) and whether background (index 0) becomes 255 (ignored). ``mmseg``: mmseg's
#: converter (896 px, overlap 384, background kept as class 0). ``samrs``: the SAMRS fine-tuning
#: protocol (paper appendix A.6: 896 px crops with stride 512 = overlap 384, giving 33,620 train
#: / 11,533 val patches; only the 15 foreground classes are considered).
ISAID_PROTOCOLS: Dict[str, Dict] = {
    'mmseg': dict(size=896, overlap=384, ignore_background=False),
    'samrs': dict(size=896, overlap=384, ignore_background=True),
}

#: Suffix of iSAID semantic label files (also the ``seg_map_suffix`` of ``iSAIDDataset``).
ISAID_LABEL_SUFFIX = '_instance_color_RGB.png'


def isaid_patch_names(image_id: str, box: tuple) -> tuple:
    """Image and label file names of a patch, as mmseg's converter writes them:
    ``P0000_<y0>_<y1>_<x0>_<x1>.png`` and ``..._instance_color_RGB.png``.

    Args:
        image_id (str): Image name without suffix, e.g. ``P0000``.
        box (tuple): ``(x0, y0, x1, y1)`` of the patch in the image, in pixels.

    Returns:
        tuple: ``(image file name, label file name)``, both ``str``.
    """
    x0, y0, x1, y1 = box
    stem = f'{image_id}_{y0}_{y1}_{x0}_{x1}'
    return f'{stem}.png', f'{stem}{ISAID_LABEL_SUFFIX}'


def ignore_background(label: np.ndarray, ignore_index: int = 255) -> np.ndarray:
    """Set the background pixels (index 0) of an iSAID index label to ``ignore_index``.

    Args:
        label (np.ndarray): ``(H, W)`` uint8 label, 0 background and 1..15 the classes.
        ignore_index (int): Value written over background. Defaults to 255.

    Returns:
        np.ndarray: A new label array; the input is not modified.
    """
    out = label.copy()
    out[label == 0] = ignore_index
    return out
