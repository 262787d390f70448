"""Write seeded random train/val split files for SAMRS subsets (the authors never released theirs).

For each subset folder ``ROOT`` (``images/`` + ``gray/``), the images that have a label PNG are
shuffled with ``--seed`` and split ``1 - val_ratio`` / ``val_ratio`` (95/5 by default, as in the
paper); ``ROOT/train.txt`` and ``ROOT/val.txt`` list image names without suffix, sorted. The same
seed and folder contents always give the same files. Images without a label are left out and
listed in ``ROOT/missing_labels.txt``; labels without an image are counted.

Examples:
    python tools/dataset_converters/samrs_split.py data/SAMRS/SOTA data/SAMRS/SIOR data/SAMRS/FAST
    python tools/dataset_converters/samrs_split.py data/SAMRS/SIOR --val-ratio 0.1 --seed 1 --force
    # SIOR as pretrained in the paper: only the 11,725 DIOR trainval images (DIOR test is a
    # downstream benchmark; using it in pretraining would leak it)
    cat data/DIOR/ImageSets/Main/train.txt data/DIOR/ImageSets/Main/val.txt > dior_trainval.txt
    python tools/dataset_converters/samrs_split.py data/SAMRS/SIOR --only dior_trainval.txt

Existing split files are never replaced without ``--force``; files are written atomically.
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Tuple

import numpy as np

from mmrsfm.utils.atomic_io import atomic_write_text

IMG_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('roots', nargs='+', help='SAMRS subset folders (e.g. data/SAMRS/SOTA)')
    parser.add_argument('--img-dir', default='images', help='image folder under each root')
    parser.add_argument('--label-dir', default='gray', help='label PNG folder under each root')
    parser.add_argument('--val-ratio', type=float, default=0.05, help='validation fraction')
    parser.add_argument('--seed', type=int, default=0, help='seed of the shuffle')
    parser.add_argument('--train-name', default='train.txt', help='training split file name')
    parser.add_argument('--val-name', default='val.txt', help='validation split file name')
    parser.add_argument('--only', metavar='LIST',
                        help='split only the images named in this file (one name per line, '
                             'suffix optional), e.g. the DIOR trainval ids for SIOR')
    parser.add_argument('--force', action='store_true', help='replace existing split files')
    args = parser.parse_args(argv)
    if not 0.0 <= args.val_ratio < 1.0:
        parser.error(f'--val-ratio must be in [0, 1), got {args.val_ratio}')
    return args


def scan(root: str, img_dir: str, label_dir: str) -> Tuple[List[str], List[str], int, str]:
    """Image names with a label, names without one, labels without an image, image suffix."""
    img_root, label_root = osp.join(root, img_dir), osp.join(root, label_dir)
    for folder in (img_root, label_root):
        if not osp.isdir(folder):
            raise FileNotFoundError(f'{folder}: folder not found (expected {root}/{img_dir}/ '
                                    f'with images and {root}/{label_dir}/ with label PNGs)')
    images: Dict[str, str] = {}
    for name in os.listdir(img_root):
        stem, ext = osp.splitext(name)
        if ext.lower() in IMG_EXTENSIONS:
            images[stem] = ext
    suffixes = sorted(set(images.values()))
    if len(suffixes) > 1:
        raise ValueError(f'{img_root}: images with several suffixes {suffixes}; the SAMRS '
                         'datasets read one img_suffix per subset')
    labels = {osp.splitext(n)[0] for n in os.listdir(label_root) if n.lower().endswith('.png')}
    labelled = sorted(s for s in images if s in labels)
    unlabelled = sorted(s for s in images if s not in labels)
    return labelled, unlabelled, len(labels - set(images)), (suffixes or [''])[0]


def split(names: List[str], val_ratio: float, seed: int) -> Tuple[List[str], List[str]]:
    """Seeded random split of sorted ``names``: ``(train, val)``, each sorted.

    ``round(n * val_ratio)`` names go to val (at least one when ``val_ratio > 0`` and ``n >= 2``,
    and never all of them).
    """
    n = len(names)
    n_val = int(round(n * val_ratio))
    if val_ratio > 0 and n >= 2:
        n_val = min(max(n_val, 1), n - 1)
    order = np.random.default_rng(seed).permutation(n)
    val = sorted(names[i] for i in order[:n_val])
    train = sorted(names[i] for i in order[n_val:])
    return train, val


def read_names(path: str) -> set:
    """Image names (suffix removed) listed one per line in ``path``."""
    with open(path) as f:
        return {osp.splitext(line.strip())[0] for line in f if line.strip()}


def write_lines(path: str, lines: List[str]) -> None:
    atomic_write_text(path, ''.join(f'{line}\n' for line in lines))


def process(root: str, args: argparse.Namespace) -> None:
    outputs = [osp.join(root, args.train_name), osp.join(root, args.val_name)]
    existing = [p for p in outputs if osp.exists(p)]
    if existing and not args.force:
        raise FileExistsError(f'{", ".join(existing)} already exist(s); pass --force to replace')
    labelled, unlabelled, orphans, suffix = scan(root, args.img_dir, args.label_dir)
    if args.only:
        wanted = read_names(args.only)
        absent = sorted(wanted - set(labelled) - set(unlabelled))
        if absent:
            print(f'[samrs_split] {root}: {len(absent)} name(s) of {args.only} have no image '
                  f'(e.g. {absent[0]})')
        labelled = [n for n in labelled if n in wanted]
        unlabelled = [n for n in unlabelled if n in wanted]
    if not labelled:
        raise ValueError(f'{root}: no image in {args.img_dir}/ has a label in {args.label_dir}/')
    train, val = split(labelled, args.val_ratio, args.seed)
    missing_report = osp.join(root, 'missing_labels.txt')
    if unlabelled:
        write_lines(missing_report, unlabelled)
        shown = ', '.join(unlabelled[:5]) + (' ...' if len(unlabelled) > 5 else '')
        print(f'[samrs_split] {root}: {len(unlabelled)} image(s) have no label in '
              f'{args.label_dir}/ and are left out ({shown}); listed in {missing_report}')
    elif osp.exists(missing_report):
        os.remove(missing_report)
    if orphans:
        print(f'[samrs_split] {root}: {orphans} label(s) in {args.label_dir}/ have no image')
    for path, names in zip(outputs, (train, val)):
        write_lines(path, names)
    print(f'[samrs_split] {root}: {len(labelled)} labelled images (suffix {suffix!r}) -> '
          f'{len(train)} train ({outputs[0]}), {len(val)} val ({outputs[1]}), seed {args.seed}')


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    failed = 0
    for root in args.roots:
        try:
            process(root, args)
        except (OSError, ValueError) as err:
            print(f'[samrs_split] error: {err}', file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
