"""Convert a ViT checkpoint to the backbone file the benchmark configs load.

Sources: the authors' timm-style releases (SelectiveMAE / MAE pretraining, fine-tuned
classifiers), mmpretrain or mmrsfm runner checkpoints with the ViT under ``backbone.``
(classifier, MAE, SelectiveMAE) and bare mmpretrain ViT state dicts. The output holds
``backbone.*`` keys in mmpretrain ``VisionTransformer`` names, read by the configs through
``init_cfg=dict(type='Pretrained', checkpoint=DST, prefix='backbone.')``.

    python tools/model_converters/vit_to_benchmark.py SRC DST \
        [--config CONFIG | --img-size H [W] [--patch-size 16]] [--unsafe-load-checkpoint]

The position embedding is resized (bicubic, cls row kept) to the patch grid of ``--config``'s
backbone (its ``img_size`` / ``patch_size``) or of ``--img-size``. The result is then loaded into
that backbone (or, without ``--config``, into a ViTPyramid of the checkpoint's shape) and the
missing / unexpected keys are printed; new layers of the adapter (``pyramid.*``) are listed
apart. Output is written atomically (temporary file + rename).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
import mmrsfm  # noqa: E402,F401
from mmrsfm.utils import atomic_torch_save  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='source checkpoint')
    parser.add_argument('dst', help='output backbone checkpoint')
    target = parser.add_mutually_exclusive_group()
    target.add_argument('--config', help='benchmark config whose model.backbone is the target')
    target.add_argument('--img-size', type=int, nargs='+', metavar='PX',
                        help='target input size (H [W]) in pixels for the position embedding')
    parser.add_argument('--patch-size', type=int, default=None,
                        help='patch size for --img-size (default: read from the checkpoint)')
    parser.add_argument('--unsafe-load-checkpoint', action='store_true',
                        help='full unpickling of SRC (only for files you trust)')
    return parser.parse_args()


def _target_backbone(args, encoder):
    """The backbone the converted weights are checked against."""
    from mmpretrain.registry import MODELS

    from mmrsfm.models.backbones import DEFAULT_OUT_INDICES

    if args.config:
        import importlib

        from mmengine.registry import init_default_scope

        from mmrsfm.apis import SUPPORTED_SCOPES, load_config
        cfg = load_config(args.config)
        for module in cfg.get('custom_imports', {}).get('imports', []):
            importlib.import_module(module)
        init_default_scope(cfg.default_scope)
        backbone = cfg.model.backbone
        backbone.pop('init_cfg', None)
        backbone.pop('pretrained', None)
        # The config's toolbox registry: mmrsfm registers ViTPyramid in each of the four.
        registry = importlib.import_module(f'{SUPPORTED_SCOPES[cfg.default_scope]}.registry')
        return registry.MODELS.build(backbone)
    weight = encoder['patch_embed.projection.weight']
    embed_dims, patch = weight.shape[0], args.patch_size or weight.shape[-1]
    num_layers = 1 + max(int(k.split('.')[1]) for k in encoder if k.startswith('layers.'))
    hidden = encoder['layers.0.ffn.layers.0.0.weight'].shape[0]
    if args.img_size:
        img_size = tuple(args.img_size) * (2 if len(args.img_size) == 1 else 1)
    else:
        side = round((encoder['pos_embed'].shape[1] - 1)**0.5)
        img_size = (side * patch, side * patch)
    if num_layers < 4:
        raise SystemExit(f'{args.src}: {num_layers} ViT blocks; the pyramid needs at least 4')
    return MODELS.build(dict(
        type='ViTPyramid', img_size=img_size, patch_size=patch,
        out_indices=DEFAULT_OUT_INDICES.get(num_layers, range(num_layers - 4, num_layers)),
        arch=dict(embed_dims=embed_dims, num_layers=num_layers,
                  num_heads=max(embed_dims // 64, 1), feedforward_channels=hidden),
        final_norm='ln1.weight' in encoder, with_cls_token='cls_token' in encoder))


def main() -> None:
    args = parse_args()
    from mmrsfm.models.checkpoint_converters import (convert_vit_to_benchmark,
                                                     load_foreign_checkpoint)

    if not osp.isfile(args.src):
        raise SystemExit(f'{args.src}: no such file')
    if args.img_size and len(args.img_size) > 2:
        raise SystemExit(f'--img-size takes H or H W, got {args.img_size}')
    # Weights-only, with the argparse namespace of the authors' training checkpoints allowed;
    # anything else needs --unsafe-load-checkpoint (trusted files only).
    try:
        source = load_foreign_checkpoint(args.src, unsafe=args.unsafe_load_checkpoint)
    except ValueError as err:
        raise SystemExit(str(err)) from err
    try:
        encoder, unused, fmt = convert_vit_to_benchmark(source)
    except ValueError as err:
        raise SystemExit(f'{args.src}: {err}') from err
    backbone = _target_backbone(args, encoder)
    grid = tuple(backbone.patch_resolution)
    encoder, _, _ = convert_vit_to_benchmark(encoder, dst_grid=grid)
    target = backbone.state_dict()
    mismatched = [f'{k}: {tuple(v.shape)} in the checkpoint, {tuple(target[k].shape)} in the '
                  'backbone' for k, v in encoder.items()
                  if k in target and v.shape != target[k].shape]
    if mismatched:
        raise SystemExit(f'{args.src}: the weights do not fit the target backbone'
                         f'{" of " + args.config if args.config else ""} (another width or '
                         'patch size?):\n  ' + '\n  '.join(mismatched))
    result = backbone.load_state_dict(encoder, strict=False)
    new = [k for k in result.missing_keys if k.startswith('pyramid.')]
    missing = [k for k in result.missing_keys if not k.startswith('pyramid.')]

    state = {f'backbone.{k}': v for k, v in encoder.items()}
    meta = dict(source=osp.abspath(args.src), format=fmt, pos_embed_grid=list(grid))
    atomic_torch_save({'state_dict': state, 'meta': meta}, args.dst)
    print(f'[vit_to_benchmark] {fmt} checkpoint -> {len(state)} backbone tensors in {args.dst} '
          f'(position embedding grid {grid[0]}x{grid[1]})')
    print(f'[vit_to_benchmark] missing keys ({len(missing)}): {", ".join(missing) or "none"}')
    print(f'[vit_to_benchmark] unexpected keys ({len(result.unexpected_keys)}): '
          f'{", ".join(result.unexpected_keys) or "none"}')
    print(f'[vit_to_benchmark] newly initialised adapter keys ({len(new)}): '
          f'{", ".join(new) or "none"}')
    if unused:
        print(f'[vit_to_benchmark] {len(unused)} source keys not part of the encoder: '
              + ', '.join(unused[:12]) + (' ...' if len(unused) > 12 else ''))


if __name__ == '__main__':
    main()
