"""Write seeded small-sample training subsets (e.g. 1 / 3 / 5 %) of a segmentation dataset as
mmseg ``ann_file`` lists, for the SAMRS small-sample fine-tuning (paper Sec. 4.3, Tables 5-6).

The subsets are nested (1 % inside 3 % inside 5 %): one seeded permutation of the training
patches, each fraction its first ``round-half-up(f * N)`` names (at least one). Each line is an
image name without suffix, relative to the dataset's training image folder. Every image must
have its label (``--ann-dir`` / ``--seg-map-suffix``), else the tool stops naming the file.

Examples:
    # Potsdam (SAMRS protocol patches): data/potsdam_samrs/splits/train_{1,3,5}pct.txt
    python tools/dataset_converters/seg_small_sample_split.py data/potsdam_samrs --seed 0
    # iSAID: labels are <name>_instance_color_RGB.png
    python tools/dataset_converters/seg_small_sample_split.py data/iSAID --seed 0 \\
        --seg-map-suffix _instance_color_RGB.png
    # then fine-tune on 1 %:
    #   --cfg-options train_dataloader.dataset.ann_file=splits/train_1pct.txt

Existing split files are never replaced without ``--force``; files are written atomically.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

from mmrsfm.datatools.conversion.seg_small_sample import (list_samples, small_sample_subsets,
                                                          split_file_name)
from mmrsfm.utils.atomic_io import atomic_write_text


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Command-line arguments.

    Args:
        argv (List[str], optional): Arguments; None reads ``sys.argv[1:]``. Defaults to None.

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('data_root', help='dataset root, e.g. data/potsdam_samrs')
    parser.add_argument('--img-dir', default='img_dir/train',
                        help='training images, relative to data_root')
    parser.add_argument('--ann-dir', default='ann_dir/train',
                        help='training labels, relative to data_root')
    parser.add_argument('--img-suffix', default='.png')
    parser.add_argument('--seg-map-suffix', default='.png')
    parser.add_argument('--percents', type=float, nargs='+', default=[1, 3, 5],
                        help='subset sizes in percent of the training images')
    parser.add_argument('--seed', type=int, default=0, help='seed of the permutation')
    parser.add_argument('--out-dir', default='splits',
                        help='folder of the split files, relative to data_root')
    parser.add_argument('--force', action='store_true', help='replace existing split files')
    args = parser.parse_args(argv)
    bad = [p for p in args.percents if not 0 < p <= 100]
    if bad:
        parser.error(f'--percents must be in (0, 100], got {bad}')
    return args


def main(argv: Optional[List[str]] = None) -> None:
    """Write the split files; exit with a message naming the file on bad input.

    Args:
        argv (List[str], optional): Arguments; None reads ``sys.argv[1:]``. Defaults to None.
    """
    args = parse_args(argv)
    try:
        img_dir = osp.join(args.data_root, args.img_dir)
        ann_dir = osp.join(args.data_root, args.ann_dir)
        names = list_samples(img_dir, args.img_suffix)
        for name in names:
            label = osp.join(ann_dir, name + args.seg_map_suffix)
            if not osp.isfile(label):
                raise FileNotFoundError(f'{osp.join(img_dir, name + args.img_suffix)}: '
                                        f'its label {label} does not exist')
        out_dir = osp.join(args.data_root, args.out_dir)
        fractions = [p / 100 for p in args.percents]
        paths = {f: osp.join(out_dir, split_file_name(f)) for f in fractions}
        existing = [p for p in paths.values() if osp.exists(p)]
        if existing and not args.force:
            raise FileExistsError(f'{existing[0]} exists; pass --force to replace it')
        for fraction, subset in small_sample_subsets(names, fractions, args.seed).items():
            atomic_write_text(paths[fraction], ''.join(n + '\n' for n in subset))
            print(f'{paths[fraction]}: {len(subset)} of {len(names)} images')
    except (FileNotFoundError, FileExistsError, ValueError) as err:
        sys.exit(f'error: {err}')


if __name__ == '__main__':
    main()
