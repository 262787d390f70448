"""Evaluate a checkpoint with a config of any supported toolbox (mmpretrain, mmseg, mmdet,
mmrotate); the config's ``default_scope`` selects the toolbox. Examples::

    python tools/test.py CONFIG work_dirs/x/epoch_12.pth
    python tools/test.py CONFIG CKPT --out results.pkl --cfg-options test_dataloader.batch_size=4
    bash tools/dist_test.sh CONFIG CKPT 8
"""
import argparse
import json
import numbers
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# isort: off
import mmrsfm  # noqa: E402,F401
from mmengine.config import DictAction  # noqa: E402
# isort: on

from mmrsfm.apis import build_runner, load_config, merge_test_args  # noqa: E402
from mmrsfm.compat import trust_checkpoints  # noqa: E402
from mmrsfm.utils.run_logging import filter_upstream_warnings  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a checkpoint (any mmrsfm/OpenMMLab config)')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument('--out', help='dump the raw predictions to this .pkl file')
    parser.add_argument(
        '--unsafe-load-checkpoint', action='store_true',
        help='load the checkpoint with full unpickling (weights_only=False); trusted files only')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, key=value pairs, e.g. test_dataloader.batch_size=4')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> None:
    # Before load_config: resolving `mmdet::` bases imports pkg_resources.
    filter_upstream_warnings()
    args = parse_args()
    if not os.path.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint} does not exist')
    cfg = load_config(args.config, args.cfg_options)
    merge_test_args(cfg, args.config, args.checkpoint, work_dir=args.work_dir, out=args.out,
                    launcher=args.launcher)
    with trust_checkpoints(args.unsafe_load_checkpoint):
        runner = build_runner(cfg)
        metrics = runner.test()
    printable = {k: float(v) if isinstance(v, numbers.Real) else str(v) for k, v in metrics.items()}
    print(f'metrics: {json.dumps(printable)}')


if __name__ == '__main__':
    main()
