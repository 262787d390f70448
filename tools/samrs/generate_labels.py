"""Generate SAMRS-style segmentation labels from detection annotations with SAM.

Example (SIOR from DIOR's horizontal boxes)::

    python tools/samrs/generate_labels.py \
        --images data/DIOR/JPEGImages-trainval \
        --annotations "data/DIOR/Annotations/Horizontal Bounding Boxes" \
        --format dior --classes sior --sam-checkpoint sam_vit_h_4b8939.pth --model-type vit_h \
        --out data/SAMRS/SIOR --device cuda

Writes ``OUT/gray/*.png`` (class index, 255 elsewhere), ``OUT/color/*.png``,
``OUT/instances/*.json`` and the merged ``OUT/instances.json`` (COCO RLE), plus
``OUT/summary.json``. Rerunning the same command resumes (finished images are skipped).

The box prompt defaults to the paper's choice for ``--classes`` (sota, sior: H-Box; fast:
RH-Box; a class-map file: auto). Sharded over processes (``--shard-id/--num-shards``, or
launched by ``torchrun`` or Slurm), each shard writes ``OUT/shards/shard-<k>-of-<N>/``; the same
command with ``--merge-only`` then checks and assembles ``OUT``. See
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
                                         LabelGenerator, SamBoxLabeler, ShardMergeError, build_sam,
                                         default_prompt, merge_shards, resolve_shard, shard_device,
                                         subset_coco)
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
    parser.add_argument('--sam-checkpoint', help='SAM state dict (.pth); required unless '
                        '--merge-only')
    parser.add_argument('--model-type', default='vit_h', choices=SAM_MODEL_TYPES)
    parser.add_argument('--prompt', default=None, choices=BOX_PROMPTS,
                        help='hbox: H-Box (DOTA polygons: their enclosing box); rhbox: box '
                             'enclosing the rotated box; auto: H-Box where the object has one, '
                             'else RH-Box. Default: the paper\'s per subset, from --classes '
                             '(sota, sior: hbox; fast: rhbox; a class-map file: auto)')
    parser.add_argument('--overlap-order', default=DEFAULT_OVERLAP_ORDER,
                        choices=OVERLAP_ORDERS,
                        help='larger-first (default): small objects stay visible; '
                             'annotation: later objects overwrite earlier (the authors)')
    parser.add_argument('--batch-boxes', type=int, default=64,
                        help='boxes decoded per SAM mask-decoder call')
    parser.add_argument('--skip-difficult', action='store_true',
                        help='leave out objects flagged difficult')
    parser.add_argument('--device', default=None,
                        help='default: cuda if available, else cpu; launched by torchrun or '
                             'srun, "cuda" means cuda:LOCAL_RANK (SLURM_LOCALID)')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--link-images', action='store_true',
                        help='symlink the labelled images into OUT/images, so that OUT is a '
                             'SAMRS subset folder (images/ + gray/) the datasets read')
    parser.add_argument('--coco-splits', nargs='+', default=[], metavar='SPLIT_FILE',
                        help='also write OUT/instances_<split>.json with the images listed in '
                             'each split file (e.g. train.txt val.txt)')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar')
    parser.add_argument('--shard-id', type=int, default=None,
                        help='label only shard K of --num-shards (default: from torchrun '
                             'RANK, a Slurm array or SLURM_PROCID; else unsharded)')
    parser.add_argument('--num-shards', type=int, default=None,
                        help='number of shards (default: torchrun WORLD_SIZE, '
                             'SLURM_ARRAY_TASK_COUNT or SLURM_NTASKS; else 1)')
    parser.add_argument('--merge-only', action='store_true',
                        help='after all shards finished: check that every image is done '
                             'exactly once and assemble OUT (same arguments as the shards)')
    parser.add_argument('--allow-skipped', action='store_true',
                        help='with --merge-only: accept images a shard skipped for a bad '
                             'input (listed as problems), as an unsharded run does')
    args = parser.parse_args(argv)
    if args.prompt is None:
        args.prompt = default_prompt(args.classes)
    if not args.merge_only and args.sam_checkpoint is None:
        parser.error('--sam-checkpoint is required (unless --merge-only)')
    return args


def link_images(out: str) -> None:
    """Symlink every labelled image (per-image records) into ``out/images``."""
    os.makedirs(osp.join(out, 'images'), exist_ok=True)
    for name in sorted(n for n in os.listdir(osp.join(out, 'instances')) if n.endswith('.json')):
        with open(osp.join(out, 'instances', name)) as f:
            record = json.load(f)
        link = osp.join(out, 'images', record['file_name'])
        if not osp.lexists(link):
            os.symlink(record['image_file'], link)


def print_summary(summary: dict, coco_line: str, summary_file: str) -> None:
    """Print the counts and problems of a run (or of the merged shards).

    Args:
        summary (dict): The run's summary.
        coco_line (str): Start of the line with the COCO counts (what was written where).
        summary_file (str): The summary file named next to the problems.
    """
    print(f'images: {summary["images"]}, labelled now: {summary["processed"]}, already done '
          f'(skipped): {summary["skipped_done"]}, instances now: {summary["instances"]} '
          f'({summary["empty_masks"]} empty masks), prompt: {summary["prompt"]} '
          f'{summary["prompt_types"]}')
    print(f'{coco_line}: {summary["coco_images"]} images, {summary["coco_annotations"]} '
          'instances')
    empty = summary['images_without_objects']
    if empty:
        print(f'{len(empty)} image(s) without objects (all-255 labels): '
              f'{", ".join(empty[:20])}{" ..." if len(empty) > 20 else ""}')
    if summary['problems']:
        print(f'{len(summary["problems"])} problem(s) (also in {summary_file}):')
        for p in summary['problems']:
            where = f'{p["file"]}:{p["line"]}' if p['line'] is not None else p['file']
            print(f'  {where}: {p["message"]} [{p["action"]}]')


def finish(args: argparse.Namespace, summary: dict) -> None:
    """The steps on the complete output: image links, COCO splits, the summary line.

    Args:
        args (argparse.Namespace): The parsed command line.
        summary (dict): The summary of the run or of the merge.
    """
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


def main(argv=None) -> int:
    args = parse_args(argv)
    mapper = ClassMapper.from_spec(args.classes)
    settings = dict(model_type=args.model_type, sam_checkpoint=args.sam_checkpoint)
    if args.merge_only:
        label_settings = dict(settings, format=args.format, classes=list(mapper.classes),
                              prompt=args.prompt, overlap_order=args.overlap_order,
                              skip_difficult=args.skip_difficult)
        try:
            summary = merge_shards(args.out, args.images, args.annotations, args.format,
                                   mapper.classes, label_settings,
                                   allow_skipped=args.allow_skipped)
        except ShardMergeError as err:
            print(err, file=sys.stderr)
            return 1
        print_summary(summary, f'merged {summary["num_shards"]} shards -> '
                               f'{args.out}/instances.json', osp.join(args.out, 'summary.json'))
        finish(args, summary)
        return 0

    try:
        shard = resolve_shard(args.shard_id, args.num_shards)
    except ValueError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    device = shard_device(args.device, shard, torch.cuda.device_count())
    if shard.num_shards > 1:
        print(f'shard {shard.shard_id} of {shard.num_shards} ({shard.source}) on {device}')

    def make_labeler() -> SamBoxLabeler:
        sam = build_sam(args.model_type, args.sam_checkpoint, device)
        return SamBoxLabeler(sam, batch_size=args.batch_boxes)

    try:
        generator = LabelGenerator(
            args.out, mapper, args.format, make_labeler, prompt=args.prompt,
            overlap_order=args.overlap_order, skip_difficult=args.skip_difficult,
            settings=settings, shard_id=shard.shard_id, num_shards=shard.num_shards)
    except ValueError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    summary = generator.run(args.images, args.annotations, progress=not args.no_progress)
    summary_file = osp.join(generator.out_dir, 'summary.json')
    if shard.num_shards > 1:
        print_summary(summary, f'shard {shard.shard_id} -> {generator.out_dir}', summary_file)
        print('summary: ' + json.dumps({k: v for k, v in summary.items() if k != 'problems'}))
        print('when every shard has finished, merge: the same command with --merge-only')
        return 0
    print_summary(summary, f'merged COCO -> {args.out}/instances.json', summary_file)
    finish(args, summary)
    return 0


if __name__ == '__main__':
    sys.exit(main())
