"""Cut DOTA-v1.0 objects into DOTA-LT crops for long-tailed classification (debLoRA).

Input (the release, unzipped; the ``test`` folder is not used)::

    SRC/train/images/P0000.png   SRC/train/labelTxt/P0000.txt
    SRC/val/images/...           SRC/val/labelTxt/...

Output (what ``configs/deblora/_base_/dota-lt_crops.py`` reads, ``data_root='data/dota_lt/'``)::

    OUT/{train,val,test}/<class>/<image id>_L<line>.png
    OUT/dota_lt_stats.json     settings, per-class counts per split, groups, imbalance ratios

``test`` is DOTA val; ``val`` is a seeded per-class hold-out (``--val-fraction``) of DOTA train.
Crop rule (``mmrsfm/datatools/conversion/dota_lt.py``): the object's horizontal box clipped to
the image, ``--margin`` x its width / height added on each side, sides grown to at least
``--min-size`` px, clipped (or shifted) to stay inside the image; difficult objects kept unless
``--difficult skip``.

Examples:
    python tools/dataset_converters/dota_lt.py data/DOTA data/dota_lt
    python tools/dataset_converters/dota_lt.py data/DOTA data/dota_lt --nproc 2 \
        --val-fraction 0.1 --seed 0 --margin 0.1 --min-size 32

Re-running skips crops already written (each is written atomically) and refuses an output
folder made with other settings. A malformed label line or a class outside DOTA-v1.0 stops the
run with exit code 1 and ``FILE:LINE``.
"""
import argparse
import json
import os.path as osp
import sys
from collections import defaultdict
from typing import List, Optional

from tqdm import tqdm

from mmrsfm.datatools.conversion import atomic_write_json
from mmrsfm.datatools.conversion.dota_lt import (DIFFICULT_MODES, DOTA_LT_CLASSES, STATS_FILE,
                                                 dota_lt_stats, make_split_folders, plan_dota_lt,
                                                 write_image_crops)
from mmrsfm.utils.parallel import starmap_unordered


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line.

    Args:
        argv (List[str], optional): Arguments; None reads ``sys.argv``. Defaults to None.

    Returns:
        argparse.Namespace: The options.
    """
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', help='DOTA-v1.0 root holding train/ and val/')
    parser.add_argument('out', help='output root, e.g. data/dota_lt')
    parser.add_argument('--val-fraction', type=float, default=0.1,
                        help='share of each class of DOTA train held out as val')
    parser.add_argument('--seed', type=int, default=0, help='seed of the val hold-out')
    parser.add_argument('--margin', type=float, default=0.1,
                        help='context on each side, fraction of the box width / height')
    parser.add_argument('--min-size', type=int, default=32, help='minimum crop side (px)')
    parser.add_argument('--difficult', choices=DIFFICULT_MODES, default='keep',
                        help='keep or skip objects flagged difficult')
    parser.add_argument('--ann-subdir', default='labelTxt',
                        help='annotation folder name inside train/ and val/')
    parser.add_argument('--nproc', type=int, default=1, help='worker processes')
    return parser.parse_args(argv)


def check_settings(path: str, settings: dict) -> None:
    """Refuse an output folder whose stats file records other crop / split settings.

    Args:
        path (str): The stats file of the output folder (absent for a new folder).
        settings (dict): This run's settings.

    Raises:
        ValueError: Naming ``path`` if it is unreadable or records other settings.
    """
    if not osp.isfile(path):
        return
    with open(path) as f:
        try:
            old = json.load(f).get('settings')
        except (ValueError, AttributeError):
            raise ValueError(f'{path}: not a DOTA-LT stats file (unreadable JSON)') from None
    if old != settings:
        raise ValueError(f'{path}: the crops there were made with {old}, not {settings}; '
                         'use another output folder or delete this one')


def _read_json(path: str):
    with open(path) as f:
        return json.load(f)


def print_stats(stats: dict) -> None:
    """Print the per-class table (group, crops per split, ``IR_c``) and the imbalance ratio.

    Args:
        stats (dict): What :func:`dota_lt_stats` returns.
    """
    splits = list(stats['counts'])
    print(f'{"class":<20}{"group":<8}' + ''.join(f'{s:>8}' for s in splits) + f'{"IR_c":>8}')
    group_of = {c: g for g, names in stats['groups'].items() for c in names}
    for name in stats['classes']:
        ir = stats['class_imbalance_ratio'][name]
        print(f'{name:<20}{group_of[name]:<8}'
              + ''.join(f'{stats["counts"][s][name]:>8}' for s in splits)
              + (f'{ir:>8.1f}' if ir is not None else f'{"-":>8}'))
    print(f'{"total":<28}' + ''.join(f'{stats["totals"][s]:>8}' for s in splits))
    ratio = stats['imbalance_ratio']
    print('imbalance ratio (train, max / min count): '
          + (f'{ratio:.2f}' if ratio is not None else 'n/a (no training crops)'))
    if stats['missing_train']:
        print(f'classes without training crops: {", ".join(stats["missing_train"])}')


def main(argv: Optional[List[str]] = None) -> None:
    """Plan, write and report the DOTA-LT crops; exit with an error naming file:line.

    Args:
        argv (List[str], optional): Arguments; None reads ``sys.argv``. Defaults to None.
    """
    args = parse_args(argv)
    settings = dict(val_fraction=args.val_fraction, seed=args.seed, margin=args.margin,
                    min_size=args.min_size, difficult=args.difficult)
    stats_path = osp.join(args.out, STATS_FILE)
    try:
        check_settings(stats_path, settings)
        items, skipped = plan_dota_lt(args.src, ann_subdir=args.ann_subdir, **settings)
        make_split_folders(args.out)
        by_image = defaultdict(list)
        for it in items:
            by_image[it.image].append((osp.join(args.out, it.rel_path), it.box))
        written = 0
        with tqdm(total=len(by_image), desc='crop', unit='img') as bar:
            for count in starmap_unordered(write_image_crops, list(by_image.items()),
                                           args.nproc):
                written += count
                bar.update()
        stats = dota_lt_stats(items)
        stats.update(settings=settings, skipped=skipped, source=osp.abspath(args.src))
        if not osp.isfile(stats_path) or _read_json(stats_path) != stats:
            atomic_write_json(stats_path, stats, indent=1)
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')
    print_stats(stats)
    print(f'left out: {skipped["difficult"]} difficult, {skipped["outside"]} outside the image')
    print(f'{written} new crops ({len(items)} in all, {len(DOTA_LT_CLASSES)} classes) in '
          f'{args.out}; stats in {stats_path}')


if __name__ == '__main__':
    main()
