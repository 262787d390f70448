"""debLoRA for oriented detection end to end on tiny generated DOTA data, on CPU.

The stages a user runs at full scale with the ``configs/deblora/*fcos*`` configs, here with their
ViT-tiny siblings, each through the repository's command-line tools in a subprocess:

1. stage 1   ``tools/train.py``  LoRA rotated FCOS (LoRA on a random "pretrained" tiny ViT);
2. stage 2   ``tools/deblora/cluster_features.py`` (object features pooled from the ground-truth
   boxes, k-means, de-biased centres, calibration; writes the stage-3 init file);
3. stage 3   ``tools/train.py``  debLoRA (``DetDebLoRA``, teacher frozen, adapter trained);
4. export    ``tools/model_converters/export_lora_backbone.py`` (g_phi merged);
5. stage 4   ``tools/train.py`` + ``tools/test.py``: rotated FCOS on the frozen debLoRA
   backbone; ``tools/test.py`` of the stage-1 detector gives the LoRA row.

Both test runs report DOTA mAP and head / middle / tail mAP (``GroupedMAPMetric``).
"""
from __future__ import annotations

import json
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Sequence

import cv2
import numpy as np

from .rs_formats import DOTA_CLASSES, _background, _class_colour, _random_rotated_box

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_CONFIGS = osp.join(REPO_ROOT, 'configs', 'deblora')
#: The ViT-tiny configs of the chain, by stage.
TINY_DETECTION_CONFIGS: Dict[str, str] = {
    'lora': osp.join(_CONFIGS, 'rotated-fcos-le90_vit-tiny-p8-64px-lora_fpn_1xb2-2e_dota.py'),
    'deblora': osp.join(_CONFIGS, 'deblora-fcos_vit-tiny-p8-64px_1xb2-2e_dota.py'),
    'detector':
    osp.join(_CONFIGS, 'rotated-fcos-le90_vit-tiny-p8-64px-deblora_fpn_1xb2-2e_dota.py'),
}
#: Objects per class in the tiny training split, in :data:`DOTA_CLASSES` order: head classes
#: (ship, large- and small-vehicle) 12, the middle ones 6, the tail ones 2 (imbalance ratio 6,
#: so with ``--scale`` 2 the tail classes get alpha 1/3).
TINY_TRAIN_COUNTS = (6, 2, 6, 2, 12, 12, 12, 6, 2, 6, 2, 2, 6, 6, 2)


def write_long_tailed_dota(root: str,
                           split: str,
                           counts: Sequence[int],
                           size: int = 64,
                           per_image: int = 3,
                           seed: int = 0) -> List[str]:
    """Write a DOTA split (mmrotate's patch layout) holding ``counts[c]`` objects of class ``c``.

    Objects are filled rotated rectangles in a class colour on a noisy background (as
    :func:`mmrsfm.testing.write_dota`), ``per_image`` to an image in a shuffled order; files are
    ``root/split/images/P*.png`` and ``root/split/annfiles/P*.txt`` (``x1 y1 ... x4 y4 class 0``).

    Args:
        root (str): Dataset folder.
        split (str): Split folder, e.g. ``'trainval'`` or ``'val'``.
        counts (Sequence[int]): Objects per class, for the first ``len(counts)`` DOTA classes.
        size (int): Image side in pixels. Defaults to 64.
        per_image (int): Objects per image (the last image may hold fewer). Defaults to 3.
        seed (int): Seed of the order, shapes and noise. Defaults to 0.

    Returns:
        list[str]: The image ids written.
    """
    rng = np.random.RandomState(seed)
    labels = rng.permutation(np.repeat(np.arange(len(counts)), counts))
    img_dir, ann_dir = osp.join(root, split, 'images'), osp.join(root, split, 'annfiles')
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(ann_dir, exist_ok=True)
    ids = []
    for i, start in enumerate(range(0, len(labels), per_image)):
        image, lines = _background(rng, size), []
        for label in labels[start:start + per_image]:
            corners = _random_rotated_box(rng, size)
            cv2.fillPoly(image, [np.round(corners).astype(np.int32)], _class_colour(int(label)))
            coords = ' '.join(f'{v:.1f}' for v in corners.reshape(-1))
            lines.append(f'{coords} {DOTA_CLASSES[int(label)]} 0')
        img_id = f'P{i:04d}'
        cv2.imwrite(osp.join(img_dir, f'{img_id}.png'), image)
        with open(osp.join(ann_dir, f'{img_id}.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
        ids.append(img_id)
    return ids


def _run(args: Sequence[str], log: List[str]) -> str:
    """Run a repository tool with this interpreter from the repository root; its stdout."""
    log.append(' '.join(args))
    env = dict(os.environ, PYTHONPATH=REPO_ROOT,
               CUBLAS_WORKSPACE_CONFIG=os.environ.get('CUBLAS_WORKSPACE_CONFIG', ':4096:8'))
    result = subprocess.run([sys.executable, *args], cwd=REPO_ROOT, capture_output=True,
                            text=True, env=env)
    if result.returncode != 0:
        raise RuntimeError(f'tiny debLoRA detection chain: {" ".join(args)} failed:\n'
                           f'{result.stdout[-3000:]}\n{result.stderr[-3000:]}')
    return result.stdout


def _metrics(stdout: str) -> Dict[str, float]:
    """The ``metrics: {...}`` line ``tools/test.py`` prints."""
    line = [ln for ln in stdout.splitlines() if ln.startswith('metrics: ')][-1]
    return json.loads(line[len('metrics: '):])


def run_tiny_detection_chain(work_dir: str, seed: int = 0) -> Dict[str, object]:
    """Run debLoRA detection stages 1-4 on tiny generated long-tailed DOTA data (CPU, minutes).

    Writes under ``work_dir``: ``data/`` (``trainval`` with :data:`TINY_TRAIN_COUNTS`
    objects, ``val`` with 2 per class), ``vit-tiny-init.pth`` (random "pretrained" ViT, seeded),
    ``lora/`` (stage 1, ``calibration.npz`` / ``.json`` and ``calibration_init.pth`` of
    stage 2), ``deblora/`` (stage 3), ``backbone_debLoRA.pth`` (export), ``detector/`` (stage 4)
    and ``results.json``.

    Args:
        work_dir (str): Output folder (created).
        seed (int): Seed of the ViT init, the training runs and the k-means. Defaults to 0.

    Returns:
        dict: ``outputs`` (stage name -> file), ``commands`` (the commands run, in order) and
        ``metrics`` (``'LoRA'`` and ``'debLoRA'`` -> the test metrics, with
        ``dota/head_mAP`` ...).
    """
    import torch
    from mmengine.config import Config
    from mmpretrain.registry import MODELS

    work_dir = osp.abspath(work_dir)
    data_root = osp.join(work_dir, 'data') + '/'
    write_long_tailed_dota(data_root, 'trainval', TINY_TRAIN_COUNTS, seed=0)
    write_long_tailed_dota(data_root, 'val', [2] * len(DOTA_CLASSES), seed=1)

    cfgs = TINY_DETECTION_CONFIGS
    init = osp.join(work_dir, 'vit-tiny-init.pth')
    torch.manual_seed(seed)
    vit_cfg = dict(Config.fromfile(cfgs['lora']).tiny_vit, init_cfg=None)
    vit_cfg['type'] = vit_cfg['type'].split('.')[-1]
    vit = MODELS.build(vit_cfg)
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in vit.state_dict().items()}}, init)

    lora_dir, deblora_dir = osp.join(work_dir, 'lora'), osp.join(work_dir, 'deblora')
    detector_dir = osp.join(work_dir, 'detector')
    calibration = osp.join(lora_dir, 'calibration.npz')
    stage3_init = osp.join(lora_dir, 'calibration_init.pth')
    backbone = osp.join(work_dir, 'backbone_debLoRA.pth')
    data = [f'{s}_dataloader.dataset.data_root={data_root}' for s in ('train', 'val', 'test')]
    common = [f'randomness.seed={seed}', *data]
    vit_init = f'model.backbone.module.init_cfg.checkpoint={init}'
    log: List[str] = []

    _run(['tools/train.py', cfgs['lora'], '--work-dir', lora_dir, '--cfg-options', vit_init,
          *common], log)
    stage1 = osp.join(lora_dir, 'epoch_2.pth')
    _run(['tools/deblora/cluster_features.py', cfgs['lora'], stage1, '--out', calibration,
          '--num-clusters', '4', '--scale', '2', '--seed', str(seed), '--cfg-options', vit_init,
          *data], log)
    _run(['tools/train.py', cfgs['deblora'], '--work-dir', deblora_dir, '--cfg-options',
          f'model.init_cfg.checkpoint={stage3_init}', f'randomness.seed={seed}', data[0]], log)
    stage3 = osp.join(deblora_dir, 'epoch_2.pth')
    _run(['tools/model_converters/export_lora_backbone.py', cfgs['deblora'], stage3, backbone],
         log)
    detector_init = f'model.backbone.init_cfg.checkpoint={backbone}'
    _run(['tools/train.py', cfgs['detector'], '--work-dir', detector_dir, '--cfg-options',
          detector_init, *common], log)
    metrics = {
        'LoRA': _metrics(_run(['tools/test.py', cfgs['lora'], stage1, '--work-dir', lora_dir,
                               '--cfg-options', vit_init, *common], log)),
        'debLoRA': _metrics(_run(['tools/test.py', cfgs['detector'],
                                  osp.join(detector_dir, 'epoch_2.pth'), '--work-dir',
                                  detector_dir, '--cfg-options', detector_init, *common], log)),
    }
    result = dict(
        outputs=dict(data=data_root, vit_init=init, stage1=stage1, calibration=calibration,
                     stage3_init=stage3_init, stage3=stage3, backbone=backbone,
                     stage4=osp.join(detector_dir, 'epoch_2.pth')),
        commands=log, metrics=metrics)
    with open(osp.join(work_dir, 'results.json'), 'w') as f:
        json.dump(result, f, indent=2)
    return result
