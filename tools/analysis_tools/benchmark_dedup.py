"""Benchmark the OpticalRS-13M curation's de-duplication.

Image mode (default): on one generated image set with exact copies, near copies (JPEG
re-encoding, 90% resize, +5% brightness, 4% crop) and distinct images, time our curation run
(``curate``: scan, decode, pHash, near-duplicate search, outputs) and ``imagededup``'s
``PHash().find_duplicates`` with the same hash size (64 bits) and Hamming threshold, and compare
their duplicate pairs::

    python tools/analysis_tools/benchmark_dedup.py --num-distinct 2000 --workers 2

Synthetic mode: time the near-duplicate search alone on N random 64-bit codes with planted
near duplicates; peak RSS and recall on the planted pairs, and an exactness check of a sample
of queries against faiss brute force::

    python tools/analysis_tools/benchmark_dedup.py --synthetic-hashes 13000000
"""
import argparse
import os.path as osp
import resource
import sys
import tempfile
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pair_set(pairs) -> set:
    return {tuple(sorted(p)) for p in pairs}


def _agreement(ours: set, reference: set) -> dict:
    common = len(ours & reference)
    union = len(ours | reference)
    return dict(precision=common / len(ours) if ours else 1.0,
                recall=common / len(reference) if reference else 1.0,
                jaccard=common / union if union else 1.0)


def run_images(args) -> None:
    import numpy as np
    from imagededup.methods import PHash

    from mmrsfm.datatools.curation import CurationConfig, curate, hamming_pairs
    from mmrsfm.datatools.curation.pipeline import collect_codes
    from mmrsfm.testing.synthetic_images import write_duplicate_set

    if args.hash_size != 8:
        sys.exit('imagededup hashes 64 bits only: use --hash-size 8')
    work = args.work_dir or tempfile.mkdtemp(prefix='benchmark_dedup_')
    folder = osp.join(work, 'src', 'generated')
    names, origin = write_duplicate_set(folder, args.num_distinct, args.num_exact,
                                        args.num_near, args.size, args.seed)
    planted = _pair_set(origin.items())
    num = len(names)
    print(f'{num} images of {args.size} px in {folder}: {args.num_distinct} distinct, '
          f'{args.num_exact} exact and {args.num_near} near copies; '
          f'threshold {args.threshold} bits, 64-bit pHash, {args.workers} worker(s)')

    ours_s, ref_s = [], []
    for _ in range(args.repeat):  # alternate the two, so machine load hits both alike
        cfg = CurationConfig(osp.join(work, 'src'), osp.join(work, f'out_{time.time_ns()}'),
                             workers=args.workers, threshold=args.threshold, hash_size=8,
                             chunk_size=max(1, num // (4 * max(args.workers, 1))),
                             progress=False)
        start = time.perf_counter()
        curate(cfg)
        ours_s.append(time.perf_counter() - start)
        workers = args.workers if args.workers > 1 else 0
        start = time.perf_counter()
        found = PHash(verbose=False).find_duplicates(
            image_dir=folder, max_distance_threshold=args.threshold,
            num_enc_workers=workers, num_dist_workers=workers)
        ref_s.append(time.perf_counter() - start)
    entries, codes = collect_codes(cfg)
    pairs, _ = hamming_pairs(codes, args.threshold)
    ours = _pair_set((osp.basename(entries[i]), osp.basename(entries[j])) for i, j in pairs)
    reference = _pair_set((a, b) for a, dups in found.items() for b in dups)
    if args.repeat > 1:
        print('trials (s): ours ' + ' '.join(f'{t:.2f}' for t in ours_s) + '; imagededup ' +
              ' '.join(f'{t:.2f}' for t in ref_s) + ' (medians below)')
    ours_s, ref_s = float(np.median(ours_s)), float(np.median(ref_s))

    print(f'ours (curate, whole run): {ours_s:.2f} s, {num / ours_s:.1f} images/s')
    print(f'imagededup PHash.find_duplicates: {ref_s:.2f} s, {num / ref_s:.1f} images/s')
    print(f'throughput ratio ours / imagededup: {ref_s / ours_s:.2f}')
    agree = _agreement(ours, reference)
    print(f"duplicate pairs: ours {len(ours)}, imagededup {len(reference)}; ours vs imagededup: "
          f"precision {agree['precision']:.3f}, recall {agree['recall']:.3f}, "
          f"Jaccard {agree['jaccard']:.3f}")
    for name, found_pairs in (('ours', ours), ('imagededup', reference)):
        extra = len(found_pairs - planted)
        print(f'{name}: recall of the {len(planted)} planted pairs '
              f'{len(found_pairs & planted) / max(len(planted), 1):.3f}, '
              f'{extra} other pairs')


def run_synthetic(args) -> None:
    import faiss
    import numpy as np

    from mmrsfm.datatools.curation import hamming_pairs
    from mmrsfm.datatools.curation.near_duplicates import plan_chunks

    num, rng = args.synthetic_hashes, np.random.default_rng(args.seed)
    codes = rng.integers(0, 256, (num, 8), dtype=np.uint8)
    planted_num = max(1, min(args.planted or num // 1000, num // 2))
    ids = rng.permutation(num)[:2 * planted_num].reshape(2, -1)
    for k, (a, b) in enumerate(zip(*ids)):
        bits = rng.choice(64, k % (args.threshold + 1), replace=False)
        flips = np.packbits(np.isin(np.arange(64), bits))
        codes[b] = codes[a] ^ flips
    planted = {tuple(sorted((int(a), int(b)))) for a, b in zip(*ids)}
    base_rss = _peak_rss_mib()
    widths, flips = plan_chunks(num, 1, args.threshold)
    print(f'{num} random 64-bit codes ({codes.nbytes / 2**20:.0f} MiB), {len(planted)} planted '
          f'pairs at 0-{args.threshold} bits; multi-index hashing with chunks {widths}, '
          f'{flips} flip(s) per chunk')
    start, cpu = time.perf_counter(), time.process_time()
    pairs, _ = hamming_pairs(codes, args.threshold, method=args.method)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    found = set(map(tuple, pairs.tolist()))
    print(f'search ({args.method}): {seconds:.1f} s wall, {cpu:.1f} s CPU, '
          f'{num / seconds:,.0f} codes/s; '
          f'peak RSS {_peak_rss_mib():.0f} MiB (codes and set-up before the search: '
          f'{base_rss:.0f} MiB)')
    print(f'pairs found: {len(found)}; planted pairs recalled: '
          f'{len(found & planted) / len(planted):.4f}; other pairs: {len(found - planted)}')
    if args.compare_faiss_multihash:
        # the same pigeonhole plan with faiss: 3 tables of 21 bits, floor(r / 3) flips
        index = faiss.IndexBinaryMultiHash(64, 3, 21)
        index.nflip = args.threshold // 3
        start, cpu = time.perf_counter(), time.process_time()
        index.add(codes)
        lims, _, nbrs = index.range_search(codes, args.threshold + 1)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        qi = np.repeat(np.arange(num), np.diff(lims.astype(np.int64)))
        keep = qi < nbrs
        same = set(zip(qi[keep].tolist(), nbrs[keep].astype(np.int64).tolist())) == found
        print(f'faiss IndexBinaryMultiHash (3 x 21 bits, nflip {index.nflip}, '
              f'{faiss.omp_get_max_threads()} thread(s)): {seconds:.1f} s wall, {cpu:.1f} s '
              f'CPU; same pairs: {same}')
    if args.verify_queries:
        # half of the queries are planted codes, so that the check meets real pairs
        half = min(args.verify_queries // 2, planted_num)
        queries = np.unique(np.concatenate([rng.choice(ids[0], half, replace=False),
                                            rng.choice(num, args.verify_queries - half)]))
        index = faiss.IndexBinaryFlat(64)
        index.add(codes)
        start = time.perf_counter()
        lims, _, nbrs = index.range_search(codes[queries], args.threshold + 1)
        lims, nbrs = lims.astype(np.int64), nbrs.astype(np.int64)
        expected = {tuple(sorted((int(q), int(n))))
                    for k, q in enumerate(queries) for n in nbrs[lims[k]:lims[k + 1]] if n != q}
        qset = set(queries.tolist())
        ours = {p for p in found if p[0] in qset or p[1] in qset}
        print(f'exactness check on {len(queries)} random queries against faiss '
              f'IndexBinaryFlat ({time.perf_counter() - start:.1f} s): '
              f'{len(expected)} pairs expected, {len(ours & expected)} found, '
              f'{len(ours - expected)} extra')


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--num-distinct', type=int, default=2000)
    parser.add_argument('--num-exact', type=int, default=200)
    parser.add_argument('--num-near', type=int, default=300)
    parser.add_argument('--size', type=int, default=128, help='image side (pixels)')
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--hash-size', type=int, default=8)
    parser.add_argument('--threshold', type=int, default=4, help='Hamming bits, inclusive')
    parser.add_argument('--repeat', type=int, default=1,
                        help='timed runs of each tool (median reported)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--work-dir', help='where the generated images go (default: a temp dir)')
    parser.add_argument('--synthetic-hashes', type=int, default=0,
                        help='N > 0: time the search alone on N random 64-bit codes')
    parser.add_argument('--planted', type=int, default=0, help='planted pairs (default N/1000)')
    parser.add_argument('--method', choices=['auto', 'flat', 'mih'], default='mih')
    parser.add_argument('--compare-faiss-multihash', action='store_true',
                        help='also time faiss IndexBinaryMultiHash on the same codes')
    parser.add_argument('--verify-queries', type=int, default=200,
                        help='queries checked against faiss brute force (0: none)')
    args = parser.parse_args(argv)
    if args.synthetic_hashes > 0:
        run_synthetic(args)
    else:
        run_images(args)


if __name__ == '__main__':
    main()
