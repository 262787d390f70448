"""Compare SAM prompt settings against ground-truth instance masks (the SAMRS prompt study).

Prints mIoU_I / mIoU_P (Eq. 1 of the SAMRS paper) for the 15 prompt settings of Table 1 of the
paper (centre point CP, H-Box, RH-Box, the mask prompts H-Box-M / R-Box-M / RH-Box-M and their
combinations), in the paper's layout.

Ground truth, one of:

* HRSC2016 as released (``--hrsc-ann``, ``--hrsc-seg``): the XML annotations (H-Box
  ``box_*`` and R-Box ``mbox_*`` of every ship, and its ``seg_color``) and the colour-coded
  segmentation PNGs ``<Img_FileName>.png`` (a ship's pixels have its ``seg_color``). Images
  whose ships all have a ``seg_color`` take part (124 test images in the paper). Layout::

      HRSC2016/Test/AllImages/<id>.bmp         (<Img_FileName>.<Img_FileFmt>)
      HRSC2016/Test/Annotations/<id>.xml
      HRSC2016/FullDataSet/LandMask/<id>.png   (the folder the SAMRS authors' script reads)

  ::

      python tools/samrs/evaluate_prompts.py --images data/HRSC2016/Test/AllImages \\
          --hrsc-ann data/HRSC2016/Test/Annotations \\
          --hrsc-seg data/HRSC2016/FullDataSet/LandMask \\
          --sam-checkpoint checkpoints/sam_vit_h_4b8939.pth --model-type vit_h --paper \\
          --out work_dirs/prompt_study.json

* a COCO instances JSON (``--gt``): ``segmentation`` is the mask, ``bbox`` the H-Box and
  ``rbox`` (8 numbers, optional) the R-Box; without ``rbox`` the mask's minimum-area
  rectangle is used.

``--settings`` picks rows by name (``CP``, ``H-Box``, ``CP+H-Box+H-Box-M``, ...; default all);
``--prompts hbox rhbox point`` is the older spelling of ``--settings H-Box RH-Box CP`` and
prints the short summary table.
"""
import argparse
import json
import os
import sys

import torch
from pycocotools.coco import COCO

from mmrsfm.datatools.sam_labels import SAM_MODEL_TYPES, SamBoxLabeler, build_sam
from mmrsfm.datatools.sam_labels.prompt_study import (SETTINGS, STUDY_PROMPTS, COCOStudySet,
                                                      HRSCStudySet, format_summary, format_table,
                                                      read_id_list, resolve_settings,
                                                      run_prompt_study)
from mmrsfm.utils import atomic_write_json


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0], epilog=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--images', required=True, help='folder of the images')
    gt = parser.add_argument_group('ground truth (--gt, or --hrsc-ann with --hrsc-seg)')
    gt.add_argument('--gt', help='COCO instances JSON with masks and boxes')
    gt.add_argument('--hrsc-ann', help='folder of HRSC2016 XML annotations '
                    '(e.g. HRSC2016/Test/Annotations)')
    gt.add_argument('--hrsc-seg', help='folder of the HRSC2016 colour-coded segmentation PNGs '
                    '<Img_FileName>.png (the SAMRS authors read HRSC2016/FullDataSet/LandMask)')
    gt.add_argument('--split', help='with --hrsc-ann: file of the image ids to use, one per '
                    'line (default: every XML of --hrsc-ann)')
    parser.add_argument('--sam-checkpoint', required=True, help='SAM state dict (.pth)')
    parser.add_argument('--model-type', default='vit_h', choices=SAM_MODEL_TYPES)
    rows = parser.add_mutually_exclusive_group()
    rows.add_argument('--settings', nargs='+', choices=list(SETTINGS), metavar='SETTING',
                      help=f'Table-1 rows to evaluate (default: all): {", ".join(SETTINGS)}')
    rows.add_argument('--prompts', nargs='+', choices=STUDY_PROMPTS,
                      help='older spelling: hbox = H-Box, rhbox = RH-Box, point = CP; prints '
                      'the short summary and keys the JSON by these names')
    parser.add_argument('--paper', action='store_true',
                        help="print the paper's mIoU_I / mIoU_P beside ours")
    parser.add_argument('--batch-boxes', type=int, default=64,
                        help='prompts per mask-decoder call')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--out', help='also write the results (per setting and class) as JSON')
    parser.add_argument('--no-progress', action='store_true')
    args = parser.parse_args(argv)
    if (args.gt is None) == (args.hrsc_ann is None):
        parser.error('give the ground truth as either --gt or --hrsc-ann (with --hrsc-seg)')
    if args.hrsc_ann is not None and args.hrsc_seg is None:
        parser.error('--hrsc-ann needs --hrsc-seg (the segmentation PNG folder)')
    if args.split is not None and args.hrsc_ann is None:
        parser.error('--split goes with --hrsc-ann')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.gt is not None:
        if not os.path.isfile(args.gt):
            raise FileNotFoundError(f'ground truth {args.gt} does not exist')
        images = COCOStudySet(COCO(args.gt), args.images)
    else:
        ids = read_id_list(args.split) if args.split else None
        images = HRSCStudySet(args.hrsc_ann, args.hrsc_seg, args.images, ids)
        print(f'HRSC2016: {len(images)} images with segmentation labels, '
              f'{len(images.skipped)} without (left out)')
    names = args.prompts or args.settings
    settings = resolve_settings(names)
    labeler = SamBoxLabeler(build_sam(args.model_type, args.sam_checkpoint, args.device),
                            batch_size=args.batch_boxes)
    results = run_prompt_study(labeler, images, settings, progress=not args.no_progress)
    if args.prompts:
        results = {p: results[s.name] for p, s in zip(args.prompts, settings)}
        print(format_summary(results))
    else:
        first = next(iter(results.values()))
        print(f'Table 1 (SAMRS prompt study): {first["num_images"]} images, '
              f'{first["num_instances"] + first["num_empty"]} instances')
        print(format_table(results, paper=args.paper))
    if isinstance(images, HRSCStudySet) and images.empty_instances:
        print(f'warning: {len(images.empty_instances)} ships have no pixel of their seg_color '
              f'in the segmentation PNG (first: {images.empty_instances[0]})')
    print('results: ' + json.dumps(results))
    if args.out:
        atomic_write_json(args.out, results)
    return 0


if __name__ == '__main__':
    sys.exit(main())
