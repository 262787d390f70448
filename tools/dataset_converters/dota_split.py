"""Cut DOTA images into overlapping patches (1,024 px, gap 200 by default; several scales with
``--rates``) with their annotations clipped as the official devkit does. ``--classes`` picks the
class set the labels are checked against: DOTA-v1.0 (default), v1.5, v2.0, or a class file.

Input (the release, unzipped)::

    SRC/train/images/P0000.png   SRC/train/labelTxt/P0000.txt
    SRC/val/images/...           SRC/val/labelTxt/...
    SRC/test/images/...          (no labels)

Output (mmrotate ``DOTADataset`` layout)::

    OUT/{train,val}/images/P0000__1.0__0___0.png + OUT/{train,val}/annfiles/<same>.txt
    OUT/trainval/...   train + val (hard links, copies where links are impossible)
    OUT/test/images/...

Examples:
    python tools/dataset_converters/dota_split.py data/DOTA data/split_ss_dota
    python tools/dataset_converters/dota_split.py data/DOTA data/split_ms_dota \
        --rates 0.5 1.0 1.5 --gap 500
    python tools/dataset_converters/dota_split.py data/DOTA-v2.0 data/split_ss_dota2 \
        --classes v2.0

Re-running skips images already split (per image and rate); every file is written atomically.
A malformed label line stops the run (also with ``--nproc`` > 1) with exit code 1 and the file
and line.
"""
import argparse
import os
import os.path as osp
import shutil
import sys
from functools import partial
from typing import List, Optional, Tuple

from tqdm import tqdm

from mmrsfm.datasets.formats import DOTA_VERSIONS, dota_classes
from mmrsfm.datatools.conversion import split_image_file
from mmrsfm.utils.parallel import starmap_unordered

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp')
PHASE_SOURCES = {'trainval': ('train', 'val'), 'train': ('train', ), 'val': ('val', ),
                 'test': ('test', )}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='DOTA root holding train/ val/ test/')
    parser.add_argument('out', help='output root, e.g. data/split_ss_dota')
    parser.add_argument('--phases', nargs='+', default=['trainval', 'val', 'test'],
                        choices=sorted(PHASE_SOURCES),
                        help='output sets; a phase whose source folder is absent is skipped')
    parser.add_argument('--size', type=int, default=1024, help='patch side (px)')
    parser.add_argument('--gap', type=int, default=200, help='overlap of adjacent patches (px)')
    parser.add_argument('--rates', type=float, nargs='+', default=[1.0],
                        help='image scales, e.g. 0.5 1.0 1.5 for multi-scale')
    parser.add_argument('--iof-thr', type=float, default=0.7,
                        help='objects with at most this fraction of their area inside a patch '
                        'get difficulty 2')
    parser.add_argument('--ann-subdir', default='labelTxt',
                        help='annotation folder name inside each source split')
    parser.add_argument('--classes', default='v1.0',
                        help=f'class set of the labels: {", ".join(DOTA_VERSIONS)} (DOTA '
                        'versions) or a text file with one class name per line; a label of '
                        'another class stops the run with its file and line (default: v1.0)')
    parser.add_argument('--nproc', type=int, default=1, help='worker processes')
    return parser.parse_args(argv)


def list_jobs(src_split: str, ann_subdir: str,
              labelled: bool) -> List[Tuple[str, Optional[str]]]:
    img_dir = osp.join(src_split, 'images')
    if not osp.isdir(img_dir):
        raise FileNotFoundError(f'{img_dir}: image folder not found')
    jobs = []
    for name in sorted(os.listdir(img_dir)):
        if not name.lower().endswith(IMAGE_SUFFIXES):
            continue
        ann = None
        if labelled:
            ann = osp.join(src_split, ann_subdir, osp.splitext(name)[0] + '.txt')
            if not osp.isfile(ann):
                raise FileNotFoundError(f'{ann}: annotation of image {osp.join(img_dir, name)} '
                                        'not found')
        jobs.append((osp.join(img_dir, name), ann))
    if not jobs:
        raise FileNotFoundError(f'{img_dir}: no images ({", ".join(IMAGE_SUFFIXES)})')
    return jobs


def split_source(src: str, out: str, source: str, args: argparse.Namespace,
                 classes: Tuple[str, ...]) -> int:
    labelled = osp.isdir(osp.join(src, source, args.ann_subdir))
    jobs = list_jobs(osp.join(src, source), args.ann_subdir, labelled)
    worker = partial(split_image_file, out_dir=osp.join(out, source), rates=args.rates,
                     size=args.size, gap=args.gap, iof_thr=args.iof_thr, classes=classes)
    written = 0
    # Worker errors (a malformed label: file:line) are raised here; the pool stops.
    with tqdm(total=len(jobs), desc=f'split {source}', unit='img') as bar:
        for count in starmap_unordered(worker, jobs, args.nproc):
            written += count
            bar.update()
    return written


def link_tree(src_dir: str, dst_dir: str) -> None:
    """Hard-link (or copy) every file of ``src_dir`` into ``dst_dir``, skipping existing."""
    for root, _, files in os.walk(src_dir):
        rel = osp.relpath(root, src_dir)
        if rel.split(os.sep)[0] == '.done':
            continue
        os.makedirs(osp.join(dst_dir, rel), exist_ok=True)
        for name in files:
            dst = osp.join(dst_dir, rel, name)
            if osp.exists(dst):
                continue
            try:
                os.link(osp.join(root, name), dst)
            except OSError:
                shutil.copy2(osp.join(root, name), dst)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    needed = []
    for phase in args.phases:
        present = [s for s in PHASE_SOURCES[phase] if osp.isdir(osp.join(args.src, s))]
        if len(present) < len(PHASE_SOURCES[phase]):
            print(f'skip {phase}: {osp.join(args.src, PHASE_SOURCES[phase][0])} not found')
            continue
        needed += [s for s in present if s not in needed]
    if not needed:
        sys.exit(f'error: none of {args.phases} has its source folders under {args.src}')
    try:
        classes = dota_classes(args.classes)
        for source in needed:
            count = split_source(args.src, args.out, source, args, classes)
            print(f'{source}: {count} new patches in {osp.join(args.out, source)}')
    except (FileNotFoundError, ValueError) as err:
        hint = ''
        if 'unknown class' in str(err):
            hint = (f'\n(--classes {args.classes} allows {len(classes)} classes; '
                    f'DOTA-v1.5 / v2.0 labels need --classes v1.5 / v2.0, other sets a class '
                    'file)')
        sys.exit(f'error: {err}{hint}')
    if 'trainval' in args.phases and all(s in needed for s in PHASE_SOURCES['trainval']):
        for source in PHASE_SOURCES['trainval']:
            link_tree(osp.join(args.out, source), osp.join(args.out, 'trainval'))
        print(f'trainval: train + val linked into {osp.join(args.out, "trainval")}')


if __name__ == '__main__':
    main()
