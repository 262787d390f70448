"""Generate SAMRS-style segmentation labels from detection annotations with SAM.

Example (SIOR from DIOR's horizontal boxes)::

    python tools/samrs/generate_labels.py \
        --images data/DIOR/JPEGImages-trainval \
        --annotations "data/DIOR/Annotations/Horizontal Bounding Boxes" \
        --format dior --classes sior --sam-checkpoint sam_vit_h_4b8939.pth --model-type vit_h \
        --out data/SAMRS/SIOR --device cuda

Writes ``OUT/gray/*.png`` (class index, 255 elsewhere), ``OUT/color/*.png``,
``OUT/instances/*.json`` and the merged ``OUT/instances.json`` (COCO RLE), plus
``OUT/summary.json``. Rerunning the same command resumes (finished images are skipped). See
docs/samrs_label_generation.md.
"""
import argparse
import json
import os
import os.path as osp
import sys

import torch

from mmrsfm.datatools.sam_labels import (ANNOTATION_FORMATS, BOX_PROMPTS, DEFAULT_OVERLAP_ORDER,
                                         OVERLAP_ORDERS, SAM_MODEL_TYPES, ClassMapper,
                                         LabelGenerator, SamBoxLabeler, build_sam, subset_coco)
from mmrsfm.datatools.sam_labels.coco import read_image_list
from mmrsfm.utils import atomic_write_json


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--images', required=True, help='folder of images')
    parser.add_argument('--annotations', required=True,
                        help='folder of annotation files named like the images')
    parser.add_argument('--format', required=True, choices=ANNOTATION_FORMATS,
                        help='dota: 8-point txt; dior: VOC XML (bndbox/robndbox); '
                             'fair1m: FAIR1M XML')
    parser.add_argument('--classes', required=True,
                        help='sota, sior, fast, or a class-map JSON (see the docs)')
    parser.add_argument('--sam-checkpoint', required=True, help='SAM state dict (.pth)')
    parser.add_argument('--model-type', default='vit_h', choices=SAM_MODEL_TYPES)
    parser.add_argument('--prompt', default='auto', choices=BOX_PROMPTS,
                        help='auto: H-Box where the annotation has one, else RH-Box (default)')
    parser.add_argument('--overlap-order', default=DEFAULT_OVERLAP_ORDER,
                        choices=OVERLAP_ORDERS,
                        help='larger-first (default): small objects stay visible; '
                             'annotation: later objects overwrite earlier (the authors)')
    parser.add_argument('--batch-boxes', type=int, default=64,
                        help='boxes decoded per SAM mask-decoder call')
    parser.add_argument('--skip-difficult', action='store_true',
                        help='leave out objects flagged difficult')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--link-images', action='store_true',
                        help='symlink the labelled images into OUT/images, so that OUT is a '
                             'SAMRS subset folder (images/ + gray/) the datasets read')
    parser.add_argument('--coco-splits', nargs='+', default=[], metavar='SPLIT_FILE',
                        help='also write OUT/instances_<split>.json with the images listed in '
                             'each split file (e.g. train.txt val.txt)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    return parser.parse_args(argv)


def link_images(out: str) -> None:
    """Symlink every labelled image (per-image records) into ``out/images``."""
    os.makedirs(osp.join(out, 'images'), exist_ok=True)
    for name in sorted(n for n in os.listdir(osp.join(out, 'instances')) if n.endswith('.json')):
        with open(osp.join(out, 'instances', name)) as f:
            record = json.load(f)
        link = osp.join(out, 'images', record['file_name'])
        if not osp.lexists(link):
            os.symlink(record['image_file'], link)


def main(argv=None) -> int:
    args = parse_args(argv)
    mapper = ClassMapper.from_spec(args.classes)

    def make_labeler() -> SamBoxLabeler:
        sam = build_sam(args.model_type, args.sam_checkpoint, args.device)
        return SamBoxLabeler(sam, batch_size=args.batch_boxes)

    generator = LabelGenerator(
        args.out, mapper, args.format, make_labeler, prompt=args.prompt,
        overlap_order=args.overlap_order, skip_difficult=args.skip_difficult,
        settings=dict(model_type=args.model_type, sam_checkpoint=args.sam_checkpoint))
    summary = generator.run(args.images, args.annotations, progress=not args.no_progress)

    print(f'images: {summary["images"]}, labelled now: {summary["processed"]}, already done '
          f'(skipped): {summary["skipped_done"]}, instances now: {summary["instances"]} '
          f'({summary["empty_masks"]} empty masks)')
    print(f'merged COCO: {summary["coco_images"]} images, {summary["coco_annotations"]} '
          f'instances -> {args.out}/instances.json')
    empty = summary['images_without_objects']
    if empty:
        print(f'{len(empty)} image(s) without objects (all-255 labels): '
              f'{", ".join(empty[:20])}{" ..." if len(empty) > 20 else ""}')
    if summary['problems']:
        print(f'{len(summary["problems"])} problem(s) (also in {args.out}/summary.json):')
        for p in summary['problems']:
            where = f'{p["file"]}:{p["line"]}' if p['line'] is not None else p['file']
            print(f'  {where}: {p["message"]} [{p["action"]}]')
    if args.link_images:
        link_images(args.out)
    if args.coco_splits:
        with open(osp.join(args.out, 'instances.json')) as f:
            coco = json.load(f)
        for split_file in args.coco_splits:
            split = osp.splitext(osp.basename(split_file))[0]
            subset = subset_coco(coco, read_image_list(split_file))
            atomic_write_json(osp.join(args.out, f'instances_{split}.json'), subset)
            print(f'{split}: {len(subset["images"])} images, {len(subset["annotations"])} '
                  f'instances -> {args.out}/instances_{split}.json')
    print('summary: ' + json.dumps({k: v for k, v in summary.items() if k != 'problems'}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
