"""Compare SAM prompt types against ground-truth instance masks (the SAMRS prompt study).

Prints mIoU_I / mIoU_P (Eq. 1 of the SAMRS paper, Table 1 style) for H-Box, RH-Box and
centre-point prompts. Ground truth: a COCO instances JSON whose annotations have the mask
(``segmentation``), the horizontal box (``bbox``) and optionally the rotated box (``rbox``,
8 numbers; else the mask's minimum-area rectangle is used). Example (HRSC2016 test set converted
to COCO)::

    python tools/samrs/evaluate_prompts.py --images data/HRSC2016/Test/AllImages \
        --gt data/HRSC2016/test_instances.json --sam-checkpoint sam_vit_h_4b8939.pth \
        --model-type vit_h --out work_dirs/prompt_study.json
"""
import argparse
import json
import os
import sys

import torch
from pycocotools.coco import COCO

from mmrsfm.datatools.sam_labels import SAM_MODEL_TYPES, SamBoxLabeler, build_sam
from mmrsfm.datatools.sam_labels.prompt_study import STUDY_PROMPTS, evaluate_prompts, format_table
from mmrsfm.utils import atomic_write_json


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--images', required=True, help='folder the COCO file names are in')
    parser.add_argument('--gt', required=True, help='COCO instances JSON with masks and boxes')
    parser.add_argument('--sam-checkpoint', required=True, help='SAM state dict (.pth)')
    parser.add_argument('--model-type', default='vit_h', choices=SAM_MODEL_TYPES)
    parser.add_argument('--prompts', nargs='+', default=list(STUDY_PROMPTS),
                        choices=STUDY_PROMPTS)
    parser.add_argument('--batch-boxes', type=int, default=64)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--out', help='also write the results (per prompt and class) as JSON')
    parser.add_argument('--no-progress', action='store_true')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if not os.path.isfile(args.gt):
        raise FileNotFoundError(f'ground truth {args.gt} does not exist')
    coco = COCO(args.gt)
    labeler = SamBoxLabeler(build_sam(args.model_type, args.sam_checkpoint, args.device),
                            batch_size=args.batch_boxes)
    results = evaluate_prompts(labeler, coco, args.images, args.prompts,
                               progress=not args.no_progress)
    print(format_table(results))
    print('results: ' + json.dumps(results))
    if args.out:
        atomic_write_json(args.out, results)
    return 0


if __name__ == '__main__':
    sys.exit(main())
