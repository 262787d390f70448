"""Convert the image tower of an open_clip / OpenAI CLIP ViT checkpoint to mmpretrain names.

    python tools/model_converters/openclip_to_mmpretrain.py SRC DST [--unsafe-load-checkpoint]

SRC: an open_clip state dict (``open_clip_pytorch_model.bin``, ``*.safetensors``, or a training
checkpoint with ``state_dict``) or OpenAI's TorchScript ``ViT-B-16.pt`` (code: only with
``--unsafe-load-checkpoint``, for a file you trust). DST holds
``backbone.*`` keys of a pre-norm mmpretrain ``VisionTransformer`` (see
``mmrsfm.models.checkpoint_converters.convert_openclip_visual``), read by the configs through
``init_cfg=dict(type='Pretrained', checkpoint=DST, prefix='backbone')``. The image projection
``visual.proj`` and the text tower are left out (listed). Written atomically.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
import mmrsfm  # noqa: E402,F401
from mmrsfm.utils import atomic_torch_save  # noqa: E402


def main() -> None:
    """Convert SRC and write DST."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='open_clip / OpenAI CLIP checkpoint')
    parser.add_argument('dst', help='output mmpretrain backbone checkpoint')
    parser.add_argument('--unsafe-load-checkpoint', action='store_true',
                        help='full unpickling of SRC, or a TorchScript SRC '
                             '(only for files you trust)')
    args = parser.parse_args()

    from mmrsfm.models.checkpoint_converters import convert_openclip_visual, load_foreign_checkpoint
    try:
        source = load_foreign_checkpoint(args.src, unsafe=args.unsafe_load_checkpoint)
        state, unused = convert_openclip_visual(source)
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(f'{args.src}: {err}' if args.src not in str(err) else str(err))
    atomic_torch_save({'state_dict': state,
                       'meta': dict(source=osp.abspath(args.src), format='open_clip')}, args.dst)
    print(f'[openclip_to_mmpretrain] wrote {len(state)} tensors to {args.dst}')
    if unused:
        print(f'[openclip_to_mmpretrain] {len(unused)} source keys left out (projection, text '
              'tower): ' + ', '.join(unused[:12]) + (' ...' if len(unused) > 12 else ''))


if __name__ == '__main__':
    main()
