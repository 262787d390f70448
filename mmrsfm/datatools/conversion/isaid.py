"""iSAID semantic-segmentation facts for preparation: label colours and file naming.

Released layout (after unzipping): ``<split>/images/P0000.png`` (the DOTA images) and
``<split>/Semantic_masks/images/P0000_instance_color_RGB.png`` (colour-coded classes) for
``train`` and ``val``; ``test/images`` has no labels. Label indices follow mmseg's converter and
``iSAIDDataset``: 0 background, 1..15 the object classes; colours outside the palette become 255
(ignored).
"""
from __future__ import annotations

#: RGB colour of label index 0..15, in the class order of mmseg's ``iSAIDDataset``.
ISAID_PALETTE = ((0, 0, 0), (0, 0, 63), (0, 63, 63), (0, 63, 0), (0, 63, 127), (0, 63, 191),
                 (0, 63, 255), (0, 127, 63), (0, 127, 127), (0, 0, 127), (0, 0, 191),
                 (0, 0, 255), (0, 191, 127), (0, 127, 191), (0, 127, 255), (0, 100, 155))

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
