"""Write seeded, nested random subsets of an OpticalRS-13M index (the paper's data-scaling study).

    python tools/dataset_converters/opticalrs_subsets.py data/OpticalRS-13M/index.txt \
        --sizes 1M 2M 3M 4M 8M --seed 0

Sizes are counts (``1000000``, ``2M``, ``500k``) or fractions of the index (``0.25``). All
subsets of one seed are prefixes of one seeded permutation, so the 1M subset lies inside the 2M
one, and so on. Each subset is written atomically to ``<out-dir>/<stem>-<count>-seed<seed>.txt``
(``--out-dir`` defaults to ``subsets/`` next to the index), entries in the index's order and
text; the index itself is only read. Train on one with the index's ``data_root``, e.g.
``--cfg-options train_dataloader.dataset.index_file=subsets/index-1000000-seed0.txt``.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line.

    Args:
        argv (list[str], optional): Arguments. Defaults to None (``sys.argv[1:]``).

    Returns:
        argparse.Namespace: ``index``, ``sizes``, ``seed`` and ``out_dir``.
    """
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('index', help='input index.txt (one image path per line; only read)')
    parser.add_argument('--sizes', nargs='+', required=True,
                        help='subset sizes: counts (1000000, 2M, 500k) or fractions (0.25)')
    parser.add_argument('--seed', type=int, default=0, help='permutation seed')
    parser.add_argument('--out-dir', default=None,
                        help='output folder (default: subsets/ next to the index)')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    """Write the subsets and print one line per file; exit with the error on bad input.

    Args:
        argv (list[str], optional): Arguments. Defaults to None (``sys.argv[1:]``).
    """
    args = parse_args(argv)
    from mmrsfm.datatools.subsets import write_nested_subsets
    try:
        written = write_nested_subsets(args.index, args.sizes, seed=args.seed,
                                       out_dir=args.out_dir)
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'opticalrs_subsets: {err}')
    for count, path in written.items():
        print(f'{count} images -> {path}')


if __name__ == '__main__':
    main()
