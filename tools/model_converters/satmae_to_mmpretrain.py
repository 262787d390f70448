"""Convert a SatMAE fMoW-RGB ViT checkpoint (pretraining or fine-tuned) to mmpretrain names.

    python tools/model_converters/satmae_to_mmpretrain.py SRC DST [--unsafe-load-checkpoint]

SRC: SatMAE's ``fmow_pretrain.pth`` (encoder + MAE decoder) or ``fmow_finetune.pth`` (encoder
with ``fc_norm`` + classifier); the ``args`` namespace they hold is allowed by the weights-only
loader. DST holds the encoder as ``backbone.*`` keys of mmpretrain's ``VisionTransformer``
(see ``mmrsfm.models.checkpoint_converters.convert_satmae``); the decoder / classifier keys are
dropped, and the layout found is printed with the backbone settings it needs. Written
atomically.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
import mmrsfm  # noqa: E402,F401
from mmrsfm.utils import atomic_torch_save  # noqa: E402

_BACKBONE = dict(pretrain="out_type='cls_token' (the configs' setting)",
                 finetune="final_norm=False, out_type='avg_featmap'")


def main() -> None:
    """Convert SRC and write DST."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='SatMAE checkpoint')
    parser.add_argument('dst', help='output mmpretrain backbone checkpoint')
    parser.add_argument('--unsafe-load-checkpoint', action='store_true',
                        help='full unpickling of SRC (only for files you trust)')
    args = parser.parse_args()

    from mmrsfm.models.checkpoint_converters import convert_satmae, load_foreign_checkpoint
    try:
        source = load_foreign_checkpoint(args.src, unsafe=args.unsafe_load_checkpoint)
        state, dropped, other, layout = convert_satmae(source)
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(f'{args.src}: {err}' if args.src not in str(err) else str(err))
    atomic_torch_save({'state_dict': state, 'meta': dict(
        source=osp.abspath(args.src), format=f'satmae-{layout}')}, args.dst)
    print(f'[satmae_to_mmpretrain] {layout} checkpoint -> {len(state)} tensors in {args.dst}; '
          f'backbone: {_BACKBONE[layout]}')
    print(f'[satmae_to_mmpretrain] {len(dropped)} decoder / classifier keys dropped')
    if other:
        print(f'[satmae_to_mmpretrain] {len(other)} other source keys left out: '
              + ', '.join(other[:12]) + (' ...' if len(other) > 12 else ''))


if __name__ == '__main__':
    main()
