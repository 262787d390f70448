"""Records, comparisons and reports of the GPU acceptance run (``tools/misc/gpu_acceptance.py``).

Everything here is pure (numpy / torch on any device) so that it is unit tested on CPU: the
comparison of an op's results on two devices within tolerances, the comparison of the boxes two
NMS implementations keep (which may legitimately differ on score ties), the distance between
the weights of two training runs, and the JSON / Markdown reports.
"""
from __future__ import annotations

import json
import math
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch

from mmrsfm.utils import atomic_write_json, atomic_write_text

#: The three outcomes of a check.
STATUSES = ('pass', 'fail', 'skip')


def make_record(name: str, status: str, reason: str = '',
                figures: Optional[Dict[str, Any]] = None, seconds: float = 0.0) -> Dict[str, Any]:
    """One check's outcome in the report's schema.

    Args:
        name (str): The check's name.
        status (str): ``'pass'``, ``'fail'`` or ``'skip'``.
        reason (str): Why it failed or was skipped, or what a pass means. Defaults to ''.
        figures (dict, optional): Measured numbers and settings (JSON-serialisable).
            Defaults to None (empty).
        seconds (float): Wall time of the check. Defaults to 0.

    Returns:
        dict: ``{name, status, reason, figures, seconds}``.
    """
    if status not in STATUSES:
        raise ValueError(f'status must be one of {STATUSES}, got {status!r} (check {name})')
    return dict(name=name, status=status, reason=reason, figures=dict(figures or {}),
                seconds=round(float(seconds), 2))


def compare_tensors(ref: torch.Tensor, other: torch.Tensor, atol: float,
                    rtol: float) -> Dict[str, Any]:
    """Compare ``other`` (e.g. a CUDA result) with ``ref`` (the CPU result) elementwise.

    An element agrees when ``|other - ref| <= atol + rtol * |ref|`` (``torch.isclose``'s rule);
    both tensors are compared in float64 on CPU.

    Args:
        ref (torch.Tensor): Reference result.
        other (torch.Tensor): Result to check, same shape.
        atol (float): Absolute tolerance.
        rtol (float): Relative tolerance.

    Returns:
        dict: ``ok`` (bool), ``max_abs_diff``, ``max_rel_diff`` (relative to ``|ref|``, over
        elements with ``|ref| > atol``), ``mismatched`` (number of elements out of tolerance),
        ``numel``, and ``shape_ref`` / ``shape_other`` when the shapes differ.
    """
    ref64 = ref.detach().to('cpu', torch.float64)
    other64 = other.detach().to('cpu', torch.float64)
    if ref64.shape != other64.shape:
        return dict(ok=False, shape_ref=list(ref64.shape), shape_other=list(other64.shape),
                    max_abs_diff=math.inf, max_rel_diff=math.inf, mismatched=-1,
                    numel=ref64.numel())
    if ref64.numel() == 0:
        return dict(ok=True, max_abs_diff=0.0, max_rel_diff=0.0, mismatched=0, numel=0)
    finite = torch.isfinite(ref64) & torch.isfinite(other64)
    same_nonfinite = ~finite & ((ref64 == other64) | (ref64.isnan() & other64.isnan()))
    diff = (other64 - ref64).abs().where(finite, torch.zeros_like(ref64))
    bad = (diff > atol + rtol * ref64.abs()) & finite | (~finite & ~same_nonfinite)
    big = finite & (ref64.abs() > atol)
    rel = (diff[big] / ref64.abs()[big]).max().item() if big.any() else 0.0
    return dict(ok=not bool(bad.any()), max_abs_diff=diff.max().item(), max_rel_diff=rel,
                mismatched=int(bad.sum()), numel=ref64.numel())


def compare_nms_keep(keep_ref: Sequence[int], keep_other: Sequence[int], iou: np.ndarray,
                     scores: np.ndarray, iou_threshold: float, score_tie: float = 1e-6,
                     iou_margin: float = 1e-4) -> Dict[str, Any]:
    """Compare the boxes two NMS runs keep, allowing the differences that ties explain.

    Two correct NMS implementations may keep different boxes when the order of equal scores
    differs (a tie), or when an IoU lies within float rounding of the threshold; a box kept or
    dropped differently then changes which of its neighbours survive, and so on. A box kept by
    only one run is *explained* when it overlaps (IoU above ``iou_threshold - iou_margin``)

    - a box whose score ties with its own (``|s_i - s_j| <= score_tie``), or
    - any box with an IoU within ``iou_margin`` of the threshold, or
    - another box kept by only one run that is itself explained (a cascade).

    Any unexplained difference is an error.

    Args:
        keep_ref (Sequence[int]): Indices kept by the reference (e.g. the CPU kernel).
        keep_other (Sequence[int]): Indices kept by the other run (e.g. the CUDA kernel).
        iou (np.ndarray): ``(N, N)`` IoU between all input boxes; 0 between boxes that cannot
            suppress each other (e.g. different classes in batched NMS).
        scores (np.ndarray): ``(N,)`` scores.
        iou_threshold (float): The NMS IoU threshold.
        score_tie (float): Scores this close are a tie. Defaults to 1e-6.
        iou_margin (float): IoUs this close to the threshold are borderline. Defaults to 1e-4.

    Returns:
        dict: ``ok``, ``kept_ref``, ``kept_other``, ``only_ref``, ``only_other`` (counts),
        ``explained`` (count) and ``unexplained`` (up to 10 indices).
    """
    iou = np.asarray(iou, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    ref, other = {int(i) for i in keep_ref}, {int(i) for i in keep_other}
    only_ref, only_other = ref - other, other - ref
    differing = sorted(only_ref | only_other)
    interacts = iou > iou_threshold - iou_margin
    np.fill_diagonal(interacts, False)
    explained = set()
    for i in differing:
        neighbours = np.flatnonzero(interacts[i])
        tie = np.abs(scores[neighbours] - scores[i]) <= score_tie
        borderline = np.abs(iou[i] - iou_threshold) <= iou_margin
        borderline[i] = False
        if tie.any() or borderline.any():
            explained.add(i)
    grown = True
    while grown:  # a difference next to an explained difference is explained too
        grown = False
        for i in differing:
            if i not in explained and any(interacts[i, j] for j in explained):
                explained.add(i)
                grown = True
    unexplained = [i for i in differing if i not in explained]
    return dict(ok=not unexplained, kept_ref=len(ref), kept_other=len(other),
                only_ref=len(only_ref), only_other=len(only_other), explained=len(explained),
                unexplained=unexplained[:10])


def weight_deviation(ref_final: Dict[str, torch.Tensor], other_final: Dict[str, torch.Tensor],
                     ref_first: Dict[str, torch.Tensor]) -> Dict[str, Any]:
    """How far a run's weights are from a reference run's, relative to how far training moved.

    ``||other_final - ref_final|| / ||ref_final - ref_first||`` over all floating-point tensors
    both state dicts share (L2 norms of the concatenated tensors): 0 when two runs train the
    same weights, about 1 or more when they diverge as much as training moves the weights.

    Args:
        ref_final (dict[str, torch.Tensor]): Reference weights after the last step.
        other_final (dict[str, torch.Tensor]): Compared weights after the last step.
        ref_first (dict[str, torch.Tensor]): Reference weights at an earlier step (e.g. after
            the first), so that the denominator is the training movement in between.

    Returns:
        dict: ``deviation`` (the ratio), ``distance``, ``movement`` (its two norms),
        ``tensors`` (number compared) and ``missing`` (up to 10 names in only one of the
        final state dicts).

    Raises:
        ValueError: The two final state dicts share no floating-point tensor, or a shared
            tensor has another shape.
    """
    names = [k for k, v in ref_final.items()
             if torch.is_floating_point(v) and k in other_final and k in ref_first]
    if not names:
        raise ValueError('the two state dicts share no floating-point tensor')
    missing = sorted(set(ref_final) ^ set(other_final))[:10]
    distance = movement = 0.0
    for name in names:
        ref, other = ref_final[name].double().cpu(), other_final[name].double().cpu()
        if ref.shape != other.shape:
            raise ValueError(f'{name}: shape {tuple(other.shape)} instead of {tuple(ref.shape)}')
        distance += float(((other - ref)**2).sum())
        movement += float(((ref - ref_first[name].double().cpu())**2).sum())
    distance, movement = math.sqrt(distance), math.sqrt(movement)
    deviation = distance / movement if movement > 0 else (0.0 if distance == 0 else math.inf)
    return dict(deviation=deviation, distance=distance, movement=movement, tensors=len(names),
                missing=missing)


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
            return f'{value:.3g}'
        return f'{value:.4g}'
    if isinstance(value, (list, tuple)):
        return '[' + ', '.join(_format_value(v) for v in value[:6]) + (
            ', ...]' if len(value) > 6 else ']')
    if isinstance(value, dict):
        return '{' + ', '.join(f'{k}: {_format_value(v)}' for k, v in value.items()) + '}'
    return str(value)


def _cell(text: str) -> str:
    return text.replace('|', '\\|').replace('\n', ' ')


def markdown_report(report: Dict[str, Any]) -> str:
    """The Markdown page of a report: environment, one table row per check, tolerances.

    Args:
        report (dict): As written to the JSON (see :func:`write_reports`).

    Returns:
        str: The Markdown text.
    """
    lines = ['# GPU acceptance report', '']
    summary = report.get('summary', {})
    lines.append(f"Started {report.get('started', '?')}, finished {report.get('finished', '?')}"
                 f"; quick: {report.get('quick', False)}. "
                 f"**{summary.get('pass', 0)} passed, {summary.get('fail', 0)} failed, "
                 f"{summary.get('skip', 0)} skipped.**")
    lines += ['', '## Environment', '', '| item | value |', '| --- | --- |']
    for key, value in report.get('environment', {}).items():
        lines.append(f'| {key} | {_cell(_format_value(value))} |')
    lines += ['', '## Checks', '', '| check | status | seconds | figures | reason |',
              '| --- | --- | --- | --- | --- |']
    for record in report.get('checks', []):
        figures = '; '.join(f'{k} = {_format_value(v)}' for k, v in record['figures'].items())
        lines.append(f"| {record['name']} | {record['status'].upper()} | "
                     f"{record['seconds']:.1f} | {_cell(figures)} | {_cell(record['reason'])} |")
    tolerances = report.get('tolerances', {})
    if tolerances:
        lines += ['', '## Tolerances and targets', '']
        lines += [f'- `{name}`: {text}' for name, text in tolerances.items()]
    return '\n'.join(lines) + '\n'


def summarise(records: List[Dict[str, Any]]) -> Dict[str, int]:
    """Count the records per status: ``{'pass': n, 'fail': n, 'skip': n}``.

    Args:
        records (list[dict]): Check records of :func:`make_record`.

    Returns:
        dict[str, int]: The number of records of each status of :data:`STATUSES` (0 included).

    Examples:
        >>> summarise([make_record('a', 'pass'), make_record('b', 'skip', 'no GPU')])
        {'pass': 1, 'fail': 0, 'skip': 1}
    """
    return {status: sum(r['status'] == status for r in records) for status in STATUSES}


def read_scalars(work_dir: str) -> List[Dict[str, Any]]:
    """All records of the latest run's ``vis_data/scalars.json`` under an mmengine work dir.

    Args:
        work_dir (str): The ``--work-dir`` of a ``tools/train.py`` run.

    Returns:
        list[dict]: One dict per logged line (training iterations, validations).

    Raises:
        FileNotFoundError: No run under ``work_dir`` logged scalars.
    """
    runs = sorted(d for d in os.listdir(work_dir)
                  if osp.isfile(osp.join(work_dir, d, 'vis_data', 'scalars.json')))
    if not runs:
        raise FileNotFoundError(f'no <timestamp>/vis_data/scalars.json under {work_dir}')
    with open(osp.join(work_dir, runs[-1], 'vis_data', 'scalars.json')) as f:
        return [json.loads(line) for line in f if line.strip()]


def _jsonable(value: Any) -> Any:
    """``value`` with non-finite floats as strings (``'inf'``, ``'nan'``): strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def write_reports(report: Dict[str, Any], json_path: str, md_path: str) -> None:
    """Write ``report`` as JSON and as Markdown, each atomically (a reader never sees half).

    Args:
        report (dict): ``started``, ``finished``, ``quick``, ``environment``, ``tolerances``,
            ``checks`` (records of :func:`make_record`); ``summary`` is (re)computed here.
        json_path (str): Output JSON file.
        md_path (str): Output Markdown file.
    """
    report['summary'] = summarise(report.get('checks', []))
    atomic_write_json(json_path, _jsonable(report), indent=1, allow_nan=False)
    atomic_write_text(md_path, markdown_report(report))


def load_report(path: str) -> Dict[str, Any]:
    """Read a report JSON written by :func:`write_reports`.

    Args:
        path (str): The report's JSON file.

    Returns:
        dict[str, Any]: The report (non-finite figures appear as the strings ``'inf'`` and
        ``'nan'``).
    """
    with open(path, encoding='utf-8') as f:
        return json.load(f)
