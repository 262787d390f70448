"""The first command to run after set-up: a tiny RS dataset in its real format, a short training
of a real benchmark config on it with tools/train.py, and its evaluation.

    python tools/quickstart.py                      # AID-style scene classification (~1 min)
    python tools/quickstart.py --task rotated-detection   # DOTA-style, Oriented R-CNN
    python tools/quickstart.py --task detection     # DIOR-style VOC XML, Faster R-CNN
    python tools/quickstart.py --task segmentation  # LoveDA-style, UperNet

Prints the metric and where the logs and checkpoints went.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO_ROOT)


def parse_args() -> argparse.Namespace:
    from mmrsfm.testing import TASK_CONFIGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--task', default='classification', choices=sorted(TASK_CONFIGS))
    parser.add_argument('--work-dir', default=None,
                        help='defaults to work_dirs/quickstart_<task>')
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    import mmrsfm  # noqa: F401
    from mmrsfm.testing import TASK_CONFIGS, TASK_METRICS, make_tiny_config, write_tiny_data

    work_dir = osp.abspath(args.work_dir or osp.join('work_dirs', f'quickstart_{args.task}'))
    data_root = osp.join(work_dir, 'data')
    write_tiny_data(args.task, data_root)
    print(f'[quickstart] wrote a tiny {args.task} dataset to {data_root}')
    make_tiny_config(args.task, data_root, work_dir)
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
    return 0


if __name__ == '__main__':
    sys.exit(main())
