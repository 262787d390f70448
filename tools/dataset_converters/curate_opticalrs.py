"""Curate an OpticalRS-13M-style collection: keep visible RGB, slice large images, drop images
with a side outside [min-side, max-side], de-duplicate by perceptual hash, write the index file
that ``OpticalRS13M`` reads.

    python tools/dataset_converters/curate_opticalrs.py --src data/rs_sources \
        --out data/OpticalRS-13M --workers 8

``--src`` holds one sub-folder per source dataset and is only read. Under ``--out``: the crops
(``slices/``), ``index.txt`` (paths relative to ``--out``; use ``data_root=<out>,
index_file='index.txt'``), ``quarantine.csv``, ``duplicates.json``, ``summary.json`` and the
resumable state ``.curation_state/``. Rerun the same command to resume an interrupted run; a
finished run reruns in seconds and writes identical files.

Nothing is created when ``--src`` is not a folder of source-dataset folders. An ``--out`` that
holds an earlier run with other slicing parameters (e.g. another ``--slice-size``) is refused,
since its crops would stay in ``slices/`` next to the new ones: use a new ``--out``, or add
``--clean`` to delete, once the run is done, every crop it does not produce and the earlier
state. Pool workers stop with this process, even when it is killed with SIGKILL.

After the manual review of ``duplicates.json``, apply its decisions (keep / remove /
not-duplicates / split per group; format in docs/opticalrs_curation.md) with the same command
plus ``--review decisions.json``: ``index.txt`` is rebuilt from the finished run's shards without
decoding or hashing anything, and ``review_applied.json`` records each group's outcome. A
malformed or stale decisions file is refused naming the group, and nothing is written.
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line.

    Args:
        argv (list[str] | None): Arguments; ``sys.argv[1:]`` when None. Defaults to None.

    Returns:
        argparse.Namespace: The parsed options.
    """
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--src', required=True, help='folder of source-dataset folders')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--workers', type=int, default=1, help='processes (1 = no pool)')
    parser.add_argument('--min-side', type=int, default=64, help='pixels')
    parser.add_argument('--max-side', type=int, default=1024, help='pixels')
    parser.add_argument('--slice-threshold', type=int, default=1024,
                        help='slice images with a side above this (pixels); 0 = never slice')
    parser.add_argument('--slice-size', type=int, default=512, help='crop side (pixels)')
    parser.add_argument('--slice-format', choices=['png', 'jpg'], default='png')
    parser.add_argument('--hash-size', type=int, default=8,
                        help='pHash side: hash-size**2 bits')
    parser.add_argument('--threshold', type=int, default=4,
                        help='largest Hamming distance (bits) of near duplicates')
    parser.add_argument('--search', choices=['auto', 'flat', 'mih'], default='auto',
                        help='near-duplicate search: faiss brute force or multi-index hashing')
    parser.add_argument('--seed', type=int, default=0, help='slicing seed')
    parser.add_argument('--chunk-size', type=int, default=1000, help='files per shard')
    parser.add_argument('--gray-tolerance', type=int, default=2,
                        help='RGB whose channels differ by at most this counts as grey; -1 off')
    parser.add_argument('--clean', action='store_true',
                        help='after the run, delete crops under --out/slices that it does not '
                        'produce (earlier runs with other parameters) and earlier run state')
    parser.add_argument('--review', metavar='DECISIONS_JSON',
                        help='reviewed decisions about the duplicate groups of the finished run '
                        'with these parameters (docs/opticalrs_curation.md): rebuilds index.txt '
                        'from its shards without re-hashing; the file is only read')
    parser.add_argument('--no-progress', action='store_true')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    """Run (or resume) the curation, or apply a review, and print the summary.

    Args:
        argv (list[str] | None): Arguments; ``sys.argv[1:]`` when None. Defaults to None.
    """
    args = parse_args(argv)
    from mmrsfm.datatools.curation import CurationConfig, curate
    cfg = CurationConfig(
        src_root=args.src, out_root=args.out, workers=args.workers, min_side=args.min_side,
        max_side=args.max_side, slice_threshold=args.slice_threshold,
        slice_size=args.slice_size, slice_format=args.slice_format, hash_size=args.hash_size,
        threshold=args.threshold, seed=args.seed, chunk_size=args.chunk_size,
        gray_tolerance=args.gray_tolerance, search=args.search, progress=not args.no_progress,
        clean=args.clean, review=args.review)
    try:
        summary = curate(cfg)
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'curate_opticalrs: {err}')
    run = summary.pop('run')
    print(json.dumps({k: v for k, v in summary.items() if k != 'params'}, indent=1))
    print(f"images in index: {summary['images']} of {summary['candidates']} candidates from "
          f"{summary['source_files']} files ({summary['quarantined']} quarantined, "
          f"{summary['duplicates_removed']} duplicates removed)")
    print(f"shards: {run['shards_computed']} computed, {run['shards_reused']} reused; "
          f"{run['seconds_processing']} s filter/slice/hash, {run['seconds_dedup']} s "
          f"de-duplication, {run['seconds_total']} s in all")
    if args.review:
        review = summary['review']
        applied = ', '.join(f'{n} {d}' for d, n in review['decisions'].items())
        print(f"--review {args.review}: applied {applied}; {review['undecided_groups']} "
              f"undecided group(s) by the default rule; {summary['images']} images kept "
              f"({review['images_default_rule']} by the default rule alone); per group in "
              f"{osp.join(args.out, 'review_applied.json')}")
    if args.clean:
        print(f"--clean: removed {run['stale_files_removed']} crop file(s) this run does not "
              f"produce and {run['earlier_states_removed']} earlier state folder(s)")
    print(f"wrote {osp.join(args.out, 'index.txt')}, quarantine.csv, duplicates.json, "
          'summary.json')


if __name__ == '__main__':
    main()
