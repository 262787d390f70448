"""Convert the authors' SelectiveMAE (or MAE) checkpoints, timm-style keys, to mmrsfm /
mmpretrain names: the full SelectiveMAE model (``backbone.*`` + decoder parts under ``neck.*``)
or, with --backbone-only, a backbone file for downstream configs
(``init_cfg=dict(type='Pretrained', checkpoint=OUT, prefix='backbone')``).

    python tools/model_converters/selectivemae_to_mmpretrain.py SRC.pth DST.pth [--backbone-only]

The decoder is mapped from CrossMAE's block layout (``decoder_blocks.N.cross_attn.{q,kv,proj}``,
``norm1/2``, ``mlp.fc1/fc2``). Unmapped source keys (training leftovers, other decoder layouts)
are listed, not silently dropped.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
import mmrsfm  # noqa: E402,F401
from mmrsfm.utils import atomic_torch_save  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src')
    parser.add_argument('dst')
    parser.add_argument('--backbone-only', action='store_true')
    parser.add_argument('--unsafe-load-checkpoint', action='store_true',
                        help='full unpickling of SRC (only for files you trust)')
    args = parser.parse_args()

    from mmrsfm.models.checkpoint_converters import convert_timm_vit, load_foreign_checkpoint

    if not osp.isfile(args.src):
        raise FileNotFoundError(f'{args.src} does not exist')
    # The authors' files hold an argparse namespace besides the weights: read weights-only with
    # the namespace allowed; anything else needs --unsafe-load-checkpoint (trusted files only).
    try:
        source = load_foreign_checkpoint(args.src, unsafe=args.unsafe_load_checkpoint)
    except ValueError as err:
        raise SystemExit(str(err)) from err
    state, unused = convert_timm_vit(source, neck_prefix=None if args.backbone_only else 'neck.')
    atomic_torch_save({'state_dict': state, 'meta': dict(source=args.src)}, args.dst)
    print(f'[selectivemae_to_mmpretrain] wrote {len(state)} tensors to {args.dst}')
    if unused:
        print(f'[selectivemae_to_mmpretrain] {len(unused)} source keys not converted: '
              + ', '.join(unused[:12]) + (' ...' if len(unused) > 12 else ''))


if __name__ == '__main__':
    main()
