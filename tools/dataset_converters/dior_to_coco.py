"""Convert DIOR horizontal-box VOC XML annotations to COCO JSON (categories 1..20 in DIOR class
order; ``file_name`` relative to the DIOR root).

Input: the DIOR release (``JPEGImages-trainval/``, ``JPEGImages-test/``,
``Annotations/Horizontal Bounding Boxes/*.xml``, ``ImageSets/Main/{train,val,test}.txt``).
Output: ``OUT/<split>.json`` per split (``trainval`` = train + val).

Example:
    python tools/dataset_converters/dior_to_coco.py data/DIOR \
        --splits trainval test --out-dir data/DIOR/coco

A split whose JSON exists is skipped (``--overwrite`` to redo it); files are written atomically.
Every image the splits list is checked first: a missing one stops the tool, naming the files,
before any JSON is written.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from mmrsfm.datatools.conversion import atomic_write_json, dior_to_coco, split_image_ids
from mmrsfm.datatools.conversion.dior_coco import check_images_exist


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('dior_root', help='DIOR root folder')
    parser.add_argument('--splits', nargs='+', default=['trainval', 'test'],
                        help='ImageSets/Main split names (trainval = train + val)')
    parser.add_argument('--out-dir', help='output folder (default: DIOR_ROOT/coco)')
    parser.add_argument('--overwrite', action='store_true', help='redo existing JSON files')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    out_dir = args.out_dir or osp.join(args.dior_root, 'coco')
    try:
        todo = []
        for split in args.splits:
            out = osp.join(out_dir, f'{split}.json')
            if osp.isfile(out) and not args.overwrite:
                print(f'{split}: {out} exists, skipped')
                continue
            ids, img_subdir = split_image_ids(args.dior_root, split)
            check_images_exist(args.dior_root, ids, img_subdir)
            todo.append((split, out, ids, img_subdir))
        for split, out, ids, img_subdir in todo:
            coco, warnings = dior_to_coco(args.dior_root, ids, img_subdir, progress=True)
            for message in warnings:
                print(f'warning: {message}', file=sys.stderr)
            atomic_write_json(out, coco)
            print(f'{split}: {len(coco["images"])} images, {len(coco["annotations"])} boxes '
                  f'-> {out}')
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')


if __name__ == '__main__':
    main()
