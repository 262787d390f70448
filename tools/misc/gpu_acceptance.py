"""GPU acceptance run: everything a GPU machine must get right, in one command (~8 min, 1 GPU).

    python tools/misc/gpu_acceptance.py [--out-dir work_dirs/gpu_acceptance] [--only NAME ...]
        [--quick] [--budget SECONDS] [--device cuda|cpu] [--list]

Checks (``--list`` prints them with their default time budgets):

- ``ops_*``: mmcv's ops that our configs use (nms, batched_nms, nms_rotated, roi_align,
  RoIAlignRotated, box_iou_rotated) on the device against their CPU kernels, on fixed random
  inputs, within the tolerances the report states (``TOLERANCES``).
- ``train_*``: the tiny config of each model family (classification, Faster R-CNN,
  Oriented R-CNN, UperNet, SelectiveMAE, debLoRA stage 3, SEP multi-head) trained for a few
  iterations through ``tools/train.py --amp``: finite losses, CUDA memory logged, the metric
  computed, the checkpoint reloaded (``tools/test.py``, ``--resume`` or the LoRA export).
- ``dist_*``: ``tools/dist_train.sh`` on all visible GPUs (NCCL) for Faster R-CNN and
  SelectiveMAE against ``tools/train.py`` on one GPU at the same global batch.
- ``benchmark_vit_b`` / ``benchmark_vit_l``: ``tools/analysis_tools/benchmark_pretrain.py`` at
  the paper's per-GPU batch with AMP against the paper's SelectiveMAE/MAE ratios.
- ``sam_vit_h``: seconds per image of SAMRS label generation with a (random) SAM ViT-H.

Each check runs in its own process (a crash or a hang fails that check only) and ends as a record
``{name, status: pass|fail|skip, reason, figures, seconds}``; a check that cannot run here (no
CUDA, mmcv without CUDA ops, fewer than 2 GPUs) is skipped with the reason. ``OUT/report.json``
and ``OUT/report.md`` are rewritten (atomically) after every check; each check's logs are under
``OUT/<check>/``. The exit code is 1 when a check failed, 2 on a usage error, else 0.

``--device cpu`` compares the CPU kernels with themselves and skips the CUDA-only checks: a dry
run of the tool itself on a machine without GPU.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import glob
import importlib.util
import json
import math
import os
import os.path as osp
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from mmrsfm.testing.acceptance import (compare_nms_keep, compare_tensors, make_record,  # noqa: E402
                                       read_scalars, weight_deviation, write_reports)

PREFIX = '[gpu-acceptance]'
#: Seconds a check's process gets past its budget before it is killed (capped at the budget).
GRACE_S = 30.0

#: What each check compares and how closely; copied into every report.
TOLERANCES: Dict[str, str] = {
    'ops (reference)': 'the CPU kernel of the same mmcv build on the same inputs (float32); '
                       'gradients from the sum of the outputs times fixed random weights',
    'ops_nms / ops_batched_nms / ops_nms_rotated':
        'kept boxes compared as sets; a box kept on one device only must be explained by a '
        'score tie (|ds| <= 1e-6, scores rounded to 0.01 to create ties) with a box it '
        'overlaps, by an IoU within 1e-4 (rotated: 1e-3) of the threshold, or by a cascade '
        'from such a box',
    'ops_roi_align / ops_roi_align_rotated':
        'output and input gradient: |device - cpu| <= 1e-4 + 1e-4 * |cpu| elementwise',
    'ops_box_iou_rotated': '|device - cpu| <= 2e-4 (IoU units), and both within 1e-3 of '
                           "shapely's polygon IoU; xywha boxes (box_iou_quadri, whose IoUs "
                           "depend on DOTA's vertex orientation, is not used by our configs)",
    'train_*': 'every logged loss finite; the metric of the task finite; checkpoint reloaded',
    'dist_*': 'SGD, fp32 with TF32 off, no random augmentation; weights after the last step: '
              '||w_N - w_1|| / ||w_1(last) - w_1(first step)|| <= 1e-3 for SelectiveMAE, <= 1e-2 '
              'for Faster R-CNN (every anchor and proposal sampled, but RPN / R-CNN losses are '
              'normalised by each rank\'s own sample count); a 2-process gloo dry run on CPU '
              'gave 3e-6 and 5.5e-5',
    'benchmark_vit_b': 'SelectiveMAE / MAE throughput >= 2.1x, CUDA max allocated <= 0.55x, '
                       'token selection <= 3% of the step (paper: 2.1x, 0.54x)',
    'benchmark_vit_l': 'throughput >= 2.3x, memory <= 0.62x, selection <= 3% (paper: 2.3x, '
                       '0.62x)',
    'sam_vit_h': 'no target: seconds per image reported (image embedding + box decoding + '
                 'label maps written), first image excluded as warm-up',
}


class CheckError(Exception):
    """A check failed; ``figures`` are what it measured before failing."""

    def __init__(self, message: str, figures: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.figures = dict(figures or {})


@dataclass
class Context:
    """What a running check gets: its folder, the mode, its deadline and a logger.

    Args:
        name (str): The check's name.
        work_dir (str): The check's own output folder (``OUT/<name>``).
        quick (bool): Fewer steps / iterations.
        deadline (float): ``time.monotonic()`` after which the check must stop.
        device (str): ``'cuda'`` or ``'cpu'`` (``--device``).
        gpus (int): Visible CUDA devices.
    """
    name: str
    work_dir: str
    quick: bool
    deadline: float
    device: str = 'cuda'
    gpus: int = 0

    def path(self, *parts: str) -> str:
        return osp.join(self.work_dir, *parts)

    def log(self, message: str) -> None:
        print(f'{PREFIX} {self.name}: {message}', flush=True)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def run(self, cmd: Sequence[str], log_name: str,
            env: Optional[Dict[str, str]] = None) -> str:
        """Run a repository command (cwd = repository root) within the check's deadline.

        Its output goes to ``<work_dir>/<log_name>.log``.

        Returns:
            str: Its stdout + stderr.

        Raises:
            CheckError: It exited non-zero or ran out of time (the log's tail in the message).
        """
        remaining = self.remaining()
        if remaining < 5:
            raise CheckError(f'no time left in the budget for {log_name}')
        full_env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''),
                        CUBLAS_WORKSPACE_CONFIG=os.environ.get('CUBLAS_WORKSPACE_CONFIG',
                                                               ':4096:8'))
        full_env.update(env or {})
        log_path = self.path(f'{log_name}.log')
        os.makedirs(self.work_dir, exist_ok=True)
        shown = [osp.relpath(c, REPO) if c.startswith(REPO + os.sep) else c for c in cmd]
        self.log(f'{log_name}: {" ".join(shown)}')
        start = time.monotonic()
        with open(log_path, 'w') as log:
            proc = subprocess.Popen(list(cmd), cwd=REPO, env=full_env, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
            try:
                code = proc.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                raise CheckError(f'{log_name} still running at the end of the budget '
                                 f'({time.monotonic() - start:.0f} s); log {log_path}')
        with open(log_path, errors='replace') as f:
            output = f.read()
        if code != 0:
            raise CheckError(f'{log_name} exited {code}; log {log_path}; last lines: '
                             + ' / '.join(output.strip().splitlines()[-6:]))
        return output


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@dataclass
class Check:
    """One acceptance check.

    Args:
        func (callable): ``func(ctx) -> (status, reason, figures)``; raising
            :class:`CheckError` (or anything) makes it a fail.
        needs (tuple[str]): ``'cuda'`` (a CUDA device, ``--device cuda``), ``'device_ops'``
            (mmcv ops on the compared device), ``'multi_gpu'`` (>= 2 GPUs).
        budget (float): Default time budget in seconds (full mode).
        summary (str): One line for ``--list``.
    """
    func: Callable[[Context], Tuple[str, str, Dict[str, Any]]]
    needs: Tuple[str, ...]
    budget: float
    summary: str


# ---------------------------------------------------------------------------------------------
# mmcv ops: device against CPU


def _random_xyxy(gen, n: int, extent: float = 200.0, min_size: float = 8.0,
                 max_size: float = 48.0):
    import torch
    xy = torch.rand(n, 2, generator=gen) * extent
    wh = min_size + torch.rand(n, 2, generator=gen) * (max_size - min_size)
    return torch.cat([xy, xy + wh], dim=1)


def _random_xywha(gen, n: int, extent: float = 120.0, min_size: float = 6.0,
                  max_size: float = 40.0):
    import torch
    xy = torch.rand(n, 2, generator=gen) * extent
    wh = min_size + torch.rand(n, 2, generator=gen) * (max_size - min_size)
    angle = (torch.rand(n, 1, generator=gen) - 0.5) * math.pi  # le90: [-pi/2, pi/2)
    return torch.cat([xy, wh, angle], dim=1)


def _tied_scores(gen, n: int):
    import torch
    return (torch.rand(n, generator=gen) * 100).round() / 100  # 101 values: many ties


def _iou_xyxy(boxes) -> 'Any':
    import numpy as np
    b = boxes.double().numpy()
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    lt = np.maximum(b[:, None, :2], b[None, :, :2])
    rb = np.minimum(b[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0, None).prod(axis=2)
    return inter / (area[:, None] + area[None, :] - inter)


def _same_class(iou, labels):
    labels = labels.numpy()
    return iou * (labels[:, None] == labels[None, :])


def _nms_verdict(cmp: Dict[str, Any], what: str) -> Tuple[str, str, Dict[str, Any]]:
    figures = {k: cmp[k] for k in ('kept_ref', 'kept_other', 'only_ref', 'only_other',
                                   'explained')}
    if cmp['ok']:
        return 'pass', f'{what}: kept sets agree up to {cmp["explained"]} tie-explained ' \
                       'differences', figures
    figures['unexplained'] = cmp['unexplained']
    return 'fail', f'{what}: boxes kept on one device only, not explained by ties: ' \
                   f'{cmp["unexplained"]}', figures


def op_nms(device: str) -> Tuple[str, str, Dict[str, Any]]:
    """``mmcv.ops.nms`` on 600 boxes with tied scores, IoU threshold 0.5."""
    import torch
    from mmcv.ops import nms
    gen = torch.Generator().manual_seed(0)
    boxes, scores = _random_xyxy(gen, 600, extent=100.0), _tied_scores(gen, 600)
    keep_ref = nms(boxes, scores, 0.5)[1]
    keep_dev = nms(boxes.to(device), scores.to(device), 0.5)[1].cpu()
    cmp = compare_nms_keep(keep_ref, keep_dev, _iou_xyxy(boxes), scores.numpy(), 0.5)
    return _nms_verdict(cmp, 'nms')


def op_batched_nms(device: str) -> Tuple[str, str, Dict[str, Any]]:
    """``mmcv.ops.batched_nms`` (class-aware) on 600 boxes of 5 classes, IoU 0.5."""
    import torch
    from mmcv.ops import batched_nms
    gen = torch.Generator().manual_seed(1)
    boxes, scores = _random_xyxy(gen, 600, extent=100.0), _tied_scores(gen, 600)
    labels = torch.randint(0, 5, (600, ), generator=gen)
    cfg = dict(type='nms', iou_threshold=0.5)
    keep_ref = batched_nms(boxes, scores, labels, cfg)[1]
    keep_dev = batched_nms(boxes.to(device), scores.to(device), labels.to(device), cfg)[1].cpu()
    cmp = compare_nms_keep(keep_ref, keep_dev, _same_class(_iou_xyxy(boxes), labels),
                           scores.numpy(), 0.5)
    return _nms_verdict(cmp, 'batched_nms')


def op_nms_rotated(device: str) -> Tuple[str, str, Dict[str, Any]]:
    """``mmcv.ops.nms_rotated`` with labels (as mmrotate's multiclass NMS) on 400 boxes."""
    import torch
    from mmcv.ops import box_iou_rotated, nms_rotated
    gen = torch.Generator().manual_seed(2)
    boxes, scores = _random_xywha(gen, 400), _tied_scores(gen, 400)
    labels = torch.randint(0, 3, (400, ), generator=gen)
    keep_ref = nms_rotated(boxes, scores, 0.3, labels)[1]
    keep_dev = nms_rotated(boxes.to(device), scores.to(device), 0.3, labels.to(device))[1].cpu()
    iou = box_iou_rotated(boxes, boxes).double().numpy()
    cmp = compare_nms_keep(keep_ref, keep_dev, _same_class(iou, labels), scores.numpy(), 0.3,
                           iou_margin=1e-3)
    return _nms_verdict(cmp, 'nms_rotated')


def _forward_backward(fn: Callable, feat, rois, device: str, weights):
    x = feat.to(device).requires_grad_(True)
    out = fn(x, rois.to(device))
    (out * weights.to(device)).sum().backward()
    return out.detach().cpu(), x.grad.detach().cpu()


def _compare_fwd_bwd(fn: Callable, feat, rois, device: str, what: str
                     ) -> Tuple[str, str, Dict[str, Any]]:
    import torch
    gen = torch.Generator().manual_seed(10)
    out_ref = fn(feat, rois)
    weights = torch.randn(out_ref.shape, generator=gen)
    ref = _forward_backward(fn, feat, rois, 'cpu', weights)
    dev = _forward_backward(fn, feat, rois, device, weights)
    fwd = compare_tensors(ref[0], dev[0], atol=1e-4, rtol=1e-4)
    bwd = compare_tensors(ref[1], dev[1], atol=1e-4, rtol=1e-4)
    figures = dict(rois=int(rois.shape[0]), out_max_abs_diff=fwd['max_abs_diff'],
                   out_mismatched=fwd['mismatched'], grad_max_abs_diff=bwd['max_abs_diff'],
                   grad_mismatched=bwd['mismatched'])
    if fwd['ok'] and bwd['ok']:
        return 'pass', f'{what}: output and input gradient within tolerance', figures
    parts = [p for p, c in (('output', fwd), ('input gradient', bwd)) if not c['ok']]
    return 'fail', f'{what}: {" and ".join(parts)} out of tolerance', figures


def op_roi_align(device: str) -> Tuple[str, str, Dict[str, Any]]:
    """``mmcv.ops.roi_align`` as mmdet's RoI extractor calls it (7x7, sampling 0, aligned)."""
    import torch
    from mmcv.ops import roi_align
    gen = torch.Generator().manual_seed(3)
    feat = torch.randn(2, 16, 40, 40, generator=gen)
    boxes = _random_xyxy(gen, 96, extent=60.0, min_size=2.0, max_size=30.0)
    rois = torch.cat([torch.randint(0, 2, (96, 1), generator=gen).float(), boxes], dim=1)
    return _compare_fwd_bwd(lambda x, r: roi_align(x, r, (7, 7), 0.5, 0, 'avg', True),
                            feat, rois, device, 'roi_align')


def op_roi_align_rotated(device: str) -> Tuple[str, str, Dict[str, Any]]:
    """``mmcv.ops.RoIAlignRotated`` as mmrotate's Oriented R-CNN uses it (7x7, sampling 2,
    clockwise)."""
    import torch
    from mmcv.ops import RoIAlignRotated
    gen = torch.Generator().manual_seed(4)
    feat = torch.randn(2, 16, 40, 40, generator=gen)
    boxes = _random_xywha(gen, 96, extent=70.0, min_size=2.0, max_size=30.0)
    rois = torch.cat([torch.randint(0, 2, (96, 1), generator=gen).float(), boxes], dim=1)
    op = RoIAlignRotated((7, 7), spatial_scale=0.5, sampling_ratio=2, aligned=True,
                         clockwise=True)
    return _compare_fwd_bwd(op, feat, rois, device, 'RoIAlignRotated')


def _shapely_iou(a, b) -> 'Any':
    import numpy as np
    from shapely.geometry import Polygon

    def polygon(box):
        cx, cy, w, h, t = (float(v) for v in box)
        c, s = math.cos(t), math.sin(t)
        corners = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
        return Polygon([(cx + x * c - y * s, cy + x * s + y * c) for x, y in corners])

    pa, pb = [polygon(x) for x in a], [polygon(x) for x in b]
    out = np.zeros((len(pa), len(pb)))
    for i, p in enumerate(pa):
        for j, q in enumerate(pb):
            inter = p.intersection(q).area
            out[i, j] = inter / (p.area + q.area - inter)
    return out


def op_box_iou_rotated(device: str) -> Tuple[str, str, Dict[str, Any]]:
    """``mmcv.ops.box_iou_rotated`` (mode iou, not aligned) between 120 and 80 boxes."""
    import torch
    from mmcv.ops import box_iou_rotated
    gen = torch.Generator().manual_seed(5)
    a, b = _random_xywha(gen, 120, extent=60.0), _random_xywha(gen, 80, extent=60.0)
    ref = box_iou_rotated(a, b)
    dev = box_iou_rotated(a.to(device), b.to(device)).cpu()
    cmp = compare_tensors(ref, dev, atol=2e-4, rtol=0.0)
    figures = dict(pairs=int(ref.numel()), overlapping=int((ref > 0).sum()),
                   max_abs_diff=cmp['max_abs_diff'], mismatched=cmp['mismatched'])
    problems = [] if cmp['ok'] else [f'{cmp["mismatched"]} IoUs differ from the CPU kernel by '
                                     'more than 2e-4']
    try:
        exact = torch.from_numpy(_shapely_iou(a, b))
    except ImportError:
        figures['shapely'] = 'not installed: no reference IoU'
    else:
        for label, values in (('cpu', ref), (device, dev)):
            diff = compare_tensors(exact, values, atol=1e-3, rtol=0.0)
            figures[f'max_abs_diff_vs_shapely_{label}'] = diff['max_abs_diff']
            if not diff['ok'] and f'{label} kernel' not in ' '.join(problems):
                problems.append(f'{diff["mismatched"]} IoUs of the {label} kernel differ from '
                                "shapely's by more than 1e-3")
    if problems:
        return 'fail', 'box_iou_rotated: ' + '; '.join(problems), figures
    return 'pass', 'box_iou_rotated agrees with the CPU kernel and with shapely', figures


def _op_check(op: Callable[[str], Tuple[str, str, Dict[str, Any]]]
              ) -> Callable[[Context], Tuple[str, str, Dict[str, Any]]]:
    return lambda ctx: op(ctx.device)


# ---------------------------------------------------------------------------------------------
# tiny training runs with --amp


PY = sys.executable


def _latest_checkpoint(work_dir: str) -> str:
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        raise CheckError(f'no checkpoint written in {work_dir} (no last_checkpoint file)')
    with open(path) as f:
        return f.read().strip()


def _losses(work_dir: str, ctx: Context, what: str) -> Dict[str, Any]:
    """Training losses and CUDA memory of a run; raises if a loss is not finite."""
    records = [r for r in read_scalars(work_dir) if 'loss' in r]
    if not records:
        raise CheckError(f'{what}: no training loss logged in {work_dir}')
    bad = [(r.get('iter', r.get('step')), r['loss']) for r in records
           if not math.isfinite(r['loss'])]
    figures = dict(iterations=len(records), first_loss=records[0]['loss'],
                   last_loss=records[-1]['loss'])
    memory = [r['memory'] for r in records if 'memory' in r]
    if memory:
        figures['cuda_memory_mb'] = max(memory)
    elif ctx.device == 'cuda':
        raise CheckError(f'{what}: no CUDA memory in the log: did it train on the GPU?', figures)
    if bad:
        raise CheckError(f'{what}: non-finite losses at (iter, loss) {bad[:5]}', figures)
    return figures


def _metric(work_dir: str, key: str, what: str) -> float:
    values = [r[key] for r in read_scalars(work_dir) if key in r]
    if not values:
        raise CheckError(f'{what}: metric {key} not logged in {work_dir}')
    if not math.isfinite(values[-1]):
        raise CheckError(f'{what}: metric {key} = {values[-1]}')
    return float(values[-1])


def _test_metric(ctx: Context, config: str, checkpoint: str, key: str) -> float:
    """Reload ``checkpoint`` with ``tools/test.py`` and return the metric ``key`` it prints."""
    output = ctx.run([PY, 'tools/test.py', config, checkpoint, '--work-dir', ctx.path('test')],
                     'test')
    lines = [ln for ln in output.splitlines() if ln.startswith('metrics: ')]
    if not lines:
        raise CheckError('tools/test.py printed no "metrics:" line')
    metrics = json.loads(lines[-1][len('metrics: '):])
    value = metrics.get(key)
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise CheckError(f'tools/test.py: metric {key} = {value!r} (of {sorted(metrics)})')
    return float(value)


def _train(ctx: Context, config: str, work_dir: str, options: Sequence[str] = (),
           log_name: str = 'train') -> None:
    """``tools/train.py CONFIG --amp`` with ``--cfg-options``; its log is ``<log_name>.log``."""
    cmd = [PY, 'tools/train.py', config, '--work-dir', work_dir, '--amp']
    if options:
        cmd += ['--cfg-options', *options]
    ctx.run(cmd, log_name)


def train_task(task: str) -> Callable[[Context], Tuple[str, str, Dict[str, Any]]]:
    """Check of a toolbox's tiny config (:func:`mmrsfm.testing.make_tiny_config`)."""

    def check(ctx: Context) -> Tuple[str, str, Dict[str, Any]]:
        from mmrsfm.testing import TASK_METRICS, make_tiny_config, write_tiny_data
        data, work = ctx.path('data'), ctx.path('work')
        write_tiny_data(task, data)
        make_tiny_config(task, data, work)
        config = osp.join(work, f'{task}_tiny.py')
        _train(ctx, config, work)
        key = TASK_METRICS[task]
        figures = _losses(work, ctx, task)
        figures['val_' + key] = _metric(work, key, task)
        figures['test_' + key] = _test_metric(ctx, config, _latest_checkpoint(work), key)
        return 'pass', f'{figures["iterations"]} AMP iterations, {key} computed, checkpoint ' \
                       'reloaded by tools/test.py', figures

    return check


def train_selectivemae(ctx: Context) -> Tuple[str, str, Dict[str, Any]]:
    """SelectiveMAE (CPU-sized config) with --amp for 2 epochs, then --resume for a third."""
    from mmrsfm.testing.pretrain_runs import (SELECTIVEMAE_CPU_CONFIG, selectivemae_cfg_options,
                                              write_tiny_opticalrs)
    data, work = ctx.path('OpticalRS-13M'), ctx.path('work')
    write_tiny_opticalrs(data)
    options = selectivemae_cfg_options(data)
    _train(ctx, SELECTIVEMAE_CPU_CONFIG, work, options)
    figures = _losses(work, ctx, 'SelectiveMAE')
    output = ctx.run([PY, 'tools/train.py', SELECTIVEMAE_CPU_CONFIG, '--work-dir', work,
                      '--amp', '--resume', '--cfg-options', *options, 'train_cfg.max_epochs=3'],
                     'resume')
    if 'resumed epoch: 2' not in output:
        raise CheckError('--resume did not report "resumed epoch: 2"', figures)
    resumed = _losses(work, ctx, 'SelectiveMAE (resumed)')
    figures['resumed_loss'] = resumed['last_loss']
    return 'pass', f'{figures["iterations"]} AMP iterations; pretraining has no metric: the ' \
                   'checkpoint (with AMP loss-scaler state) was resumed for one more epoch', \
        figures


def _deblora_recipe() -> Any:
    spec = importlib.util.spec_from_file_location(
        'run_tiny_pipeline', osp.join(REPO, 'tools', 'deblora', 'run_tiny_pipeline.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def train_deblora(ctx: Context) -> Tuple[str, str, Dict[str, Any]]:
    """debLoRA's tiny pipeline (tools/deblora/run_tiny_pipeline.py's data and configs) with
    --amp: stage 1, stage 2, stage 3, export of the stage-3 backbone, linear probe."""
    recipe = _deblora_recipe()
    data_root, pretrained = recipe.write_data(ctx.work_dir)
    data = [f'{s}_dataloader.dataset.data_root={data_root}' for s in ('train', 'val', 'test')]
    init = f'model.backbone.module.init_cfg.checkpoint={pretrained}'
    lora_dir, deblora_dir = ctx.path('lora'), ctx.path('deblora')
    calibration = osp.join(lora_dir, 'calibration.npz')
    _train(ctx, recipe.LORA_CFG, lora_dir, [init, *data], 'stage1')
    stage1 = _latest_checkpoint(lora_dir)
    ctx.run([PY, 'tools/deblora/cluster_features.py', recipe.LORA_CFG, stage1, '--out',
             calibration, '--num-clusters', '8', '--cfg-options', init, *data], 'stage2')
    # Stage 3 starts from the file stage 2 writes beside the calibration (init_cfg).
    stage3_options = [f'model.init_cfg.checkpoint={osp.join(lora_dir, "calibration_init.pth")}',
                      f'train_dataloader.dataset.data_root={data_root}']
    _train(ctx, recipe.DEBLORA_CFG, deblora_dir, stage3_options, 'stage3')
    figures = _losses(deblora_dir, ctx, 'debLoRA stage 3')
    backbone = ctx.path('backbone_debLoRA.pth')
    ctx.run([PY, 'tools/model_converters/export_lora_backbone.py', recipe.DEBLORA_CFG,
             _latest_checkpoint(deblora_dir), backbone], 'export')
    probe_dir = ctx.path('probe')
    _train(ctx, recipe.PROBE_CFG, probe_dir,
           [f'model.backbone.init_cfg.checkpoint={backbone}', *data], 'probe')
    figures['probe_macro_f1'] = _metric(probe_dir, 'long-tail/macro_f1', 'linear probe')
    return 'pass', f'{figures["iterations"]} AMP iterations of stage 3 (after AMP stage 1 and ' \
                   'stage 2); its checkpoint reloaded by the LoRA export; macro-F1 of a linear ' \
                   'probe on the exported backbone', figures


def train_sep(ctx: Context) -> Tuple[str, str, Dict[str, Any]]:
    """SEP multi-head (CPU-sized config) with --amp, then tools/test.py on its checkpoint."""
    from mmrsfm.testing.pretrain_runs import make_tiny_sep_config, write_tiny_sep_data
    data, work = ctx.path('SAMRS'), ctx.path('work')
    write_tiny_sep_data(data)
    _, config = make_tiny_sep_config(data, work, iters=4)
    _train(ctx, config, work)
    figures = _losses(work, ctx, 'SEP')
    figures['val_mIoU'] = _metric(work, 'mIoU', 'SEP')
    figures['test_mIoU'] = _test_metric(ctx, config, _latest_checkpoint(work), 'mIoU')
    return 'pass', f'{figures["iterations"]} AMP iterations over three heads, mIoU per subset ' \
                   'computed, checkpoint reloaded by tools/test.py', figures


# ---------------------------------------------------------------------------------------------
# DDP over all GPUs against one GPU


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _dist_settings(cfg, per_gpu: int) -> None:
    """Deterministic steps that a 1-process and an N-process run can both take."""
    cfg.optim_wrapper = dict(type='OptimWrapper',
                             optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0))
    cfg.param_scheduler = None
    cfg.train_dataloader.batch_size = per_gpu
    cfg.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=1, val_interval=2)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', by_epoch=False, interval=1,
                                        max_keep_ckpts=-1, save_last=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.randomness = dict(seed=0)  # the same seed on every rank, as in one process
    cfg.env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='nccl'))


def _dist_detector_config(ctx: Context, nproc: int, per_gpu: int, iters: int) -> str:
    from mmrsfm.testing import make_tiny_config
    from mmrsfm.testing.rs_formats import write_dior
    total = nproc * per_gpu * iters
    data = ctx.path('data')
    write_dior(data, {'train': total // 2, 'val': total - total // 2, 'test': 1})
    cfg = make_tiny_config('detection', data, ctx.path('config'))
    _dist_settings(cfg, per_gpu)
    for dataset in cfg.train_dataloader.dataset.datasets:
        for step in dataset.pipeline:
            if step.type == 'RandomFlip':
                step.prob = 0.0
    # Every anchor / proposal used (no random subsampling): the runs see the same samples;
    # fewer proposals keep that affordable (also in a --device cpu dry run).
    cfg.model.train_cfg.rpn.sampler.num = 10**6
    cfg.model.train_cfg.rcnn.sampler.num = 10**6
    cfg.model.train_cfg.rpn_proposal.update(nms_pre=400, max_per_img=200)
    path = ctx.path('config', 'detector_dist.py')
    cfg.dump(path)
    return path


def _dist_selectivemae_config(ctx: Context, nproc: int, per_gpu: int, iters: int) -> str:
    from mmengine.config import Config

    from mmrsfm.testing.pretrain_runs import SELECTIVEMAE_CPU_CONFIG, write_tiny_opticalrs
    total = nproc * per_gpu * iters
    data = ctx.path('OpticalRS-13M')
    write_tiny_opticalrs(data, per_source=total // 2 + total % 2)
    cfg = Config.fromfile(SELECTIVEMAE_CPU_CONFIG)
    _dist_settings(cfg, per_gpu)
    cfg.train_dataloader.dataset.data_root = data
    cfg.train_dataloader.dataset.pipeline = [dict(type='LoadImageFromFile'),
                                             dict(type='CenterCrop', crop_size=32),
                                             dict(type='PackInputs')]
    os.makedirs(ctx.path('config'), exist_ok=True)
    path = ctx.path('config', 'selectivemae_dist.py')
    cfg.dump(path)
    return path


def _iter_weights(work_dir: str, iteration: int) -> Dict[str, Any]:
    import torch
    path = osp.join(work_dir, f'iter_{iteration}.pth')
    if not osp.isfile(path):
        raise CheckError(f'missing checkpoint {path}')
    # Weights-only: mmrsfm.compat allow-lists exactly the extra types mmengine checkpoints hold.
    return torch.load(path, map_location='cpu', weights_only=True)['state_dict']


def compare_dist_runs(ctx: Context, config: str, nproc: int, per_gpu: int, iters: int,
                      tolerance: float) -> Tuple[str, str, Dict[str, Any]]:
    """Train ``config`` on ``nproc`` processes (``tools/dist_train.sh``, batch ``per_gpu``
    each) and on one (``tools/train.py``, batch ``nproc * per_gpu``); compare the weights.

    mmengine logs rank 0's own loss (not all-reduced), so the runs are compared on what DDP
    must make equal: the weights after each step, which follow the all-reduced gradients.
    """
    env = dict(NVIDIA_TF32_OVERRIDE='0', PORT=str(_free_port()), PYTHON=PY)
    one, many = ctx.path('one_process'), ctx.path(f'{nproc}_processes')
    ctx.run([PY, 'tools/train.py', config, '--work-dir', one, '--no-validate', '--cfg-options',
             f'train_dataloader.batch_size={nproc * per_gpu}'], 'one_process', env)
    output = ctx.run(['bash', 'tools/dist_train.sh', config, str(nproc), '--work-dir', many,
                      '--no-validate'], f'{nproc}_processes', env)
    # mmengine's environment report (with 'GPU number') is in the run's log file only.
    for log_file in glob.glob(osp.join(many, '2*', '2*.log')):
        with open(log_file, encoding='utf-8') as f:
            output += f.read()
    if f'GPU number: {nproc}' not in output:
        raise CheckError(f'the {nproc}-process run does not report {nproc} processes '
                         f'(no "GPU number: {nproc}" in its output or log file)')
    figures: Dict[str, Any] = dict(processes=nproc, per_gpu_batch=per_gpu,
                                   global_batch=nproc * per_gpu, iterations=iters)
    one_losses = [r['loss'] for r in read_scalars(one) if 'loss' in r]
    many_losses = [r['loss'] for r in read_scalars(many) if 'loss' in r]
    figures['losses_1_process'] = one_losses
    figures['losses_rank0'] = many_losses
    if len(one_losses) != iters or len(many_losses) != iters:
        raise CheckError(f'expected {iters} iterations in both runs, got {len(one_losses)} '
                         f'and {len(many_losses)}', figures)
    if not all(math.isfinite(v) for v in one_losses + many_losses):
        raise CheckError('non-finite losses', figures)
    first = _iter_weights(one, 1)
    deviation = weight_deviation(_iter_weights(one, iters), _iter_weights(many, iters), first)
    figures['weight_deviation'] = deviation['deviation']
    figures['tolerance'] = tolerance
    if deviation['missing']:
        raise CheckError(f'state dicts differ in keys: {deviation["missing"]}', figures)
    if deviation['deviation'] > tolerance:
        return 'fail', f'{nproc}-process weights deviate from the 1-process run by ' \
                       f'{deviation["deviation"]:.3g} of the training movement (> {tolerance})', \
            figures
    return 'pass', f'{nproc}-process DDP weights equal the 1-process run at global batch ' \
                   f'{nproc * per_gpu} (deviation {deviation["deviation"]:.2g})', figures


def _processes(ctx: Context) -> int:
    """All visible GPUs; 2 gloo processes in a ``--device cpu`` dry run."""
    return ctx.gpus if ctx.device == 'cuda' else 2


def dist_detection(ctx: Context) -> Tuple[str, str, Dict[str, Any]]:
    nproc, iters = _processes(ctx), 2 if ctx.quick else 3
    config = _dist_detector_config(ctx, nproc, 2, iters)
    return compare_dist_runs(ctx, config, nproc, 2, iters, tolerance=1e-2)


def dist_selectivemae(ctx: Context) -> Tuple[str, str, Dict[str, Any]]:
    nproc, iters = _processes(ctx), 2 if ctx.quick else 3
    config = _dist_selectivemae_config(ctx, nproc, 4, iters)
    return compare_dist_runs(ctx, config, nproc, 4, iters, tolerance=1e-3)


# ---------------------------------------------------------------------------------------------
# SelectiveMAE against MAE (benchmark_pretrain.py)

#: arch -> (throughput target, memory target) of the paper's Table 3.
BENCHMARK_TARGETS = {'b': (2.1, 0.55), 'l': (2.3, 0.62)}
#: Per-GPU batch of the efficiency benchmark. Table 3 does not state it; the authors' script runs
#: 256 per GPU (8 x 256), and the paper's absolute memory figures fit 256, not the 128 per GPU of
#: the pretraining recipe (Table 9: 1024 in all; configs/selectivemae/README.md, "Recipe").
BENCHMARK_BATCH = 256
#: Largest share of the SelectiveMAE step that token selection may take.
SELECTION_SHARE_TARGET = 0.03


def parse_benchmark_output(text: str) -> Dict[str, float]:
    """Figures of ``benchmark_pretrain.py``'s printed summary.

    Args:
        text (str): Its stdout.

    Returns:
        dict: ``throughput_ratio``, ``memory_ratio`` (measured), ``selection_share``
        (fraction); where printed, the table rows ``mae_steps_per_s``,
        ``selectivemae_steps_per_s``, ``mae_memory_mib``, ``selectivemae_memory_mib``, and the
        activation figures ``saved_activation_ratio`` and ``projected_memory_ratio``.

    Raises:
        CheckError: A required summary line is missing (the output format changed?).
    """
    required = {
        'throughput_ratio': r'^throughput ratio SelectiveMAE / MAE: ([\d.]+)x',
        'memory_ratio': r'^memory ratio SelectiveMAE / MAE: ([\d.]+)',
        'selection_share': r'^token selection: ([\d.]+)% of the SelectiveMAE step',
    }
    optional = {
        'saved_activation_ratio': r'^saved activations .*ratio ([\d.]+)',
        'projected_memory_ratio': r'^projected memory ratio SelectiveMAE / MAE: ([\d.]+)',
    }
    figures: Dict[str, float] = {}
    for key, pattern in {**required, **optional}.items():
        match = re.search(pattern, text, flags=re.MULTILINE)
        if match is not None:
            figures[key] = float(match.group(1))
        elif key in required:
            raise CheckError(f'benchmark_pretrain.py printed no line matching {pattern!r}')
    figures['selection_share'] /= 100
    for name, key in (('MAE', 'mae'), ('SelectiveMAE', 'selectivemae')):
        # The first row of each model is the measured one (a projection table may follow).
        row = re.search(rf'^{name}\s+([\d.]+)\s+([\d.]+)', text, flags=re.MULTILINE)
        if row is not None:
            figures[f'{key}_steps_per_s'] = float(row.group(1))
            figures[f'{key}_memory_mib'] = float(row.group(2))
    return figures


def benchmark(arch: str) -> Callable[[Context], Tuple[str, str, Dict[str, Any]]]:

    def check(ctx: Context) -> Tuple[str, str, Dict[str, Any]]:
        speed_target, memory_target = BENCHMARK_TARGETS[arch]
        batch = BENCHMARK_BATCH
        steps, warmup = (3, 1) if ctx.quick else (10, 2)
        output = ctx.run([PY, 'tools/analysis_tools/benchmark_pretrain.py', '--arch', arch,
                          '--batch', str(batch), '--steps', str(steps), '--warmup', str(warmup),
                          '--device', ctx.device, '--amp'], 'benchmark')
        figures: Dict[str, Any] = dict(batch=batch, steps=steps)
        figures.update(parse_benchmark_output(output))
        missed = []
        if figures['throughput_ratio'] < speed_target:
            missed.append(f'throughput {figures["throughput_ratio"]:.2f}x < {speed_target}x')
        if figures['memory_ratio'] > memory_target:
            missed.append(f'memory {figures["memory_ratio"]:.2f}x > {memory_target}x')
        if figures['selection_share'] > SELECTION_SHARE_TARGET:
            missed.append(f'selection {100 * figures["selection_share"]:.1f}% > '
                          f'{100 * SELECTION_SHARE_TARGET:.0f}%')
        if missed:
            return 'fail', f'ViT-{arch.upper()} batch {batch} AMP: ' + '; '.join(missed), figures
        return 'pass', f'ViT-{arch.upper()} batch {batch} AMP: throughput, memory and ' \
                       'selection share meet the targets', figures

    return check


# ---------------------------------------------------------------------------------------------
# SAM ViT-H label generation


def sam_vit_h(ctx: Context) -> Tuple[str, str, Dict[str, Any]]:
    """Seconds per image of :class:`LabelGenerator` with a randomly initialised SAM ViT-H on
    1024 px DOTA-style images (the first image is a warm-up)."""
    import torch

    from mmrsfm.datatools.sam_labels import ClassMapper, LabelGenerator, SamBoxLabeler, build_sam
    from mmrsfm.datatools.sam_labels.generation import pair_images
    from mmrsfm.testing.rs_formats import write_dota
    images = 3 if ctx.quick else 6
    root = ctx.path('dota')
    write_dota(root, 'trainval', num_images=images, size=1024)
    start = time.perf_counter()
    torch.manual_seed(0)
    labeler = SamBoxLabeler(build_sam('vit_h', None, ctx.device))
    build_s = time.perf_counter() - start
    generator = LabelGenerator(ctx.path('labels'), ClassMapper.from_spec('sota'), 'dota',
                               lambda: labeler, settings=dict(model_type='vit_h'))
    pairs, problems = pair_images(osp.join(root, 'trainval', 'images'),
                                  osp.join(root, 'trainval', 'annfiles'), 'dota')
    summary: Dict[str, Any] = dict(problems=list(problems), instances=0, empty_masks=0)
    times = []
    for stem, image_path, ann_path in pairs:
        start = time.perf_counter()
        generator.process(stem, image_path, ann_path, summary)
        if ctx.device == 'cuda':
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
        if ctx.remaining() < 10:
            break
    figures: Dict[str, Any] = dict(images=len(times), image_size=1024,
                                   objects=summary['instances'], build_s=build_s,
                                   first_image_s=times[0])
    timed = times[1:] or times
    figures['seconds_per_image'] = statistics.median(timed)
    if ctx.device == 'cuda':
        figures['cuda_max_allocated_mib'] = torch.cuda.max_memory_allocated() / 2**20
    if summary['problems'] or summary['instances'] == 0:
        raise CheckError(f'labelling problems {summary["problems"][:3]}, '
                         f'{summary["instances"]} instances', figures)
    return 'pass', f'SAM ViT-H (random weights): {figures["seconds_per_image"]:.2f} s per ' \
                   f'1024 px image over {len(timed)} images after a warm-up', figures


# ---------------------------------------------------------------------------------------------
# the registry, the child process and the report


def build_checks() -> Dict[str, Check]:
    """All checks, in the order they run."""
    ops = (('nms', op_nms), ('batched_nms', op_batched_nms), ('nms_rotated', op_nms_rotated),
           ('roi_align', op_roi_align), ('roi_align_rotated', op_roi_align_rotated),
           ('box_iou_rotated', op_box_iou_rotated))
    checks = {f'ops_{name}': Check(_op_check(op), ('device_ops', ), 90.0,
                                   f'mmcv {name} on the device against its CPU kernel')
              for name, op in ops}
    tasks = (('classification', 'ResNet-50 AID'), ('detection', 'Faster R-CNN DIOR'),
             ('rotated-detection', 'Oriented R-CNN DOTA'), ('segmentation', 'UperNet LoveDA'))
    for task, what in tasks:
        needs = ('cuda', 'device_ops') if 'detection' in task else ('cuda', )
        checks[f'train_{task.replace("-", "_")}'] = Check(
            train_task(task), needs, 240.0, f'{what} tiny config: AMP train, val, test.py')
    checks['train_selectivemae'] = Check(train_selectivemae, ('cuda', ), 240.0,
                                         'SelectiveMAE tiny config: AMP train, resume')
    checks['train_deblora'] = Check(train_deblora, ('cuda', ), 420.0,
                                    'debLoRA stages 1-3 (AMP), export, linear probe')
    checks['train_sep'] = Check(train_sep, ('cuda', ), 240.0,
                                'SEP multi-head tiny config: AMP train, val, test.py')
    checks['dist_detection'] = Check(dist_detection, ('device_ops', 'multi_gpu'), 420.0,
                                     'Faster R-CNN: dist_train.sh on all GPUs vs 1 GPU')
    checks['dist_selectivemae'] = Check(dist_selectivemae, ('multi_gpu', ), 420.0,
                                        'SelectiveMAE: dist_train.sh on all GPUs vs 1 GPU')
    checks['benchmark_vit_b'] = Check(benchmark('b'), ('cuda', ), 300.0,
                                      'SelectiveMAE vs MAE, ViT-B, paper batch, AMP')
    checks['benchmark_vit_l'] = Check(benchmark('l'), ('cuda', ), 420.0,
                                      'SelectiveMAE vs MAE, ViT-L, paper batch, AMP')
    checks['sam_vit_h'] = Check(sam_vit_h, ('cuda', ), 300.0,
                                'SAM ViT-H label generation, seconds per image')
    return checks


def probe_environment(device: str) -> Dict[str, Any]:
    """Versions and devices; what decides which checks can run."""
    import torch
    env: Dict[str, Any] = dict(python=platform.python_version(), torch=torch.__version__,
                               torch_cuda=torch.version.cuda, device=device,
                               cuda_available=torch.cuda.is_available(),
                               gpus=torch.cuda.device_count() if torch.cuda.is_available() else 0)
    if env['gpus']:
        env['gpu_names'] = sorted({torch.cuda.get_device_name(i) for i in range(env['gpus'])})
    try:
        import mmcv
        env['mmcv'] = mmcv.__version__
        from mmcv.ops import get_compiling_cuda_version
        env['mmcv_cuda_ops'] = get_compiling_cuda_version()
    except Exception as err:  # an mmcv without compiled ops at all
        env['mmcv_cuda_ops'] = f'unavailable ({type(err).__name__}: {err})'
    env['host'] = platform.node()
    return env


def _has_cuda_ops(env: Dict[str, Any]) -> bool:
    return re.fullmatch(r'\d+\.\d+(\.\d+)?', str(env.get('mmcv_cuda_ops', ''))) is not None


def skip_reason(check: Check, env: Dict[str, Any]) -> Optional[str]:
    """Why ``check`` cannot run in ``env`` (from :func:`probe_environment`), or None.

    With ``--device cuda`` every check needs CUDA; with ``--device cpu`` the CUDA-only ones
    (``needs`` holds ``'cuda'``) skip and the DDP checks run two gloo processes.
    """
    on_cuda = env['device'] == 'cuda'
    if 'cuda' in check.needs and not on_cuda:
        return f'runs on CUDA only (--device {env["device"]})'
    if on_cuda and not env['cuda_available']:
        return (f'CUDA is not available to torch {env["torch"]} (built for CUDA '
                f'{env["torch_cuda"]}): no GPU visible here')
    if 'device_ops' in check.needs and on_cuda and not _has_cuda_ops(env):
        return (f'mmcv {env.get("mmcv", "?")} has no CUDA ops (mmcv.ops.'
                f'get_compiling_cuda_version() = {env["mmcv_cuda_ops"]!r}); build them with '
                '`MMRSFM_FORCE_CUDA=1 bash tools/setup_env.sh`')
    if 'multi_gpu' in check.needs and on_cuda and env['gpus'] < 2:
        return f'needs >= 2 GPUs for DDP, {env["gpus"]} visible'
    return None


def execute(name: str, check: Check, ctx: Context) -> Dict[str, Any]:
    """Run one check in this process and turn its outcome (or exception) into a record."""
    start = time.monotonic()
    try:
        status, reason, figures = check.func(ctx)
    except CheckError as err:
        status, reason, figures = 'fail', str(err), err.figures
    except Exception as err:  # any bug or upstream error is that check's failure
        tail = traceback.format_exc().strip().splitlines()[-3:]
        status, reason, figures = 'fail', f'{type(err).__name__}: {err} ({" / ".join(tail)})', {}
    return make_record(name, status, reason, figures, time.monotonic() - start)


def run_child(name: str, budget: float, args: argparse.Namespace) -> Dict[str, Any]:
    """Run check ``name`` in a new process group; kill it ``GRACE_S`` after its budget."""
    record_path = osp.join(args.out_dir, name, 'record.json')
    if osp.exists(record_path):
        os.remove(record_path)
    cmd = [PY, osp.abspath(__file__), '--run-check', name, '--out-dir', args.out_dir,
           '--budget', str(budget), '--device', args.device] + (['--quick'] if args.quick else [])
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=REPO, start_new_session=True)
    try:
        code = proc.wait(timeout=budget + min(GRACE_S, budget))
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return make_record(name, 'fail', f'exceeded its time budget of {budget:.0f} s (killed)',
                           {}, time.monotonic() - start)
    if not osp.isfile(record_path):
        return make_record(name, 'fail', f'its process exited {code} without a record '
                           '(crashed?); see the output above', {}, time.monotonic() - start)
    with open(record_path) as f:
        return json.load(f)


def _short(record: Dict[str, Any]) -> str:
    figures = ', '.join(f'{k}={v:.3g}' if isinstance(v, float) else f'{k}={v}'
                        for k, v in list(record['figures'].items())[:4]
                        if not isinstance(v, (list, dict)))
    return f'{record["reason"]}' + (f' [{figures}]' if figures else '')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='GPU acceptance run: mmcv CUDA ops, AMP tiny runs of every model family, '
                    'DDP vs 1 GPU, SelectiveMAE vs MAE, SAM ViT-H labelling speed')
    parser.add_argument('--out-dir', default='work_dirs/gpu_acceptance',
                        help='report.json, report.md and per-check logs go here')
    parser.add_argument('--only', nargs='+', metavar='NAME',
                        help='run only these checks (see --list)')
    parser.add_argument('--quick', action='store_true',
                        help='fewer steps / iterations (smoke test, ~half the time)')
    parser.add_argument('--budget', type=float,
                        help='time budget of every check in seconds (default: each check\'s '
                             'own, see --list); a check past it is killed and fails')
    parser.add_argument('--device', choices=['cuda', 'cpu'], default='cuda',
                        help='device compared with the CPU kernels; cpu = dry run of the tool '
                             '(CUDA-only checks skip)')
    parser.add_argument('--list', action='store_true', help='list the checks and exit')
    parser.add_argument('--run-check', help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def child_main(args: argparse.Namespace, checks: Dict[str, Check]) -> int:
    """``--run-check NAME``: run one check in this process and write its record."""
    import torch
    name = args.run_check
    work_dir = osp.join(args.out_dir, name)
    os.makedirs(work_dir, exist_ok=True)
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    ctx = Context(name, work_dir, args.quick, time.monotonic() + args.budget, args.device, gpus)
    record = execute(name, checks[name], ctx)
    from mmrsfm.utils import atomic_write_json
    atomic_write_json(osp.join(work_dir, 'record.json'), record, indent=1)
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    checks = build_checks()
    if args.list:
        for name, check in checks.items():
            print(f'{name:26s} {check.budget:5.0f} s  needs {"+".join(check.needs):24s} '
                  f'{check.summary}')
        return 0
    args.out_dir = osp.abspath(args.out_dir)
    if args.run_check:
        return child_main(args, checks)
    unknown = sorted(set(args.only or []) - set(checks))
    if unknown:
        print(f'{PREFIX} unknown check(s) {unknown}; choose from: {", ".join(checks)}',
              file=sys.stderr)
        return 2
    if args.budget is not None and args.budget <= 0:
        print(f'{PREFIX} --budget must be > 0, got {args.budget}', file=sys.stderr)
        return 2
    names = [n for n in checks if not args.only or n in args.only]
    env = probe_environment(args.device)
    os.makedirs(args.out_dir, exist_ok=True)
    json_path, md_path = osp.join(args.out_dir, 'report.json'), osp.join(args.out_dir, 'report.md')
    report: Dict[str, Any] = dict(
        tool='tools/misc/gpu_acceptance.py', started=datetime.datetime.now().isoformat(
            timespec='seconds'), finished=None, quick=args.quick, environment=env,
        tolerances=TOLERANCES, checks=[])
    print(f'{PREFIX} {len(names)} checks; torch {env["torch"]}, mmcv {env.get("mmcv")} '
          f'(CUDA ops: {env["mmcv_cuda_ops"]}), {env["gpus"]} GPU(s); report in {args.out_dir}',
          flush=True)
    for index, name in enumerate(names, 1):
        check = checks[name]
        reason = skip_reason(check, env)
        if reason is not None:
            record = make_record(name, 'skip', reason)
        else:
            budget = args.budget or check.budget * (0.6 if args.quick else 1.0)
            print(f'{PREFIX} ({index}/{len(names)}) {name}: running (budget {budget:.0f} s)',
                  flush=True)
            record = run_child(name, budget, args)
        report['checks'].append(record)
        print(f'{PREFIX} ({index}/{len(names)}) {name}: {record["status"].upper()} '
              f'in {record["seconds"]:.1f} s: {_short(record)}', flush=True)
        write_reports(report, json_path, md_path)
    report['finished'] = datetime.datetime.now().isoformat(timespec='seconds')
    write_reports(report, json_path, md_path)
    summary = report['summary']
    print(f'{PREFIX} {summary["pass"]} passed, {summary["fail"]} failed, {summary["skip"]} '
          f'skipped; {json_path}, {md_path}', flush=True)
    return 1 if summary['fail'] else 0


if __name__ == '__main__':
    sys.exit(main())
