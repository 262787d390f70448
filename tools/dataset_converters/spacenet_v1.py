"""Prepare SpaceNet v1 (Rio de Janeiro) buildings for mmseg: RGB tiles to PNG, GeoJSON building
footprints rasterised to masks (0 background, 1 building; a pixel is a building when its centre
is inside a footprint), and a seeded random split (5,000 train tiles, the rest val, as in the
benchmark papers).

Input (the release, unpacked)::

    SRC/3band/3band_AOI_1_RIO_img<N>.tif              (GeoTIFF, RGB)
    SRC/vectordata/geojson/Geo_AOI_1_RIO_img<N>.geojson

(any depth under SRC: tiles are found by the ``--img-pattern`` glob, footprints by their
``img<N>`` id). Geo-coordinates are mapped with the tile's GeoTIFF tags (read with Pillow; no
GDAL needed), assuming the GeoJSON is in the tile's CRS (WGS84 for SpaceNet v1). GeoJSON
already in pixel coordinates: add ``--pixel-coords``.

Output (``SpaceNetV1Dataset``)::

    OUT/img_dir/{train,val}/img<N>.png   OUT/ann_dir/{train,val}/img<N>.png
    OUT/train.txt, OUT/val.txt           (tile ids of each split)

Example:
    python tools/dataset_converters/spacenet_v1.py data/SpaceNetV1_raw data/spacenet_v1

Re-running skips tiles whose image and mask exist; files are written atomically.
"""
import argparse
import glob
import os.path as osp
import sys
from typing import Dict, List, Optional

import numpy as np
from PIL import Image
from tqdm import tqdm

from mmrsfm.datatools.conversion import (atomic_write_image, atomic_write_text,
                                         rasterize_footprints, read_geojson, read_geotransform,
                                         spacenet_tile_id)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='SpaceNet v1 release folder')
    parser.add_argument('out', help='output root, e.g. data/spacenet_v1')
    parser.add_argument('--img-pattern', default='**/3band*.tif',
                        help='glob (relative to SRC) of the RGB tiles')
    parser.add_argument('--num-train', type=int, default=5000, help='tiles in the train split')
    parser.add_argument('--seed', type=int, default=0, help='seed of the random split')
    parser.add_argument('--pixel-coords', action='store_true',
                        help='GeoJSON coordinates are pixels (no georeferencing needed)')
    return parser.parse_args(argv)


def index_by_tile(paths: List[str]) -> Dict[str, str]:
    index: Dict[str, str] = {}
    for path in paths:
        tile = spacenet_tile_id(osp.basename(path))
        if tile in index:
            raise ValueError(f'{path}: tile {tile} also found at {index[tile]}')
        index[tile] = path
    return index


def convert_tile(tif: str, geojson: str, out_img: str, out_ann: str, pixel_coords: bool) -> None:
    with Image.open(tif) as image:
        rgb = np.asarray(image.convert('RGB'))
    transform = None
    if not pixel_coords:
        transform = read_geotransform(tif)
        if transform is None:
            raise ValueError(f'{tif}: no GeoTIFF georeferencing (ModelPixelScale/Tiepoint or '
                             'ModelTransformation tags); use --pixel-coords for pixel GeoJSON')
    mask = rasterize_footprints(read_geojson(geojson), rgb.shape[:2], transform, source=geojson)
    atomic_write_image(out_img, rgb[..., ::-1])
    atomic_write_image(out_ann, mask)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    try:
        tiles = index_by_tile(sorted(glob.glob(osp.join(args.src, args.img_pattern),
                                               recursive=True)))
        if not tiles:
            raise FileNotFoundError(f'{args.src}: no tiles match {args.img_pattern}')
        footprints = index_by_tile(sorted(glob.glob(osp.join(args.src, '**', '*.geojson'),
                                                    recursive=True)))
        ids = sorted(tiles, key=lambda t: int(t[3:]))
        if not 0 < args.num_train < len(ids):
            raise ValueError(f'--num-train must be in [1, {len(ids) - 1}] for {len(ids)} tiles, '
                             f'got {args.num_train}')
        order = np.random.default_rng(args.seed).permutation(len(ids))
        split = {ids[i]: ('train' if rank < args.num_train else 'val')
                 for rank, i in enumerate(order)}
        for name in ('train', 'val'):
            atomic_write_text(osp.join(args.out, f'{name}.txt'),
                              ''.join(f'{t}\n' for t in ids if split[t] == name))
        skipped = 0
        for tile in tqdm(ids, desc='rasterise', unit='tile'):
            if tile not in footprints:
                raise FileNotFoundError(f'{tiles[tile]}: no GeoJSON with tile id {tile} under '
                                        f'{args.src}')
            out_img = osp.join(args.out, 'img_dir', split[tile], f'{tile}.png')
            out_ann = osp.join(args.out, 'ann_dir', split[tile], f'{tile}.png')
            if osp.isfile(out_img) and osp.isfile(out_ann):
                skipped += 1
                continue
            convert_tile(tiles[tile], footprints[tile], out_img, out_ann, args.pixel_coords)
        print(f'{len(ids)} tiles ({args.num_train} train) -> {args.out}; {skipped} already done')
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')


if __name__ == '__main__':
    main()
