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

Protocols (``--protocol``; ``--size``, ``--overlap``, ``--ignore-background`` override a
preset):

* ``mmseg`` (default): 896 px patches, overlap 384, background kept as class 0 (mmseg's
  converter).
* ``samrs``: the SAMRS fine-tuning protocol (paper appendix A.6): 896 px patches with stride 512
  (the same windows), background set to 255 (only the 15 foreground classes count). The
  ``configs/samrs/finetune/*isaid*`` configs also ignore background on ``mmseg`` output.

Examples:
    python tools/dataset_converters/isaid.py data/iSAID_raw data/iSAID
    python tools/dataset_converters/isaid.py data/iSAID_raw data/iSAID_samrs --protocol samrs

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
from mmrsfm.datatools.conversion.isaid import ISAID_PROTOCOLS, ignore_background


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line arguments, a ``--protocol`` preset filling the options not given.

    Args:
        argv (List[str], optional): Arguments; None reads ``sys.argv[1:]``. Defaults to None.

    Returns:
        argparse.Namespace: The parsed arguments, every preset option set.
    """
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='iSAID release folder holding train/ and val/')
    parser.add_argument('out', help='output root, e.g. data/iSAID')
    parser.add_argument('--splits', nargs='+', default=['train', 'val'])
    parser.add_argument('--protocol', choices=sorted(ISAID_PROTOCOLS), default='mmseg',
                        help='preset of --size, --overlap and --ignore-background '
                             '(default: mmseg)')
    parser.add_argument('--size', type=int, help='patch side (px); mmseg and samrs: 896')
    parser.add_argument('--overlap', type=int,
                        help='overlap of patches (px); mmseg and samrs: 384 (stride 512)')
    parser.add_argument('--ignore-background', action=argparse.BooleanOptionalAction,
                        default=None, help='write background as 255 (ignored); samrs: on')
    args = parser.parse_args(argv)
    for key, value in ISAID_PROTOCOLS[args.protocol].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def convert_split(args: argparse.Namespace, split: str) -> int:
    """Write the patches of one split.

    Args:
        args (argparse.Namespace): Parsed arguments.
        split (str): ``'train'`` or ``'val'``.

    Returns:
        int: Number of images of the split.
    """
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
        if args.ignore_background:
            label = ignore_background(label)

        def paths(box, image_id=image_id):
            img_name, ann_name = isaid_patch_names(image_id, box)
            return (osp.join(args.out, 'img_dir', split, img_name),
                    osp.join(args.out, 'ann_dir', split, ann_name))

        count = write_patches(image, label, args.size, args.size - args.overlap, paths)
        markers.mark(image_id, count)
    return len(images)


def main(argv: Optional[List[str]] = None) -> None:
    """Convert every tile / image; exit with a message naming the file on bad input.

    Args:
        argv (List[str], optional): Arguments; None reads ``sys.argv[1:]``. Defaults to None.
    """
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
