"""Train a model from a config of any supported toolbox (mmpretrain, mmseg, mmdet, mmrotate).

The config's ``default_scope`` selects the toolbox. Examples::

    python tools/train.py configs/benchmarks/classification/resnet50_8xb32-100e_aid.py
    python tools/train.py CONFIG --work-dir work_dirs/x --resume \
        --cfg-options train_cfg.max_epochs=5
    bash tools/dist_train.sh CONFIG 8 [--amp]
"""
import argparse
import os
import sys

# Apply mmrsfm's upstream compatibility fixes before any OpenMMLab module is used.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# isort: off
import mmrsfm  # noqa: E402,F401
from mmengine.config import DictAction  # noqa: E402
# isort: on

from mmrsfm.apis import build_runner, load_config, merge_train_args  # noqa: E402
from mmrsfm.compat import trust_checkpoints  # noqa: E402
from mmrsfm.utils.run_logging import filter_upstream_warnings  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model (any mmrsfm/OpenMMLab config)')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from this checkpoint, or (no value) from the latest in the work dir; '
        'stops with an error when there is nothing to resume')
    parser.add_argument(
        '--allow-fresh-start', action='store_true',
        help='with --resume: start from scratch when the work dir has no checkpoint yet '
        '(e.g. the first run of a job that requeues itself)')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision (CUDA)')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by actual / auto_scale_lr.base_batch_size')
    parser.add_argument('--no-validate', action='store_true', help='skip validation')
    parser.add_argument(
        '--unsafe-load-checkpoint', action='store_true',
        help='load checkpoints with full unpickling (weights_only=False); only for trusted files')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, key=value pairs, e.g. train_cfg.max_epochs=2')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    # torch.distributed.launch passes --local-rank (torch >= 2.0) or --local_rank.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main() -> None:
    # Before load_config: resolving `mmdet::` bases imports pkg_resources.
    filter_upstream_warnings()
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    merge_train_args(cfg, args.config, work_dir=args.work_dir, resume=args.resume, amp=args.amp,
                     auto_scale_lr=args.auto_scale_lr, no_validate=args.no_validate,
                     launcher=args.launcher, allow_fresh_start=args.allow_fresh_start)
    with trust_checkpoints(args.unsafe_load_checkpoint):
        runner = build_runner(cfg)
        runner.train()


if __name__ == '__main__':
    main()
