"""The first command to run after set-up: a tiny RS dataset in its real format, a short training
of a real benchmark config on it with tools/train.py, and its evaluation.

    python tools/quickstart.py                      # AID-style scene classification (~1 min)
    python tools/quickstart.py --task rotated-detection   # DOTA-style, Oriented R-CNN
    python tools/quickstart.py --task detection     # DIOR-style VOC XML, Faster R-CNN
    python tools/quickstart.py --task segmentation  # LoveDA-style, UperNet

Prints the metric, why it is low on tiny data, and where the logs and checkpoints went. The
console shows the training progress; the environment report and the full config are in the log
file.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import List

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)

#: task -> the dataset of the benchmark config the quick start shrinks.
BENCHMARK_DATA = {
    'classification': 'AID',
    'detection': 'DIOR',
    'rotated-detection': 'DOTA-v1.0 (split into patches by tools/dataset_converters/dota_split.py)',
    'segmentation': 'LoveDA',
}


def explain_metric(task: str, metric_key: str, schedule: str, config: str) -> List[str]:
    """Lines saying what the quick start's metric means (and why mAP is 0.0 for detection).

    Args:
        task (str): Quick-start task, a key of :data:`BENCHMARK_DATA`.
        metric_key (str): The metric printed, e.g. ``pascal_voc/mAP``.
        schedule (str): The tiny schedule, e.g. ``2 epochs``.
        config (str): The benchmark config the quick start shrank.

    Returns:
        list[str]: Lines to print.
    """
    lines = [f'{metric_key} here says nothing about the model: it trained for {schedule} from '
             'random weights (no pretrained download) on a few synthetic images. The run checks '
             'that data format, model, training and evaluation work together.']
    if task in ('detection', 'rotated-detection'):
        lines.append('A detector this short-trained finds (almost) no box overlapping a '
                     f'ground-truth box at IoU >= 0.5, so {metric_key} = 0.0 or close to it is '
                     'expected here, not a fault.')
    lines.append(f'For a real figure, train {config} on the full {BENCHMARK_DATA[task]}; '
                 'see the Data section of README.md.')
    return lines


def parse_args() -> argparse.Namespace:
    from mmrsfm.testing import TASK_CONFIGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--task', default='classification', choices=sorted(TASK_CONFIGS))
    parser.add_argument('--work-dir', default=None,
                        help='defaults to work_dirs/quickstart_<task>')
    return parser.parse_args()


def main() -> int:
    # Before loading any config: mmengine's `mmdet::` base lookup imports pkg_resources.
    from mmrsfm.utils.run_logging import filter_upstream_warnings
    filter_upstream_warnings()
    args = parse_args()
    from mmrsfm.testing import TASK_CONFIGS, TASK_METRICS, make_tiny_config, write_tiny_data

    work_dir = osp.abspath(args.work_dir or osp.join('work_dirs', f'quickstart_{args.task}'))
    data_root = osp.join(work_dir, 'data')
    write_tiny_data(args.task, data_root)
    print(f'[quickstart] wrote a tiny {args.task} dataset to {data_root}')
    cfg = make_tiny_config(args.task, data_root, work_dir)
    config = osp.join(work_dir, f'{args.task}_tiny.py')
    print(f'[quickstart] shrunk {TASK_CONFIGS[args.task]} to {config}')
    start = time.time()
    cmd = [sys.executable, osp.join(REPO_ROOT, 'tools', 'train.py'), config, '--work-dir', work_dir]
    print('[quickstart] running: ' + ' '.join(cmd), flush=True)
    result = subprocess.run(cmd)
    if result.returncode != 0:
        print(f'[quickstart] training failed (exit {result.returncode}); see the log above',
              file=sys.stderr)
        return result.returncode
    metric_key = TASK_METRICS[args.task]
    scalars = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    metrics = {}
    with open(scalars[-1]) as f:
        for line in f:
            record = json.loads(line)
            if metric_key in record:
                metrics = record
    checkpoints = sorted(glob.glob(osp.join(work_dir, '*.pth')), key=os.path.getmtime)
    print(f'[quickstart] trained and evaluated in {time.time() - start:.0f} s')
    print(f'[quickstart] {metric_key} = {metrics.get(metric_key)}')
    print(f'[quickstart] logs: {osp.dirname(osp.dirname(scalars[-1]))}')
    print(f'[quickstart] checkpoint: {checkpoints[-1] if checkpoints else "none"}')
    loop = cfg.train_cfg
    schedule = (f'{loop.max_iters} iterations' if 'max_iters' in loop else
                f'{loop.max_epochs} epochs')
    for line in explain_metric(args.task, metric_key, schedule,
                               TASK_CONFIGS[args.task]):
        print(f'[quickstart] {line}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
