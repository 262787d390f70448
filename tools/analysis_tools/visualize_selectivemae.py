"""What SelectiveMAE selects and reconstructs for one image, at chosen PSTS epochs: a figure with
the original, the HOG score map, the visible tokens, the reconstruction targets and the
reconstruction, one row per epoch.

    python tools/analysis_tools/visualize_selectivemae.py IMAGE CONFIG [--checkpoint CKPT] \
        --epochs 0 290 400 595 700 --out selection.png

Without --checkpoint the model has random weights (selection is still meaningful: it depends on
HOG scores and, with PSTS, on the patch + position embeddings).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
import mmrsfm  # noqa: E402,F401


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('image')
    parser.add_argument('config')
    parser.add_argument('--checkpoint')
    parser.add_argument('--epochs', type=int, nargs='+', default=[0, 290, 400, 595, 700])
    parser.add_argument('--max-epochs', type=int, help='defaults to train_cfg.max_epochs')
    parser.add_argument('--out', default='selection.png')
    args = parser.parse_args()

    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import mmcv
    import numpy as np
    import torch
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint

    import mmrsfm.models  # noqa: F401
    from mmrsfm.apis import load_config
    from mmrsfm.visualization import selection_panels

    cfg = load_config(args.config)
    init_default_scope('mmpretrain')
    from mmpretrain.registry import MODELS
    model = MODELS.build(cfg.model)
    model.init_weights()
    if args.checkpoint:
        load_checkpoint(model, args.checkpoint, map_location='cpu')
    img = mmcv.imread(args.image, channel_order='rgb')
    if img is None:
        raise FileNotFoundError(f'cannot read image {args.image}')
    size = cfg.model.backbone.get('img_size', 224)
    img = mmcv.imresize(img, (size, size), interpolation='bicubic').astype(np.float32)
    mean = np.array(cfg.data_preprocessor.mean, np.float32)
    std = np.array(cfg.data_preprocessor.std, np.float32)
    x = torch.from_numpy((img - mean) / std).permute(2, 0, 1)[None]
    max_epochs = args.max_epochs or cfg.train_cfg.get('max_epochs', 800)
    panels = selection_panels(model, x, args.epochs, max_epochs)

    def show(a):
        return np.clip(a * std + mean, 0, 255).astype(np.uint8)

    titles = ('original', 'HOG score', 'visible', 'targets', 'reconstruction')
    fig, axes = plt.subplots(len(panels), 5, figsize=(15, 3.2 * len(panels)), squeeze=False)
    for row, panel in zip(axes, panels):
        images = (show(panel['original']), panel['hog'], show(panel['visible']),
                  show(panel['targets']), show(panel['reconstruction']))
        for ax, title, image in zip(row, titles, images):
            ax.imshow(image, cmap='magma' if image.ndim == 2 else None)
            ax.set_title(f'{title}' + (f'\nepoch {panel["epoch"]}: {panel["stage"]}'
                                       if title == 'visible' else ''))
            ax.axis('off')
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f'[visualize_selectivemae] wrote {args.out}')


if __name__ == '__main__':
    main()
