"""Cutting FAIR1M images into square tiles with their FAIR1M XML annotations clipped to each
tile: the FAST subset of SAMRS is FAIR1M-2.0 cut to 600 x 600 px.

Tiles are cut with the DOTA splitter's rule (:func:`.dota_split.cut_patches`): windows of
``size`` px every ``size - gap`` px, the last one of a row/column moved back to the image
border, images smaller than a window zero-padded; an object fully inside a tile is copied; an
object partly inside is clipped to the tile (kept with 4 corners, a 5-corner clip loses its
shortest edge, a clip with 3 or more than 5 corners is dropped, an object that only touches the
tile is dropped) and marked ``<difficult>2</difficult>`` when at most ``iof_thr`` of its area is
inside (else ``0``). Tiles are named ``<image id>__<rate>__<x>___<y>`` like DOTA patches.

Tile size: 600 px (SAMRS, Sec. 2.4: FAIR1M cropped to 600 x 600). Overlap: the paper does not
give one and the authors' code is not released, so :data:`FAIR1M_GAP` is our choice: the DOTA
devkit's 200 px overlap of 1,024 px patches scaled to 600 px (``round(200 * 600 / 1024)`` =
117 px).
"""
from __future__ import annotations

import os.path as osp
from typing import List, Optional, Sequence, Union

import numpy as np

from mmrsfm.datasets.formats import ClassMapper, DetObject, format_fair1m_xml, read_fair1m_xml
from mmrsfm.datasets.formats.dota import DOTAObject
from mmrsfm.datasets.samrs_metainfo import FAST_CLASSES

from .dota_split import split_to_folder
from .resumable import atomic_write_text

#: Tile side in pixels: SAMRS (Sec. 2.4) cuts FAIR1M-2.0 to 600 x 600 for FAST.
FAIR1M_TILE_SIZE = 600
#: Tile overlap in pixels, our choice (the authors' is unknown): the DOTA devkit's 200 px of
#: 1,024 px patches, scaled to :data:`FAIR1M_TILE_SIZE`.
FAIR1M_GAP = round(200 * FAIR1M_TILE_SIZE / 1024)


def split_fair1m_file(img_path: str,
                      xml_path: Optional[str],
                      out_dir: str,
                      rates: Sequence[float] = (1.0, ),
                      size: int = FAIR1M_TILE_SIZE,
                      gap: int = FAIR1M_GAP,
                      iof_thr: float = 0.7,
                      classes: Union[Sequence[str], ClassMapper] = FAST_CLASSES,
                      img_ext: str = '.png',
                      prefix: str = '') -> int:
    """Cut one FAIR1M image (and its XML file) into ``out_dir/images`` (and
    ``out_dir/labelXml``), skipping rates already finished in an earlier run.

    Every tile of a labelled image gets a FAIR1M XML file (``<objects>`` may be empty) with the
    tile's size, its file name, the objects' class names as the source writes them and their
    corners in tile pixels; what :func:`~mmrsfm.datasets.formats.read_fair1m_xml` and
    ``tools/samrs/generate_labels.py --format fair1m`` read.

    Args:
        img_path (str): Path of the image; ``prefix`` + its stem is the image id of the tile
            names.
        xml_path (str, optional): FAIR1M XML file, or ``None`` for unlabelled (test) images.
        out_dir (str): Output folder; tiles go to ``images/``, annotations to ``labelXml/``
            and completion markers to ``.done/``.
        rates (Sequence[float]): Scales to cut the image at. Defaults to ``(1.0, )``.
        size (int): Side of a tile in pixels. Defaults to :data:`FAIR1M_TILE_SIZE` (600).
        gap (int): Overlap of neighbouring tiles in pixels. Defaults to :data:`FAIR1M_GAP`
            (117).
        iof_thr (float): Minimum fraction of an object's area inside a tile for it to keep
            difficulty 0 (else ``<difficult>2</difficult>``). Defaults to 0.7.
        classes (Sequence[str] | ClassMapper): Allowed classes: names match case- and
            separator-insensitively (``Small Car`` is FAST's ``Small-Car``); an unknown name
            stops with the file and line. Defaults to the 37 FAST classes.
        img_ext (str): Suffix (and format) of the written tiles. Defaults to '.png'.
        prefix (str): Prepended to the image id, to keep names of several source folders
            apart. Defaults to ''.

    Returns:
        int: The number of tiles written in this call (0 when every rate was already done).

    Raises:
        FileNotFoundError: If the image or the XML file does not exist.
        ValueError: If the image cannot be read or a tile cannot be encoded, or (as an
            ``AnnotationError``) naming the file and line of a malformed XML annotation.
    """
    img_id = prefix + osp.splitext(osp.basename(img_path))[0]

    def read_objects() -> Optional[List[DetObject]]:
        return read_fair1m_xml(xml_path, classes) if xml_path is not None else None

    def write_annotation(name: str, patch: np.ndarray, inside: List[DOTAObject]) -> None:
        xml = format_fair1m_xml(name + img_ext, patch.shape[1], patch.shape[0],
                                [(o.poly, o.name, o.difficult) for o in inside])
        atomic_write_text(osp.join(out_dir, 'labelXml', name + '.xml'), xml)

    return split_to_folder(img_path, read_objects, write_annotation, out_dir, img_id, rates,
                           size, gap, iof_thr, img_ext)
