"""What SelectiveMAE selects and reconstructs for an image, at chosen PSTS epochs: a figure with
the original, the HOG score map (with a colour bar), the visible tokens, the reconstruction
targets and the reconstruction, one row per epoch, and a legend of the outlined patches.

    python tools/analysis_tools/visualize_selectivemae.py IMAGE [IMAGE_OR_FOLDER ...] CONFIG \
        [--checkpoint CKPT] [--epochs 0 290 400 595 700] [--out selection.png]

Without --epochs, one row per PSTS stage of the config's schedule (``train_cfg.max_epochs``, or
--max-epochs): epoch 0 and the middle epoch of each later stage, as the training hook would set
them (5 rows for the 800-epoch configs, 2 for the 2-epoch CPU config, whose schedule ends in the
``far`` stage). Without --checkpoint the model has random weights (selection is still
meaningful: it depends on HOG scores and, with PSTS, on the patch + position embeddings).

One image file writes --out; several images (or a folder, its images sorted) write
``<out stem>_<image stem>.png`` next to --out. An unreadable image (missing, empty, truncated or
not an image) is skipped with a warning naming it; the tool stops with an error naming the files
if none could be read. Only warnings and one summary line per figure are printed.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Tuple

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
import mmrsfm  # noqa: E402,F401

PREFIX = '[visualize_selectivemae]'
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('images', nargs='+', metavar='IMAGE',
                        help='image files or folders of images')
    parser.add_argument('config')
    parser.add_argument('--checkpoint')
    parser.add_argument('--epochs', type=int, nargs='+',
                        help='PSTS epochs, one row each; default: one per stage of the schedule')
    parser.add_argument('--max-epochs', type=int, help='defaults to train_cfg.max_epochs')
    parser.add_argument('--out', default='selection.png')
    return parser.parse_args(argv)


def expand_inputs(inputs: List[str]) -> List[str]:
    """Image files named on the command line, folders replaced by their images (sorted)."""
    paths = []
    for item in inputs:
        if osp.isdir(item):
            found = sorted(osp.join(item, n) for n in os.listdir(item)
                           if n.lower().endswith(IMAGE_SUFFIXES)
                           and osp.isfile(osp.join(item, n)))
            if not found:
                print(f'{PREFIX} warning: no image file ({" ".join(IMAGE_SUFFIXES)}) in folder '
                      f'{item}', file=sys.stderr)
            paths += found
        else:
            paths.append(item)
    return paths


def read_images(paths: List[str]) -> List[Tuple[str, 'object']]:
    """``(path, RGB array)`` of every readable image; unreadable ones are skipped with a warning.

    Raises:
        SystemExit: none of ``paths`` could be read (the message names each file and why).
    """
    from mmrsfm.utils.image_io import UNREADABLE_IMAGE_ERRORS, read_image
    images, failures = [], []
    for path in paths:
        try:
            images.append((path, read_image(path, channel_order='rgb')))
        except UNREADABLE_IMAGE_ERRORS as err:
            failures.append(str(err))
            print(f'{PREFIX} warning: skipping {err}', file=sys.stderr)
    if not images:
        sys.exit(f'{PREFIX} error: no readable image among the inputs: '
                 + ('; '.join(failures) if failures else 'no image given'))
    return images


def schedule_length(cfg) -> int:
    """``train_cfg.max_epochs`` (iteration-based configs: ``max_iters``, the hook's unit)."""
    train_cfg = cfg.get('train_cfg') or {}
    return int(train_cfg.get('max_epochs') or train_cfg.get('max_iters') or 800)


def output_paths(out: str, images: List[str], single: bool) -> List[str]:
    """--out for a single image, else ``<out stem>_<image stem><ext>`` (unique) per image."""
    if single:
        return [out]
    stem, ext = osp.splitext(out)
    paths, seen = [], {}
    for image in images:
        name = osp.splitext(osp.basename(image))[0]
        seen[name] = seen.get(name, 0) + 1
        paths.append(f'{stem}_{name}' + (f'-{seen[name]}' if seen[name] > 1 else '') +
                     (ext or '.png'))
    return paths


def main(argv=None) -> None:
    from mmrsfm.utils.run_logging import filter_upstream_warnings
    filter_upstream_warnings()  # e.g. setuptools' pkg_resources notice on importing mmengine
    args = parse_args(argv)
    paths = expand_inputs(args.images)
    single = len(args.images) == 1 and not osp.isdir(args.images[0])
    images = read_images(paths)

    import logging

    import mmcv
    import numpy as np
    import torch
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint

    # A logger of our own, made current, at WARNING: mmengine's per-parameter init report and
    # checkpoint loading notes (~1,300 INFO lines for ViT-B) stay quiet, warnings still show.
    MMLogger.get_instance('visualize_selectivemae', log_level='WARNING')
    logging.getLogger('mmengine').setLevel(logging.WARNING)

    import mmrsfm.models  # noqa: F401
    from mmrsfm.apis import load_config
    from mmrsfm.visualization import selection_figure, selection_panels

    cfg = load_config(args.config)
    init_default_scope('mmpretrain')
    from mmpretrain.registry import MODELS
    model = MODELS.build(cfg.model)
    model.init_weights()
    if args.checkpoint:
        load_checkpoint(model, args.checkpoint, map_location='cpu')
    max_epochs = args.max_epochs or schedule_length(cfg)
    epochs = args.epochs or model.token_selector.stage_epochs(max_epochs)
    late = [e for e in epochs if e >= max_epochs]
    if late:
        print(f'{PREFIX} warning: epochs {late} lie past the schedule (epochs 0..'
              f'{max_epochs - 1} of {args.config}); they show the stage after its end',
              file=sys.stderr)

    size = cfg.model.backbone.get('img_size', 224)
    mean = np.array(cfg.data_preprocessor.mean, np.float32)
    std = np.array(cfg.data_preprocessor.std, np.float32)
    weights = args.checkpoint or 'random weights'
    for (path, img), out in zip(images, output_paths(args.out, [p for p, _ in images], single)):
        img = mmcv.imresize(img, (size, size), interpolation='bicubic').astype(np.float32)
        x = torch.from_numpy((img - mean) / std).permute(2, 0, 1)[None]
        panels = selection_panels(model, x, epochs, max_epochs)
        fig = selection_figure(panels, mean, std,
                               title=f'{osp.basename(path)} - {osp.basename(args.config)} '
                               f'({weights})')
        if osp.dirname(out):
            os.makedirs(osp.dirname(out), exist_ok=True)
        fig.savefig(out, dpi=100)
        rows = ', '.join(f'{p["epoch"]} {p["stage"]}' for p in panels)
        print(f'{PREFIX} {path}: epochs of {max_epochs} ({rows}) -> wrote {out}')


if __name__ == '__main__':
    main()
