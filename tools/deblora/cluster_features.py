"""debLoRA stage 2: cluster the LoRA-adapted training features and write the calibration.

    python tools/deblora/cluster_features.py STAGE1_CONFIG STAGE1_CHECKPOINT \
        --out work_dirs/deblora/calibration.npz [--num-clusters 32 --rho 2 --method kmeans] \
        [--init-out work_dirs/deblora/calibration_init.pth]

STAGE1_CONFIG is a LoRA classifier (one feature per training image: the pre-logits) or a
detector with a LoRA ViT backbone, e.g. the rotated FCOS of ``configs/deblora/*fcos*``: one
feature per ground-truth object of the training set, the backbone's last map pooled inside the
box (:func:`mmrsfm.apis.features.extract_object_features`). Clustering, de-biased centres,
calibration and the stage-3 init file are the same for both.

Tail classes (which get a de-biased centre) come from the dataset's ``metainfo['class_groups']``
(class indices, or class names of the dataset's ``metainfo['classes']``), else from
``--head-min/--tail-max`` count thresholds, else every class with imbalance ratio > 10.

Writes, each atomically:

* ``--out`` (``.npz``): the calibration (``calib_centres``, ``calib_alpha``) and the clustering
  it came from (:meth:`mmrsfm.models.peft.Calibration.save`);
* a ``.json`` summary beside it;
* ``--init-out`` (default: ``--out`` with ``_init.pth`` for ``.npz``): stage 3's initial weights,
  ``f_theta`` (the stage-1 backbone with its LoRA merged, ``teacher.*``) and the calibration
  buffers (``centres``, ``alpha``), which the stage-3 config loads with
  ``model.init_cfg=dict(type='Pretrained', checkpoint=...)``
  (:func:`mmrsfm.models.peft.deblora_init_state`).

Needs scikit-learn (``pip install "mmrsfm[deblora]"``).
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmengine.config import DictAction  # noqa: E402

import mmrsfm  # noqa: E402,F401


def parse_args() -> argparse.Namespace:
    """Parse the command line.

    Returns:
        argparse.Namespace: The arguments.
    """
    parser = argparse.ArgumentParser(description='debLoRA stage 2: clustering + calibration')
    parser.add_argument('config', help='stage-1 (LoRA) config')
    parser.add_argument('checkpoint', help='stage-1 checkpoint')
    parser.add_argument('--out', required=True, help='calibration .npz to write')
    parser.add_argument('--init-out',
                        help='stage-3 initial weights (.pth: f_theta with its LoRA merged + the '
                        'calibration) for the debLoRA config\'s init_cfg; default: --out with '
                        '_init.pth instead of .npz')
    parser.add_argument('--num-clusters', type=int, default=32)
    parser.add_argument('--rho', type=float, default=2.0,
                        help='minimum cluster size N / (K * rho)')
    parser.add_argument('--method', choices=['kmeans', 'dbscan'], default='kmeans')
    parser.add_argument('--dbscan-eps', type=float, default=0.5)
    parser.add_argument('--scale', type=float, default=10.0, help='alpha = min(1, scale / ir)')
    parser.add_argument('--head-min', type=int, help='classes with >= this many samples: head')
    parser.add_argument('--tail-max', type=int, help='classes with <= this many samples: tail')
    parser.add_argument('--batch-size', type=int,
                        help='images per forward pass; default 32 (classifier), 2 (detector)')
    parser.add_argument('--seed', type=int, default=0,
                        help='random_state of the k-means (same seed, same clusters)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs')
    return parser.parse_args()


def main() -> None:
    """Extract the stage-1 training features, cluster them and write the stage-2 outputs."""
    args = parse_args()
    import numpy as np

    from mmrsfm.apis import build_model_from_checkpoint, extract_features, load_config
    from mmrsfm.apis.features import extract_object_features
    from mmrsfm.models.peft import class_groups, cluster_features, debias, deblora_init_state
    from mmrsfm.utils import atomic_torch_save
    from mmrsfm.utils.extras import require_extra

    require_extra('deblora', 'debLoRA feature clustering')  # before the feature extraction
    init_out = args.init_out or osp.splitext(args.out)[0] + '_init.pth'

    cfg = load_config(args.config, args.cfg_options)
    model = build_model_from_checkpoint(cfg, args.checkpoint)
    detector = hasattr(model, 'bbox_head')
    print(f'[cluster_features] extracting training {"object " if detector else ""}features '
          f'with {args.checkpoint}')
    if detector:
        feats, labels = extract_object_features(model, cfg, 'train', args.batch_size or 2)
        num_classes = int(model.bbox_head.num_classes)
    else:
        feats, labels = extract_features(model, cfg, 'train', args.batch_size or 32)
        num_classes = int(model.head.num_classes) if hasattr(model, 'head') \
            else int(labels.max() + 1)
    counts = np.bincount(labels, minlength=num_classes)
    if (counts == 0).any():
        raise ValueError(f'{args.config}: classes {np.where(counts == 0)[0].tolist()} have no '
                         'training sample')

    metainfo_groups = _dataset_groups(cfg, args.config)
    if metainfo_groups is not None:
        groups = class_groups(counts, groups=metainfo_groups)
        source = "the dataset's metainfo['class_groups']"
    elif args.head_min is not None or args.tail_max is not None:
        groups = class_groups(counts, head_min=args.head_min, tail_max=args.tail_max)
        source = f'--head-min {args.head_min} / --tail-max {args.tail_max}'
    else:
        groups = None
        source = 'imbalance ratio > 10 (no groups given)'
    calibrate = groups == 2 if groups is not None else None

    print(f'[cluster_features] {args.method} clustering of {len(feats)} features '
          f'({feats.shape[1]}-d) into <= {args.num_clusters} clusters, rho {args.rho}')
    clusters = cluster_features(feats, args.num_clusters, args.rho, args.method,
                                dbscan_eps=args.dbscan_eps, seed=args.seed)
    calib = debias(feats, labels, num_classes, clusters, calibrate=calibrate, scale=args.scale)
    calib.save(args.out, clusters)
    if not hasattr(model, 'backbone'):
        raise TypeError(f'{args.config}: {type(model).__name__} has no backbone to take f_theta '
                        'from; give the stage-1 (LoRA classifier) config')
    atomic_torch_save({'state_dict': deblora_init_state(model.backbone, calib),
                       'meta': dict(config=args.config, checkpoint=args.checkpoint,
                                    calibration=args.out)}, init_out)
    summary = dict(
        config=args.config, checkpoint=args.checkpoint, num_samples=int(len(feats)),
        feature_dim=int(feats.shape[1]), class_counts=counts.tolist(),
        tail_classes_from=source,
        calibrated_classes=np.where(calib.alpha < 1)[0].tolist(),
        alpha=[round(float(a), 4) for a in calib.alpha],
        cluster_sizes=clusters.sizes.tolist(), method=args.method, rho=args.rho, seed=args.seed)
    with open(osp.splitext(args.out)[0] + '.json.tmp', 'w') as f:
        json.dump(summary, f, indent=2)
    os.replace(osp.splitext(args.out)[0] + '.json.tmp', osp.splitext(args.out)[0] + '.json')
    print(f'[cluster_features] {len(clusters.sizes)} clusters (sizes {clusters.sizes.min()}-'
          f'{clusters.sizes.max()}); calibrated classes {summary["calibrated_classes"]} '
          f'(tail from {source}); wrote {args.out} and {init_out}')


def _dataset_groups(cfg, config_path: str) -> Optional[Dict[str, List[int]]]:
    """The ``class_groups`` of the training dataset's metainfo, if any, as class indices.

    Args:
        cfg (Config): The stage-1 config.
        config_path (str): Its file, for error messages.

    Returns:
        dict[str, list[int]], optional: ``{'head': [...], 'middle': [...], 'tail': [...]}``.

    Raises:
        ValueError: A group names a class that is not in the metainfo's ``classes``.
    """
    metainfo = cfg.train_dataloader.dataset.get('metainfo') or {}
    groups = metainfo.get('class_groups')
    if groups is None:
        return None
    classes = list(metainfo.get('classes') or [])
    indices = {}
    for name, members in groups.items():
        indices[name] = []
        for member in members:
            if isinstance(member, str):
                if member not in classes:
                    raise ValueError(f'{config_path}: class_groups[{name!r}] names {member!r}, '
                                     f"not one of train_dataloader.dataset.metainfo['classes'] "
                                     f'{classes}')
                member = classes.index(member)
            indices[name].append(int(member))
    return indices


if __name__ == '__main__':
    main()
