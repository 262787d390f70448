"""Merge DOTA patch detections back to full images and write the task-1 submission files.

Input: the predictions of an mmrotate detector on split patches, dumped by
``tools/test.py CONFIG CKPT --out preds.pkl`` (patch names ``<id>__<rate>__<x>___<y>``, any
rates). Boxes are moved by the patch offset, divided by the rate, and de-duplicated by
class-wise rotated NMS. Output: ``OUT/Task1_<class>.txt`` (+ ``OUT/<name>.zip`` for the server
with ``--zip``). With ``--eval-ann-dir`` (full-image labelTxt files, e.g. the val set) the
merged detections are also scored as the DOTA devkit scores task 1.

Examples:
    # CONFIG_TEST: the model config with `test_dataloader = _base_.submission_dataloader`
    # (configs/_base_/datasets/dota.py) and any evaluator, e.g. DOTAMetric(format_only=True)
    python tools/test.py CONFIG_TEST CKPT --out work_dirs/preds_test.pkl
    python tools/dataset_converters/dota_merge.py work_dirs/preds_test.pkl work_dirs/Task1 --zip
    # a DOTA-v2.0 model (18 classes, mmrotate's DOTAv2Dataset label order)
    python tools/dataset_converters/dota_merge.py preds.pkl work_dirs/Task1 --classes v2.0

Re-running rewrites the same files (each written atomically). The ``.pkl`` is read without
running code: only builtins, numpy arrays, tensors and mmdet/mmrotate box structures are
unpickled (``--unsafe-load`` reads a file you trust fully).
"""
import argparse
import json
import os.path as osp
import sys
from typing import List, Optional

from tqdm import tqdm

from mmrsfm.datasets.formats import DOTA_VERSIONS, dota_classes
from mmrsfm.evaluation.functional import (detections_from_results, load_results,
                                          merge_patch_detections, write_task1_files)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('preds', help='.pkl of patch predictions (tools/test.py --out)')
    parser.add_argument('out', help='output folder for Task1_<class>.txt')
    parser.add_argument('--iou-thr', type=float, default=0.1, help='IoU threshold of the NMS')
    parser.add_argument('--classes', default='v1.0',
                        help=f'classes in label order: {", ".join(DOTA_VERSIONS)} (the DOTA '
                        'versions, in the label order of mmrotate\'s DOTADataset / '
                        'DOTAv15Dataset / DOTAv2Dataset) or a text file with one class name per '
                        'line (default: v1.0, the 15 DOTA-v1.0 classes)')
    parser.add_argument('--zip', action='store_true', help='also write OUT/<OUT name>.zip')
    parser.add_argument('--eval-ann-dir', help='full-image labelTxt folder to score against')
    parser.add_argument('--unsafe-load', action='store_true',
                        help='unpickle PREDS fully (it can run code); only for files you trust')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    try:
        classes = list(dota_classes(args.classes))
        results = load_results(args.preds, trusted=args.unsafe_load)
        patches = detections_from_results(tqdm(results, desc='read', unit='patch'))
        merged = merge_patch_detections(tqdm(patches, desc='merge', unit='patch'),
                                        len(classes), args.iou_thr)
        zip_name = osp.basename(osp.normpath(args.out)) + '.zip' if args.zip else None
        paths = write_task1_files(merged, classes, args.out, zip_name)
        print(f'{len(merged)} images -> {len(classes)} Task1 files in {args.out}'
              + (f' and {paths[-1]}' if zip_name else ''))
        if args.eval_ann_dir:
            from mmrsfm.evaluation.functional.dota_eval import (eval_dota_task1,
                                                                load_dota_ground_truth,
                                                                load_task1_detections)
            gts = load_dota_ground_truth(args.eval_ann_dir, classes)
            scores = eval_dota_task1(load_task1_detections(args.out, classes), gts, classes)
            print(f'dota task1: {json.dumps(scores)}')
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')


if __name__ == '__main__':
    main()
