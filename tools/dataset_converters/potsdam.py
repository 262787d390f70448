"""Prepare ISPRS Potsdam for mmseg: cut the 6,000 px tiles into patches (512 px, stride 256) and
convert the colour labels to indices (0 boundary/unknown - ignored -, 1..6 impervious surface,
building, low vegetation, tree, car, clutter), split into train/val tiles as mmseg's converter.

Input: the unzipped ``2_Ortho_RGB.zip`` and ``5_Labels_all_noBoundary.zip`` anywhere under SRC
(``top_potsdam_<i>_<j>_RGB.tif``, ``top_potsdam_<i>_<j>_label_noBoundary.tif``).
Output (mmseg ``PotsdamDataset``)::

    OUT/img_dir/{train,val}/<i>_<j>_<x0>_<y0>_<x1>_<y1>.png
    OUT/ann_dir/{train,val}/<same name>.png

Only the RGB orthophotos are read (``2_Ortho_RGB``; no IR band).

Protocols (``--protocol``; ``--size``, ``--stride``, ``--ignore-clutter`` override a preset):

* ``mmseg`` (default): 512 px patches, stride 256, the 6 classes (mmseg's converter).
* ``samrs``: the SAMRS fine-tuning protocol (paper appendix A.6): 512 px patches, stride 320
  (8,664 train / 5,054 val patches), clutter set to 255 (ignored in training and testing); read
  by ``configs/samrs/finetune/*potsdam*`` from ``data/potsdam_samrs``.

Examples:
    python tools/dataset_converters/potsdam.py data/Potsdam_raw data/potsdam
    python tools/dataset_converters/potsdam.py data/Potsdam_raw data/potsdam_samrs \
        --protocol samrs

Re-running skips finished tiles; every file is written atomically.
"""
import argparse
import glob
import os.path as osp
import sys
from typing import Dict, List, Optional

import numpy as np
from PIL import Image
from tqdm import tqdm

from mmrsfm.datatools.conversion import (POTSDAM_PALETTE, DoneMarkers, potsdam_split, potsdam_tile,
                                         rgb_to_index, write_patches)
from mmrsfm.datatools.conversion.potsdam import POTSDAM_PROTOCOLS, ignore_clutter

Image.MAX_IMAGE_PIXELS = None  # the tiles are 36 MP, trusted input


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line arguments, a ``--protocol`` preset filling the options not given.

    Args:
        argv (List[str], optional): Arguments; None reads ``sys.argv[1:]``. Defaults to None.

    Returns:
        argparse.Namespace: The parsed arguments, every preset option set.
    """
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='folder holding the unzipped RGB and label tiles')
    parser.add_argument('out', help='output root, e.g. data/potsdam')
    parser.add_argument('--protocol', choices=sorted(POTSDAM_PROTOCOLS), default='mmseg',
                        help='preset of --size, --stride and --ignore-clutter (default: mmseg)')
    parser.add_argument('--size', type=int, help='patch side (px); mmseg and samrs: 512')
    parser.add_argument('--stride', type=int,
                        help='step between patches (px); mmseg: 256, samrs: 320')
    parser.add_argument('--ignore-clutter', action=argparse.BooleanOptionalAction, default=None,
                        help='write clutter as 255 (ignored); samrs: on, mmseg: off')
    args = parser.parse_args(argv)
    for key, value in POTSDAM_PROTOCOLS[args.protocol].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.size <= 0 or args.stride <= 0:
        parser.error(f'--size and --stride must be positive, got {args.size}, {args.stride}')
    return args


def find_tiles(src: str) -> Dict[str, Dict[str, str]]:
    """The released RGB and label tiles under ``src``.

    Args:
        src (str): Folder searched recursively for ``top_potsdam_*.tif``.

    Returns:
        Dict[str, Dict[str, str]]: Tile id -> ``{'rgb': path, 'label': path}``.
    """
    tiles: Dict[str, Dict[str, str]] = {}
    for path in sorted(glob.glob(osp.join(src, '**', 'top_potsdam_*.tif'), recursive=True)):
        tile, kind = potsdam_tile(osp.basename(path))
        if kind in tiles.setdefault(tile, {}):
            raise ValueError(f'{path}: tile {tile} ({kind}) also found at {tiles[tile][kind]}')
        tiles[tile][kind] = path
    if not tiles:
        raise FileNotFoundError(f'{src}: no top_potsdam_*.tif files')
    for tile, kinds in tiles.items():
        if set(kinds) != {'rgb', 'label'}:
            present = next(iter(kinds.values()))
            missing = ({'rgb', 'label'} - set(kinds)).pop()
            raise FileNotFoundError(f'{present}: the {missing} file of tile {tile} is missing')
    return tiles


def read_rgb(path: str) -> np.ndarray:
    """Read an image file as RGB.

    Args:
        path (str): Image file.

    Returns:
        np.ndarray: ``(H, W, 3)`` uint8 RGB array.
    """
    with Image.open(path) as image:
        return np.asarray(image.convert('RGB'))


def main(argv: Optional[List[str]] = None) -> None:
    """Convert every tile / image; exit with a message naming the file on bad input.

    Args:
        argv (List[str], optional): Arguments; None reads ``sys.argv[1:]``. Defaults to None.
    """
    args = parse_args(argv)
    try:
        tiles = find_tiles(args.src)
        markers = DoneMarkers(args.out)
        for tile in tqdm(sorted(tiles), desc='potsdam', unit='tile'):
            if markers.is_done(tile):
                continue
            image = read_rgb(tiles[tile]['rgb'])
            label, unknown = rgb_to_index(read_rgb(tiles[tile]['label']), POTSDAM_PALETTE,
                                          unknown_value=0)
            if image.shape[:2] != label.shape:
                raise ValueError(f'{tiles[tile]["label"]}: size {label.shape} differs from '
                                 f'{tiles[tile]["rgb"]} {image.shape[:2]}')
            if unknown:
                print(f'warning: {tiles[tile]["label"]}: {unknown} pixels with colours outside '
                      'the Potsdam palette set to 0 (ignored)', file=sys.stderr)
            if args.ignore_clutter:
                label = ignore_clutter(label)
            split = potsdam_split(tile)

            def paths(box, tile=tile, split=split):
                name = f'{tile}_{box[0]}_{box[1]}_{box[2]}_{box[3]}.png'
                return (osp.join(args.out, 'img_dir', split, name),
                        osp.join(args.out, 'ann_dir', split, name))

            count = write_patches(image[..., ::-1], label, args.size, args.stride, paths,
                                  label_pad=0)
            markers.mark(tile, count)
        print(f'{len(tiles)} tiles -> {args.out}')
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')


if __name__ == '__main__':
    main()
