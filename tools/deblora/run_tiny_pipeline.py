"""The whole debLoRA procedure on a tiny synthetic long-tailed DOTA-LT-style crop set, on CPU in a
few minutes: the commands a user runs at full scale, with the tiny configs.

    python tools/deblora/run_tiny_pipeline.py [--work-dir work_dirs/deblora_tiny] [--seed 0]

1. stage 1  tools/train.py  lora_vit-tiny-...py               (LoRA on a random-init tiny ViT)
2. stage 2  tools/deblora/cluster_features.py                 (clustering + calibration; writes
                                                               the stage-3 init file too)
3. stage 3  tools/train.py  deblora_vit-tiny-...py            (debLoRA; init_cfg loads that file)
4. export   tools/model_converters/export_lora_backbone.py    (both backbones, LoRA merged)
5. probe    tools/train.py + tools/test.py linear-probe_vit-tiny-...py, for LoRA and debLoRA

Prints the test macro-F1 (overall / head / middle / tail) of both probes. Every stage is seeded
with ``--seed`` (the training runs through ``randomness.seed``, deterministic algorithms on; the
k-means of stage 2; the random ViT init), so two runs with the same seed print the same figures.
The generated data does not depend on the seed.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
from typing import List, Tuple

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)
CONFIGS = osp.join(REPO, 'configs', 'deblora')
LORA_CFG = osp.join(CONFIGS, 'lora_vit-tiny-p8-32px_1xb8-2e_dota-lt.py')
DEBLORA_CFG = osp.join(CONFIGS, 'deblora_vit-tiny-p8-32px_1xb8-2e_dota-lt.py')
PROBE_CFG = osp.join(CONFIGS, 'linear-probe_vit-tiny-p8-32px_1xb8-5e_dota-lt.py')


def run(*cmd: str) -> str:
    """Run a tool of this repository with this interpreter, from the repository root.

    Args:
        *cmd (str): The script (relative to the repository root) and its arguments.

    Returns:
        str: Its standard output.

    Raises:
        SystemExit: The command failed (the end of its output is written to stderr first).
    """
    print('[deblora-tiny] ' + ' '.join(cmd), flush=True)
    # Deterministic algorithms on CUDA need a fixed cuBLAS workspace (a no-op on CPU).
    env = dict(os.environ, PYTHONPATH=REPO,
               CUBLAS_WORKSPACE_CONFIG=os.environ.get('CUBLAS_WORKSPACE_CONFIG', ':4096:8'))
    result = subprocess.run([sys.executable, *cmd], cwd=REPO, capture_output=True, text=True,
                            env=env)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f'[deblora-tiny] failed: {" ".join(cmd)}')
    return result.stdout


def tiny_train_counts() -> List[int]:
    """Training crops per class of the tiny DOTA-LT set, in label order (imbalance ratio 20).

    Returns:
        list[int]: One count per class of the DOTA-LT config: 40 for the largest head class down
        to 2 for the smallest tail class, geometrically.
    """
    from mmengine.config import Config
    cfg = Config.fromfile(LORA_CFG)
    classes = cfg.classes
    train_counts = [max(2, round(40 * (1 / 20)**(i / (len(classes) - 1))))
                    for i in range(len(classes))]
    # Head classes of the DOTA-LT grouping get the most samples, tail classes the fewest.
    order = cfg.class_groups['head'] + cfg.class_groups['middle'] + cfg.class_groups['tail']
    per_class = [0] * len(classes)
    for rank, label in enumerate(order):
        per_class[label] = train_counts[rank]
    return per_class


def write_crops(work_dir: str) -> str:
    """Write tiny DOTA-LT-style crops: ``<work_dir>/data/{train,val,test}/<class>/*.jpg``.

    Train follows :func:`tiny_train_counts`; val has 3 and test 5 crops per class (32 px).

    Args:
        work_dir (str): Folder of the run.

    Returns:
        str: The data root.
    """
    from mmengine.config import Config

    from mmrsfm.testing import write_scene_folder
    data_root = osp.join(work_dir, 'data')
    classes = Config.fromfile(LORA_CFG).classes
    write_scene_folder(osp.join(data_root, 'train'), classes, tiny_train_counts(), 0, size=32,
                       seed=0)
    write_scene_folder(osp.join(data_root, 'val'), classes, 3, 0, size=32, seed=1)
    write_scene_folder(osp.join(data_root, 'test'), classes, 5, 0, size=32, seed=2)
    return data_root


def write_data(work_dir: str, seed: int = 0) -> Tuple[str, str]:
    """DOTA-LT layout with imbalance ratio 20 in train; balanced val/test; a random ViT init.

    Args:
        work_dir (str): Folder of the run; data goes to ``<work_dir>/data``.
        seed (int): Seed of the random ViT init (the data is the same for every seed).
            Defaults to 0.

    Returns:
        tuple[str, str]: The data root and the path of the ViT init checkpoint.
    """
    import torch
    from mmengine.config import Config
    from mmpretrain.registry import MODELS

    data_root = write_crops(work_dir)
    cfg = Config.fromfile(LORA_CFG)
    pretrained = osp.join(work_dir, 'vit-tiny-init.pth')
    torch.manual_seed(seed)
    module_cfg = dict(cfg.model.backbone.module, init_cfg=None)
    vit = MODELS.build(module_cfg)
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in vit.state_dict().items()}},
               pretrained)
    print(f'[deblora-tiny] data in {data_root} (train counts {tiny_train_counts()}); '
          f'init {pretrained}')
    return data_root, pretrained


def main() -> None:
    """Run the five steps and print the probes' test macro-F1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/deblora_tiny')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of every stage (training, k-means, ViT init); default 0')
    args = parser.parse_args()
    work_dir = osp.abspath(args.work_dir)
    import mmrsfm  # noqa: F401
    data_root, pretrained = write_data(work_dir, args.seed)
    seed = f'randomness.seed={args.seed}'
    data = [f'{s}_dataloader.dataset.data_root={data_root}' for s in ('train', 'val', 'test')]
    init = f'model.backbone.module.init_cfg.checkpoint={pretrained}'
    lora_dir, deblora_dir = osp.join(work_dir, 'lora'), osp.join(work_dir, 'deblora')
    calibration = osp.join(lora_dir, 'calibration.npz')
    stage3_init = f'model.init_cfg.checkpoint={osp.join(lora_dir, "calibration_init.pth")}'

    run('tools/train.py', LORA_CFG, '--work-dir', lora_dir, '--cfg-options', init, seed, *data)
    run('tools/deblora/cluster_features.py', LORA_CFG, osp.join(lora_dir, 'epoch_2.pth'),
        '--out', calibration, '--num-clusters', '8', '--seed', str(args.seed), '--cfg-options',
        init, *data)
    run('tools/train.py', DEBLORA_CFG, '--work-dir', deblora_dir, '--cfg-options', stage3_init,
        seed, f'train_dataloader.dataset.data_root={data_root}')
    results = {}
    # Stage 1's LoRAModel reads the ViT init when built; DebLoRA builds from its config alone.
    for name, cfg, ckpt, options in (
            ('LoRA', LORA_CFG, osp.join(lora_dir, 'epoch_2.pth'), ['--cfg-options', init]),
            ('debLoRA', DEBLORA_CFG, osp.join(deblora_dir, 'epoch_2.pth'), [])):
        backbone = osp.join(work_dir, f'backbone_{name}.pth')
        run('tools/model_converters/export_lora_backbone.py', cfg, ckpt, backbone, *options)
        probe_dir = osp.join(work_dir, f'probe_{name}')
        run('tools/train.py', PROBE_CFG, '--work-dir', probe_dir, '--cfg-options',
            f'model.backbone.init_cfg.checkpoint={backbone}', seed, *data)
        out = run('tools/test.py', PROBE_CFG, osp.join(probe_dir, 'epoch_5.pth'), '--work-dir',
                  probe_dir, '--cfg-options', f'model.backbone.init_cfg.checkpoint={backbone}',
                  seed, *data)
        line = [ln for ln in out.splitlines() if ln.startswith('metrics: ')][-1]
        results[name] = json.loads(line[len('metrics: '):])
    with open(osp.join(work_dir, 'results.json'), 'w') as f:
        json.dump(results, f, indent=2)
    print('[deblora-tiny] test macro-F1 (%): overall / head / middle / tail')
    for name, metrics in results.items():
        print(f'[deblora-tiny]   {name:8s} ' + ' / '.join(
            f'{metrics[f"long-tail/{k}"]:.1f}'
            for k in ('macro_f1', 'head_f1', 'middle_f1', 'tail_f1')))
    print(f'[deblora-tiny] results in {osp.join(work_dir, "results.json")}')


if __name__ == '__main__':
    main()
