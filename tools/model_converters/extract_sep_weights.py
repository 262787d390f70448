"""Extract the pretrained weights of a multi-head SAMRS (SEP) checkpoint for fine-tuning.

Keeps the backbone, the neck and the UperNet body (``backbone.*``, ``neck.*``, ``decode_head.*``)
and drops the per-source 1x1 classifiers (``decode_head.conv_seg.<source>.*``), so the keys are
those of a plain mmseg UperNet whose new classifier (and auxiliary head) start from scratch::

    python tools/model_converters/extract_sep_weights.py work_dirs/sep/iter_80000.pth sep.pth
    # in the fine-tuning config (mmseg EncoderDecoder + UPerHead with the same backbone):
    load_from = 'sep.pth'
    # or the backbone only:
    model = dict(backbone=dict(init_cfg=dict(type='Pretrained', checkpoint='sep.pth',
                                             prefix='backbone.')))

``--backbone-only`` keeps just ``backbone.*``; ``--keep-classifier SOURCE`` keeps that source's
classifier as ``decode_head.conv_seg.*`` (fine-tuning on the same label set).
"""
import argparse
import os.path as osp
import re
import sys
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
import mmrsfm  # noqa: E402,F401  (weights-only checkpoint loading)
from mmrsfm.utils import atomic_torch_save  # noqa: E402

_CLASSIFIER = re.compile(r'^decode_head\.conv_seg\.([^.]+)\.(weight|bias)$')
_KEPT_PREFIXES = ('backbone.', 'neck.', 'decode_head.')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('checkpoint', help='SEP checkpoint (MultiHeadEncoderDecoder)')
    parser.add_argument('out', help='output .pth')
    parser.add_argument('--backbone-only', action='store_true', help='keep backbone.* only')
    parser.add_argument('--keep-classifier', metavar='SOURCE',
                        help="keep SOURCE's classifier as decode_head.conv_seg.*")
    parser.add_argument('--unsafe-load-checkpoint', action='store_true',
                        help='full unpickling (weights_only=False); only for trusted files')
    return parser.parse_args(argv)


def extract(state_dict: Dict, backbone_only: bool = False,
            keep_classifier: Optional[str] = None, source: str = 'checkpoint'
            ) -> Tuple['OrderedDict', List[str]]:
    """Kept tensors (plain-UperNet names) and the names of the dropped ones.

    Raises:
        ValueError: no ``decode_head.conv_seg.<source>.*`` key (not a multi-head checkpoint),
            no ``backbone.*`` key, or ``keep_classifier`` is not one of the sources.
    """
    state = OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v)
                        for k, v in state_dict.items())
    sources = sorted({m.group(1) for k in state for m in [_CLASSIFIER.match(k)] if m})
    if not sources:
        raise ValueError(f'{source}: no per-source classifier (decode_head.conv_seg.<source>.*); '
                         'not a MultiHeadEncoderDecoder (SEP) checkpoint')
    if not any(k.startswith('backbone.') for k in state):
        raise ValueError(f'{source}: no backbone.* weights')
    if keep_classifier is not None and keep_classifier not in sources:
        raise ValueError(f'{source}: --keep-classifier {keep_classifier!r} is not one of the '
                         f'sources {sources}')
    prefixes = ('backbone.', ) if backbone_only else _KEPT_PREFIXES
    kept, dropped = OrderedDict(), []
    for key, value in state.items():
        match = _CLASSIFIER.match(key)
        if match and match.group(1) == keep_classifier and not backbone_only:
            kept[f'decode_head.conv_seg.{match.group(2)}'] = value
        elif match or not key.startswith(prefixes):
            dropped.append(key)
        else:
            kept[key] = value
    return kept, dropped


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    from mmengine.runner import CheckpointLoader

    from mmrsfm.compat import trust_checkpoints

    with trust_checkpoints(args.unsafe_load_checkpoint):
        checkpoint = CheckpointLoader.load_checkpoint(args.checkpoint, map_location='cpu')
    state_dict = checkpoint.get('state_dict', checkpoint)
    kept, dropped = extract(state_dict, args.backbone_only, args.keep_classifier,
                            source=args.checkpoint)
    atomic_torch_save({'state_dict': kept,
                       'meta': dict(source=args.checkpoint, dropped_keys=dropped)}, args.out)
    groups = OrderedDict()
    for key in kept:
        groups[key.split('.')[0]] = groups.get(key.split('.')[0], 0) + 1
    summary = ', '.join(f'{k}: {n}' for k, n in groups.items())
    print(f'[extract_sep_weights] wrote {len(kept)} tensors ({summary}) to {args.out}; dropped '
          f'{len(dropped)} ({", ".join(dropped[:6])}{" ..." if len(dropped) > 6 else ""})')


if __name__ == '__main__':
    main()
