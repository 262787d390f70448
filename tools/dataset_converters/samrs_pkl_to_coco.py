"""Convert the SAMRS authors' per-image instance pickles (``ins/*.pkl``) to one COCO JSON.

The result loads with mmdet's ``CocoDataset`` (instance segmentation and detection), see
``configs/samrs/instances/``. Example (SIOR, the 95 % training split)::

    python tools/dataset_converters/samrs_pkl_to_coco.py data/SAMRS/SIOR/ins \
        --classes sior --images data/SAMRS/SIOR/JPEGImages --split data/SAMRS/SIOR/train.txt \
        --out data/SAMRS/SIOR/instances_train.json

Pickle layout: see ``mmrsfm/datatools/sam_labels/authors_pickle.py`` (and
docs/samrs_label_generation.md). Only numpy arrays and builtins are unpickled unless
``--unsafe-load`` is given for files you trust.
"""
import argparse
import glob
import os.path as osp
import sys

from mmrsfm.datatools.sam_labels import ClassMapper
from mmrsfm.datatools.sam_labels.authors_pickle import pickles_to_coco
from mmrsfm.datatools.sam_labels.coco import read_image_list
from mmrsfm.utils import atomic_write_json


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('ins_dir', help='folder of per-image .pkl files')
    parser.add_argument('--classes', required=True,
                        help='sota, sior, fast, or a class-map JSON (class order of the labels)')
    parser.add_argument('--out', required=True, help='COCO JSON to write')
    parser.add_argument('--images', help='image folder (file names, sizes of empty images)')
    parser.add_argument('--img-suffix', default='.png',
                        help='image extension when --images is not given or has no match')
    parser.add_argument('--bbox-format', default='xyxy', choices=('xyxy', 'xywh'),
                        help="layout of the pickles' bbox (the authors wrote xyxy)")
    parser.add_argument('--split', help='only the images listed in this file (one id per line)')
    parser.add_argument('--skip-bad', action='store_true',
                        help='write the JSON without unreadable pickles instead of failing')
    parser.add_argument('--unsafe-load', action='store_true',
                        help='unpickle anything (only for files you trust)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    paths = sorted(glob.glob(osp.join(args.ins_dir, '*.pkl')))
    if not paths:
        raise FileNotFoundError(f'no .pkl files in {args.ins_dir}')
    if args.split:
        keep = set(read_image_list(args.split))
        paths = [p for p in paths if osp.splitext(osp.basename(p))[0] in keep]
        missing = len(keep) - len(paths)
        if missing:
            print(f'warning: {missing} image(s) of {args.split} have no pickle in {args.ins_dir}')
    coco, errors = pickles_to_coco(paths, ClassMapper.from_spec(args.classes), args.images,
                                   args.img_suffix, args.bbox_format, args.unsafe_load)
    for error in errors:
        print(f'error: {error}', file=sys.stderr)
    if errors and not args.skip_bad:
        print(f'{len(errors)} of {len(paths)} pickles could not be converted; nothing written '
              f'(fix them or pass --skip-bad)', file=sys.stderr)
        return 1
    atomic_write_json(args.out, coco)
    print(f'{len(coco["images"])} images, {len(coco["annotations"])} instances -> {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
