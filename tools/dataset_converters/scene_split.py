"""Write seeded, stratified train/test split files of a scene-classification folder (AID,
NWPU-RESISC45) for each training ratio, in mmpretrain CustomDataset format
(``<relative path> <label>`` per line, labels = sorted class folders).

Input: ``ROOT/<Class>/<image>``. Output: ``ROOT/splits/tr<percent>_seed<seed>/{train,test}.txt``
and ``classes.txt`` (used by ``configs/_base_/datasets/{aid,resisc45}_tr*.py``).

Examples:
    python tools/dataset_converters/scene_split.py data/AID --ratios 20 50
    python tools/dataset_converters/scene_split.py data/NWPU-RESISC45 --ratios 10 20

A split whose folder is complete is skipped (``--overwrite`` to redo it); files are written
atomically.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from tqdm import tqdm

from mmrsfm.datatools.conversion import (atomic_write_text, scan_scene_folder, split_dir_name,
                                         stratified_split)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('root', help='dataset root with one folder per class')
    parser.add_argument('--ratios', type=float, nargs='+', required=True,
                        help='training ratios in percent, e.g. 20 50')
    parser.add_argument('--seed', type=int, default=0, help='seed of the per-class shuffle')
    parser.add_argument('--out-dir', help='folder of the split folders (default ROOT/splits)')
    parser.add_argument('--overwrite', action='store_true', help='redo existing splits')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    out_root = args.out_dir or osp.join(args.root, 'splits')
    try:
        classes, files = scan_scene_folder(args.root)
        for percent in tqdm(args.ratios, desc='splits', unit='ratio'):
            folder = osp.join(out_root, split_dir_name(percent, args.seed))
            outputs = [osp.join(folder, n) for n in ('train.txt', 'test.txt', 'classes.txt')]
            if all(osp.isfile(p) for p in outputs) and not args.overwrite:
                print(f'TR {percent:g}%: {folder} exists, skipped')
                continue
            train, test = stratified_split(files, classes, percent / 100, args.seed)
            for path, lines in zip(outputs, (train, test, classes)):
                atomic_write_text(path, ''.join(line + '\n' for line in lines))
            print(f'TR {percent:g}%: {len(train)} train / {len(test)} test images, '
                  f'{len(classes)} classes -> {folder}')
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')


if __name__ == '__main__':
    main()
