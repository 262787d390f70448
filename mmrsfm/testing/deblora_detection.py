"""debLoRA for oriented detection end to end on tiny generated DOTA data, on CPU.

The stages a user runs at full scale with the ``configs/deblora/*fcos*`` configs, here with their
ViT-tiny siblings, each through the repository's command-line tools in a subprocess:

1. stage 1   ``tools/train.py``  LoRA rotated FCOS (LoRA on the foundation model: a given ViT
   checkpoint, e.g. the SelectiveMAE one of ``tools/deblora/run_pipeline.py``, or a seeded
   random tiny ViT);
2. stage 2   ``tools/deblora/cluster_features.py`` (object features pooled from the ground-truth
   boxes, k-means, de-biased centres, calibration; writes the stage-3 init file);
3. stage 3   ``tools/train.py``  debLoRA (``DetDebLoRA``, teacher frozen, adapter trained);
4. export    ``tools/model_converters/export_lora_backbone.py`` (g_phi merged);
5. stage 4   ``tools/train.py`` + ``tools/test.py``: rotated FCOS on the frozen debLoRA
   backbone; ``tools/test.py`` of the stage-1 detector gives the LoRA row.

Both test runs report DOTA mAP and head / middle / tail mAP (``GroupedMAPMetric``). The ViT
of every stage takes the architecture of the foundation checkpoint through ``--cfg-options``
(:func:`detection_arch_options`), so the tiny configs serve any small ViT.
"""
from __future__ import annotations

import json
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Optional, Sequence

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
#: Strides (pixels) of the tiny detectors' pyramid levels (their ``bbox_head.strides``).
PYRAMID_STRIDES = (4, 8, 16, 32)
#: Rescale factors ``mmseg.Feature2Pyramid`` implements.
_FEATURE2PYRAMID_RESCALES = (4, 2, 1, 0.5, 0.25)


def detection_arch_options(checkpoint: str, num_heads: int = 2) -> Dict[str, List[str]]:
    """``--cfg-options`` that give the tiny detection configs the ViT of ``checkpoint``.

    Embedding width, depth, feed-forward width and patch size are read from the tensor shapes
    of the ``backbone.*`` keys (``patch_embed.projection.weight``, ``layers.<i>.`` and
    ``layers.0.ffn.layers.0.0.weight``); the head count cannot be, hence ``num_heads``. The
    image size stays the configs' 64 px: mmpretrain's ``VisionTransformer`` resizes a
    checkpoint's ``pos_embed`` to it on load (``_prepare_pos_embed``, bicubic). Four pyramid
    levels of strides :data:`PYRAMID_STRIDES` are kept: with 4 or more blocks, 4 evenly spaced
    block outputs are rescaled to them (``mmseg.Feature2Pyramid``); with fewer blocks, every
    block output feeds one of the finest levels and the last one also the coarser levels
    (:class:`~mmrsfm.models.necks.RepeatLastFeature2Pyramid`).

    Args:
        checkpoint (str): An mmpretrain ViT checkpoint with ``backbone.*`` keys.
        num_heads (int): Attention heads of the ViT. Defaults to 2 (the debLoRA tiny ViT's).

    Returns:
        dict[str, list[str]]: Per stage of :data:`TINY_DETECTION_CONFIGS` (``'lora'``,
        ``'deblora'``, ``'detector'``), ``key=value`` options for its config.

    Raises:
        ValueError: ``checkpoint`` has no ``backbone.patch_embed.projection.weight`` or
            ``backbone.layers.*`` keys, ``embed_dims`` is not divisible by ``num_heads``, or
            its patch size gives pyramid rescales ``mmseg.Feature2Pyramid`` lacks.
    """
    from mmrsfm.compat import load_from_local

    state = load_from_local(checkpoint, map_location='cpu')
    state = state.get('state_dict', state)
    patch_key = 'backbone.patch_embed.projection.weight'
    layers = {int(k.split('.')[2]) for k in state if k.startswith('backbone.layers.')}
    if patch_key not in state or not layers:
        raise ValueError(f'{checkpoint}: expected an mmpretrain VisionTransformer checkpoint '
                         f'with backbone.* keys ({patch_key}, backbone.layers.<i>.*); found '
                         f'{sorted(state)[:5]}...')
    embed_dims, _, patch_size, _ = state[patch_key].shape
    num_layers = max(layers) + 1
    ffn = state['backbone.layers.0.ffn.layers.0.0.weight'].shape[0]
    if embed_dims % num_heads:
        raise ValueError(f'{checkpoint}: embed_dims {embed_dims} is not divisible by '
                         f'num_heads {num_heads}')
    rescales = [patch_size / stride for stride in PYRAMID_STRIDES]
    if any(r not in _FEATURE2PYRAMID_RESCALES for r in rescales):
        raise ValueError(f'{checkpoint}: patch size {patch_size} needs pyramid rescales '
                         f'{rescales} for strides {PYRAMID_STRIDES}; mmseg.Feature2Pyramid has '
                         f'only {_FEATURE2PYRAMID_RESCALES}')

    def listed(values: Sequence) -> str:
        return '[' + ','.join(f'{v:g}' for v in values) + ']'

    neck = [f'model.neck.0.embed_dim={embed_dims}', f'model.neck.0.rescales={listed(rescales)}',
            f'model.neck.1.in_channels={listed([embed_dims] * len(PYRAMID_STRIDES))}']
    if num_layers >= len(PYRAMID_STRIDES):
        step = num_layers / len(PYRAMID_STRIDES)
        out_indices = [round(step * (i + 1)) - 1 for i in range(len(PYRAMID_STRIDES))]
    else:
        out_indices = list(range(num_layers))
        neck.append('model.neck.0.type=RepeatLastFeature2Pyramid')

    def vit(prefix: str) -> List[str]:
        return [f'{prefix}.arch.embed_dims={embed_dims}', f'{prefix}.arch.num_layers={num_layers}',
                f'{prefix}.arch.num_heads={num_heads}',
                f'{prefix}.arch.feedforward_channels={ffn}',
                f'{prefix}.patch_size={patch_size}', f'{prefix}.out_indices={listed(out_indices)}']

    return dict(
        lora=[*vit('model.backbone.module'), *neck],
        deblora=[*vit('model.backbone.module'), f'model.feat_dim={embed_dims}'],
        detector=[*vit('model.backbone'), f'model.backbone.frozen_stages={num_layers}', *neck])


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


def run_tiny_detection_chain(work_dir: str, seed: int = 0,
                             pretrained: Optional[str] = None) -> Dict[str, object]:
    """Run debLoRA detection stages 1-4 on tiny generated long-tailed DOTA data (CPU, minutes).

    Writes under ``work_dir``: ``data/`` (``trainval`` with :data:`TINY_TRAIN_COUNTS`
    objects, ``val`` with 2 per class), ``vit-tiny-init.pth`` (random "pretrained" ViT, seeded;
    only without ``pretrained``), ``lora/`` (stage 1, ``calibration.npz`` / ``.json`` and
    ``calibration_init.pth`` of stage 2), ``deblora/`` (stage 3), ``backbone_debLoRA.pth``
    (export), ``detector/`` (stage 4) and ``results.json``. Every stage's ViT takes the
    foundation checkpoint's architecture (:func:`detection_arch_options`).

    Args:
        work_dir (str): Output folder (created).
        seed (int): Seed of the ViT init, the training runs and the k-means. Defaults to 0.
        pretrained (str, optional): The foundation model: an mmpretrain ViT checkpoint with
            ``backbone.*`` keys (e.g. the converted SelectiveMAE encoder of
            ``tools/deblora/run_pipeline.py``), 2 attention heads. Defaults to None (a seeded
            random ViT of the configs' ``tiny_vit``).

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
    if pretrained is None:
        init = osp.join(work_dir, 'vit-tiny-init.pth')
        torch.manual_seed(seed)
        vit_cfg = dict(Config.fromfile(cfgs['lora']).tiny_vit, init_cfg=None)
        vit_cfg['type'] = vit_cfg['type'].split('.')[-1]
        vit = MODELS.build(vit_cfg)
        torch.save({'state_dict': {f'backbone.{k}': v for k, v in vit.state_dict().items()}},
                   init)
    else:
        init = osp.abspath(pretrained)
    arch = detection_arch_options(init)

    lora_dir, deblora_dir = osp.join(work_dir, 'lora'), osp.join(work_dir, 'deblora')
    detector_dir = osp.join(work_dir, 'detector')
    calibration = osp.join(lora_dir, 'calibration.npz')
    stage3_init = osp.join(lora_dir, 'calibration_init.pth')
    backbone = osp.join(work_dir, 'backbone_debLoRA.pth')
    data = [f'{s}_dataloader.dataset.data_root={data_root}' for s in ('train', 'val', 'test')]
    common = [f'randomness.seed={seed}', *data]
    vit_init = [f'model.backbone.module.init_cfg.checkpoint={init}', *arch['lora']]
    log: List[str] = []

    _run(['tools/train.py', cfgs['lora'], '--work-dir', lora_dir, '--cfg-options', *vit_init,
          *common], log)
    stage1 = osp.join(lora_dir, 'epoch_2.pth')
    _run(['tools/deblora/cluster_features.py', cfgs['lora'], stage1, '--out', calibration,
          '--num-clusters', '4', '--scale', '2', '--seed', str(seed), '--cfg-options', *vit_init,
          *data], log)
    _run(['tools/train.py', cfgs['deblora'], '--work-dir', deblora_dir, '--cfg-options',
          f'model.init_cfg.checkpoint={stage3_init}', *arch['deblora'], f'randomness.seed={seed}',
          data[0]], log)
    stage3 = osp.join(deblora_dir, 'epoch_2.pth')
    _run(['tools/model_converters/export_lora_backbone.py', cfgs['deblora'], stage3, backbone,
          '--cfg-options', *arch['deblora']], log)
    detector_init = [f'model.backbone.init_cfg.checkpoint={backbone}', *arch['detector']]
    _run(['tools/train.py', cfgs['detector'], '--work-dir', detector_dir, '--cfg-options',
          *detector_init, *common], log)
    metrics = {
        'LoRA': _metrics(_run(['tools/test.py', cfgs['lora'], stage1, '--work-dir', lora_dir,
                               '--cfg-options', *vit_init, *common], log)),
        'debLoRA': _metrics(_run(['tools/test.py', cfgs['detector'],
                                  osp.join(detector_dir, 'epoch_2.pth'), '--work-dir',
                                  detector_dir, '--cfg-options', *detector_init, *common], log)),
    }
    result = dict(
        outputs=dict(data=data_root, vit_init=init, stage1=stage1, calibration=calibration,
                     stage3_init=stage3_init, stage3=stage3, backbone=backbone,
                     stage4=osp.join(detector_dir, 'epoch_2.pth')),
        commands=log, metrics=metrics)
    with open(osp.join(work_dir, 'results.json'), 'w') as f:
        json.dump(result, f, indent=2)
    return result
