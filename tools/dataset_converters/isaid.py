"""Prepare iSAID semantic segmentation for mmseg: cut the images into patches (896 px, overlap
384, as mmseg's converter) and convert the colour labels to indices (0 background, 1..15 the
classes of mmseg's ``iSAIDDataset``; colours outside the palette and padding become 255,
ignored).

Input (unzipped release)::

    SRC/{train,val}/images/P0000.png
    SRC/{train,val}/Semantic_masks/images/P0000_instance_color_RGB.png

Output (mmseg ``iSAIDDataset``)::

    OUT/img_dir/{train,val}/P0000_<y0>_<y1>_<x0>_<x1>.png
    OUT/ann_dir/{train,val}/P0000_<y0>_<y1>_<x0>_<x1>_instance_color_RGB.png

Example:
    python tools/dataset_converters/isaid.py data/iSAID_raw data/iSAID

Re-running skips finished images; every file is written atomically.
"""
import argparse
import glob
import os.path as osp
import sys
from typing import List, Optional

import cv2
from tqdm import tqdm

from mmrsfm.datatools.conversion import (ISAID_LABEL_SUFFIX, ISAID_PALETTE, DoneMarkers,
                                         isaid_patch_names, read_image, rgb_to_index, write_patches)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='iSAID release folder holding train/ and val/')
    parser.add_argument('out', help='output root, e.g. data/iSAID')
    parser.add_argument('--splits', nargs='+', default=['train', 'val'])
    parser.add_argument('--size', type=int, default=896, help='patch side (px)')
    parser.add_argument('--overlap', type=int, default=384, help='overlap of patches (px)')
    return parser.parse_args(argv)


def convert_split(args: argparse.Namespace, split: str) -> int:
    img_dir = osp.join(args.src, split, 'images')
    images = sorted(glob.glob(osp.join(img_dir, '*.png')))
    if not images:
        raise FileNotFoundError(f'{img_dir}: no .png images')
    labels = {osp.basename(p)[:-len(ISAID_LABEL_SUFFIX)]: p for p in glob.glob(
        osp.join(args.src, split, 'Semantic_masks', '**', f'*{ISAID_LABEL_SUFFIX}'),
        recursive=True)}
    markers = DoneMarkers(osp.join(args.out, '.progress', split))
    for img_path in tqdm(images, desc=f'iSAID {split}', unit='img'):
        image_id = osp.splitext(osp.basename(img_path))[0]
        if markers.is_done(image_id):
            continue
        if image_id not in labels:
            raise FileNotFoundError(f'{img_path}: no {image_id}{ISAID_LABEL_SUFFIX} under '
                                    f'{osp.join(args.src, split, "Semantic_masks")}')
        image = read_image(img_path)
        colour = cv2.cvtColor(read_image(labels[image_id]), cv2.COLOR_BGR2RGB)
        label, unknown = rgb_to_index(colour, ISAID_PALETTE, unknown_value=255)
        if image.shape[:2] != label.shape:
            raise ValueError(f'{labels[image_id]}: size {label.shape} differs from {img_path} '
                             f'{image.shape[:2]}')
        if unknown:
            print(f'warning: {labels[image_id]}: {unknown} pixels with colours outside the '
                  'iSAID palette set to 255 (ignored)', file=sys.stderr)

        def paths(box, image_id=image_id):
            img_name, ann_name = isaid_patch_names(image_id, box)
            return (osp.join(args.out, 'img_dir', split, img_name),
                    osp.join(args.out, 'ann_dir', split, ann_name))

        count = write_patches(image, label, args.size, args.size - args.overlap, paths)
        markers.mark(image_id, count)
    return len(images)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if not 0 <= args.overlap < args.size:
        sys.exit(f'error: --overlap must be in [0, --size={args.size}), got {args.overlap}')
    try:
        for split in args.splits:
            print(f'{split}: {convert_split(args, split)} images -> {args.out}')
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')


if __name__ == '__main__':
    main()
