"""Time and peak memory of debLoRA's feature clustering (MiniBatchKMeans + minimum-size rule +
de-biased centres) on synthetic features, to check it scales to a million features on a CPU.

    python tools/analysis_tools/benchmark_clustering.py --num 1000000 --dim 768 --clusters 32
"""
import argparse
import os.path as osp
import resource
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--num', type=int, default=1_000_000)
    parser.add_argument('--dim', type=int, default=768)
    parser.add_argument('--clusters', type=int, default=32)
    parser.add_argument('--classes', type=int, default=15)
    parser.add_argument('--rho', type=float, default=2.0)
    args = parser.parse_args()

    import numpy as np

    from mmrsfm.models.peft.calibration import cluster_features, debias

    rng = np.random.default_rng(0)
    # Long-tailed labels (imbalance ratio 100) and class-dependent Gaussian features.
    weights = 100.0**(-np.arange(args.classes) / (args.classes - 1))
    labels = rng.choice(args.classes, size=args.num, p=weights / weights.sum())
    means = rng.standard_normal((args.classes, args.dim), dtype=np.float32) * 2
    feats = np.empty((args.num, args.dim), dtype=np.float32)
    for i in range(0, args.num, 65536):  # chunked, so the peak RSS below is the clustering's
        j = min(i + 65536, args.num)
        feats[i:j] = means[labels[i:j]] + rng.standard_normal((j - i, args.dim), np.float32)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    clusters = cluster_features(feats, args.clusters, args.rho)
    clustered = time.perf_counter()
    calib = debias(feats, labels, args.classes, clusters)
    done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f'{args.num} x {args.dim} features (float32, {feats.nbytes / 2**30:.2f} GiB), '
          f'K={args.clusters}, rho={args.rho}')
    print(f'clustering: {clustered - start:.1f} s; de-biased centres: {done - clustered:.1f} s')
    print(f'clusters kept: {len(clusters.sizes)} (sizes {clusters.sizes.min()}-'
          f'{clusters.sizes.max()}); calibrated classes: {int((calib.alpha < 1).sum())}')
    print(f'peak RSS: {peak:.0f} MiB (features and labels alone: {base_rss:.0f} MiB)')


if __name__ == '__main__':
    main()
