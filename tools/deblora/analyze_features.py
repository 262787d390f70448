"""Feature analysis of a (LoRA / debLoRA / any mmpretrain) model on one split: the paper's
inter-class (head-tail, tail-tail) and intra-class (tail) cosine distances, and a 2-D PCA plot
coloured by class group.

    python tools/deblora/analyze_features.py CONFIG CHECKPOINT --split val --out-dir DIR

Groups come from the dataset's ``metainfo['class_groups']``. Writes ``DIR/feature_report.json``
and ``DIR/feature_pca.png``. Needs scikit-learn (``pip install "mmrsfm[deblora]"``) for the PCA.
"""
import argparse
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmengine.config import DictAction  # noqa: E402

import mmrsfm  # noqa: E402,F401

GROUP_COLOURS = {'head': 'tab:blue', 'middle': 'tab:grey', 'tail': 'tab:red'}


def main() -> None:
    """Extract the split's features, write the distance report and the PCA plot."""
    parser = argparse.ArgumentParser(description='debLoRA feature analysis')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--split', default='val', choices=['train', 'val', 'test'])
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()

    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np

    import mmrsfm.models  # noqa: F401
    from mmrsfm.apis import build_model_from_checkpoint, extract_features, load_config
    from mmrsfm.evaluation import class_distance_report
    from mmrsfm.models.peft import DebLoRAStateError
    from mmrsfm.utils.extras import import_from_extra

    decomposition = import_from_extra('sklearn.decomposition', 'deblora', 'the feature PCA')

    cfg = load_config(args.config, args.cfg_options)
    metainfo = cfg[f'{args.split}_dataloader'].dataset.get('metainfo') or {}
    groups = metainfo.get('class_groups')
    if groups is None:
        raise ValueError(f"{args.config}: {args.split}_dataloader.dataset.metainfo has no "
                         "'class_groups' (dict(head=[...], middle=[...], tail=[...]))")
    try:
        model = build_model_from_checkpoint(cfg, args.checkpoint)
    except DebLoRAStateError as err:  # e.g. a stage-3 checkpoint of an older mmrsfm
        raise DebLoRAStateError(f'{args.checkpoint}: {err}') from None
    feats, labels = extract_features(model, cfg, args.split)
    report = class_distance_report(feats, labels, groups)
    report.update(split=args.split, num_samples=int(len(feats)), checkpoint=args.checkpoint)
    os.makedirs(args.out_dir, exist_ok=True)
    with open(osp.join(args.out_dir, 'feature_report.json'), 'w') as f:
        json.dump(report, f, indent=2)

    # Seeded: PCA switches to a randomized solver on large feature sets.
    points = decomposition.PCA(n_components=2, random_state=0).fit_transform(feats)
    group_of = {c: name for name, members in groups.items() for c in members}
    fig, ax = plt.subplots(figsize=(6, 6))
    for name, colour in GROUP_COLOURS.items():
        mask = np.array([group_of.get(int(y)) == name for y in labels])
        if mask.any():
            ax.scatter(points[mask, 0], points[mask, 1], s=6, c=colour, label=name, alpha=0.7)
    ax.set_title(f'PCA of {args.split} features\nhead-tail {report["inter_head_tail"]:.3f}, '
                 f'tail-tail {report["inter_tail_tail"]:.3f}, intra-tail '
                 f'{report["intra_tail"]:.3f} (cosine distance)')
    ax.legend()
    fig.tight_layout()
    fig.savefig(osp.join(args.out_dir, 'feature_pca.png'), dpi=120)
    print(json.dumps(report, indent=2))


if __name__ == '__main__':
    main()
