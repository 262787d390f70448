"""The OpticalRS-13M curation run: scan -> filter/slice/hash (parallel, sharded) -> de-duplicate
-> index file, quarantine list, duplicate groups and summary.

Source files are only read. Everything is written under ``out_root``: ``slices/``, the
resumable state ``.curation_state/``, and the outputs ``index.txt``, ``quarantine.csv``,
``duplicates.json`` and ``summary.json`` (each written atomically).
"""
from __future__ import annotations

import csv
import json
import multiprocessing as mp
import os
import os.path as osp
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image
from tqdm import tqdm

from ..opticalrs import IMG_EXTENSIONS
from .filters import decode_rgb, header_reason, open_image, size_reason
from .hashing import code_bytes, codes_to_words, hamming, phash_code
from .manifest import (ShardStore, atomic_text_file, atomic_write_text, load_arrays,
                       params_key, save_arrays)
from .near_duplicates import choose_kept, group_near_duplicates
from .scan import FileEntry, list_files, list_sources, stray_files
from .slicing import slice_boxes, slice_path, write_crop

STATE_DIR = '.curation_state'
KEEP_RULE = ('largest image (pixels) of each group; ties: first in index order '
             '(source folder, then file path, then crop position)')


@dataclass
class CurationConfig:
    """Parameters of a curation run (see ``tools/dataset_converters/curate_opticalrs.py``).

    Args:
        src_root: Folder with one sub-folder per source dataset (read only).
        out_root: Output folder (may not be ``src_root``; may lie inside it, it is skipped).
        workers: Processes decoding and hashing images (1 = in this process).
        min_side / max_side: Size limits (pixels) of a kept image or crop.
        slice_threshold: Images with a side above this (pixels) are sliced; 0 disables slicing.
        slice_size: Side (pixels) of a crop; within ``[min_side, max_side]``.
        slice_format: ``'png'`` (lossless, default) or ``'jpg'`` (quality 95) for crops.
        hash_size: pHash side; ``hash_size**2`` bits (8 -> 64-bit pHash).
        threshold: Largest Hamming distance (bits, inclusive) of near duplicates.
        seed: Seed of the slicing (combined with each image's path).
        chunk_size: Files per shard (the unit of resumption and of parallel work).
        gray_tolerance: Channel spread (grey levels) up to which an RGB image counts as grey.
        search: Near-duplicate search, ``'auto'``, ``'flat'`` (faiss) or ``'mih'``.
        max_pixels: Pillow's decompression-bomb limit (pixels) while reading; RS mosaics are big.
        progress: Show progress bars.
    """
    src_root: str
    out_root: str
    workers: int = 1
    min_side: int = 64
    max_side: int = 1024
    slice_threshold: int = 1024
    slice_size: int = 512
    slice_format: str = 'png'
    hash_size: int = 8
    threshold: int = 4
    seed: int = 0
    chunk_size: int = 1000
    gray_tolerance: int = 2
    search: str = 'auto'
    max_pixels: int = 2**31
    extensions: Sequence[str] = field(default_factory=lambda: IMG_EXTENSIONS)
    progress: bool = True

    def shard_params(self) -> dict:
        """The parameters a shard's content depends on."""
        keys = ('min_side', 'max_side', 'slice_threshold', 'slice_size', 'slice_format',
                'hash_size', 'seed', 'gray_tolerance', 'max_pixels')
        return {k: getattr(self, k) for k in keys}

    def check(self) -> None:
        if osp.realpath(self.src_root) == osp.realpath(self.out_root):
            raise ValueError(f'--out ({self.out_root}) must differ from --src: sources are '
                             'never written to')
        if not 0 < self.min_side <= self.max_side:
            raise ValueError(f'need 0 < min_side ({self.min_side}) <= max_side '
                             f'({self.max_side})')
        if self.slice_threshold and not self.min_side <= self.slice_size <= self.max_side:
            raise ValueError(f'slice_size {self.slice_size} must lie within [min_side, '
                             f'max_side] = [{self.min_side}, {self.max_side}]')
        if self.slice_format not in ('png', 'jpg'):
            raise ValueError(f"slice_format must be 'png' or 'jpg', got {self.slice_format!r}")
        if self.hash_size < 2 or self.threshold < 0 or self.chunk_size < 1:
            raise ValueError('need hash_size >= 2, threshold >= 0 and chunk_size >= 1')


def process_file(src_root: str, out_root: str, rel: str, params: dict
                 ) -> Tuple[list, Optional[Tuple[str, str]]]:
    """Filter, slice and hash one source file.

    Returns:
        A list of kept items ``(slice path or '', box (x0, y0, x1, y1), code)`` and ``None``,
        or ``[]`` and the ``(reason, detail)`` of its quarantine.
    """
    image, reason = open_image(osp.join(src_root, rel))
    if reason is not None:
        return [], reason
    with image:
        reason = header_reason(image)
        width, height = image.size
        sliced = bool(params['slice_threshold']) and max(width, height) > params[
            'slice_threshold']
        if reason is None:
            # crops are at most slice_size <= max_side, so only the short side can fail
            reason = size_reason(width, height, params['min_side'],
                                 max(width, height) if sliced else params['max_side'])
        if reason is not None:
            return [], reason
        rgb, reason = decode_rgb(image, params['gray_tolerance'])
        if reason is not None:
            return [], reason
        if not sliced:
            return [('', (0, 0, width, height), phash_code(rgb, params['hash_size']))], None
        items = []
        for box in slice_boxes(width, height, params['slice_size'], params['seed'], rel):
            out_rel = slice_path(rel, box, params['slice_format'])
            crop = write_crop(rgb, box, osp.join(out_root, out_rel))
            items.append((out_rel, box, phash_code(crop, params['hash_size'])))
        return items, None


def process_chunk(task: dict) -> int:
    """Process one chunk of files and write its shard atomically; returns the file count."""
    params = task['params']
    origin, slices, boxes, codes, quarantine = [], [], [], [], []
    for rel, _, _ in task['files']:
        try:
            items, reason = process_file(task['src_root'], task['out_root'], rel, params)
        except Exception as err:  # e.g. a full disk while writing crops: name the file
            raise RuntimeError(f"{osp.join(task['src_root'], rel)}: {type(err).__name__}: "
                               f'{err}') from err
        if reason is not None:
            quarantine.append((rel, *reason))
        for out_rel, box, code in items:
            origin.append(rel)
            slices.append(out_rel)
            boxes.append(box)
            codes.append(code)
    nbytes = code_bytes(params['hash_size'])
    save_arrays(task['shard'], dict(
        origin=np.asarray(origin, dtype=str), slice=np.asarray(slices, dtype=str),
        box=np.asarray(boxes, np.int32).reshape(-1, 4),
        code=np.asarray(codes, np.uint8).reshape(-1, nbytes),
        q_file=np.asarray([q[0] for q in quarantine], dtype=str),
        q_reason=np.asarray([q[1] for q in quarantine], dtype=str),
        q_detail=np.asarray([q[2] for q in quarantine], dtype=str)))
    return len(task['files'])


def _init_worker(max_pixels: int) -> None:
    Image.MAX_IMAGE_PIXELS = max_pixels


def _run_tasks(tasks: List[dict], cfg: CurationConfig) -> None:
    total = sum(len(t['files']) for t in tasks)
    bar = tqdm(total=total, unit='img', desc='filter/slice/hash', disable=not cfg.progress)
    if cfg.workers <= 1:
        old = Image.MAX_IMAGE_PIXELS
        _init_worker(cfg.max_pixels)
        try:
            for task in tasks:
                bar.update(process_chunk(task))
        finally:
            Image.MAX_IMAGE_PIXELS = old
    else:
        # fork keeps the workers from re-importing the OpenMMLab stack
        method = 'fork' if 'fork' in mp.get_all_start_methods() else 'spawn'
        with mp.get_context(method).Pool(cfg.workers, _init_worker, (cfg.max_pixels, )) as pool:
            for done in pool.imap_unordered(process_chunk, tasks):
                bar.update(done)
    bar.close()


def _plan(cfg: CurationConfig, store: ShardStore, src: str, out: str, exclude: List[str]
          ) -> Tuple[List[str], List[dict], Dict[str, int]]:
    """All shard paths in order, the tasks of the missing ones, and file counts per source."""
    shards, tasks, per_source = [], [], {}
    for source in tqdm(list_sources(src, exclude), desc='scan', unit='source',
                       disable=not cfg.progress):
        files: List[FileEntry] = list_files(src, source, cfg.extensions, exclude)
        per_source[source] = len(files)
        for index, start in enumerate(range(0, len(files), cfg.chunk_size)):
            chunk = files[start:start + cfg.chunk_size]
            path = store.shard_path(source, index, chunk)
            shards.append(path)
            if not osp.isfile(path):
                tasks.append(dict(src_root=src, out_root=out, files=chunk, shard=path,
                                  params=cfg.shard_params()))
    return shards, tasks, per_source


def _dedup_labels(cfg: CurationConfig, store: ShardStore, shards: List[str],
                  codes: np.ndarray) -> Tuple[np.ndarray, Dict[str, int]]:
    """Group labels of all codes, cached under the state folder for reruns."""
    key = params_key(dict(shards=[osp.relpath(s, store.root) for s in shards],
                          threshold=cfg.threshold))
    cache = osp.join(store.root, f'dedup-{key}.npz')
    if osp.isfile(cache):
        data = load_arrays(cache)
        return data['labels'], dict(unique_codes=int(data['unique_codes']),
                                    pairs=int(data['pairs']))
    labels, counts = group_near_duplicates(codes, cfg.threshold, cfg.search)
    save_arrays(cache, dict(labels=labels, **{k: np.int64(v) for k, v in counts.items()}))
    return labels, counts


def _index_prefix(src: str, out: str) -> str:
    """How index entries reach the source root from ``out``: relative, else absolute."""
    try:
        return osp.relpath(src, out).replace(os.sep, '/')
    except ValueError:  # another drive on Windows
        return src.replace(os.sep, '/')


def _read_shards(shards: List[str], nbytes: int, progress: bool
                 ) -> Tuple[np.ndarray, np.ndarray, List[Tuple[str, str, str]]]:
    """Pass 1: ``(N, nbytes)`` codes and ``(N,)`` areas (pixels) of all items, and quarantine."""
    codes, areas, quarantine = [], [], []
    for path in tqdm(shards, desc='read shards', disable=not progress):
        data = load_arrays(path)
        codes.append(data['code'])
        box = data['box'].astype(np.int64)
        areas.append((box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1]))
        quarantine += zip(data['q_file'].tolist(), data['q_reason'].tolist(),
                          data['q_detail'].tolist())
    if not codes:
        return np.zeros((0, nbytes), np.uint8), np.zeros(0, np.int64), quarantine
    return np.concatenate(codes), np.concatenate(areas), quarantine


def _write_index(path: str, shards: List[str], prefix: str, kept: np.ndarray,
                 in_group: np.ndarray) -> Tuple[Dict[str, int], Dict[int, str]]:
    """Pass 2: stream kept entries to the index; returns kept counts per source and the names
    of duplicate-group members by position."""
    names: Dict[int, str] = {}
    per_source: Dict[str, int] = {}
    position = 0
    with atomic_text_file(path) as index:
        index.write('# OpticalRS-13M index (tools/dataset_converters/curate_opticalrs.py): '
                    'paths relative to this folder\n')
        for shard in shards:
            data = load_arrays(shard)
            source = osp.basename(osp.dirname(shard))
            per_source.setdefault(source, 0)
            for rel, sliced in zip(data['origin'].tolist(), data['slice'].tolist()):
                entry = sliced or f'{prefix}/{rel}'
                if in_group[position]:
                    names[position] = entry
                if kept[position]:
                    index.write(entry + '\n')
                    per_source[source] += 1
                position += 1
    return per_source, names


def curate(cfg: CurationConfig) -> dict:
    """Run (or resume) the curation; returns the summary (also written to ``summary.json``)
    plus ``run``: shards computed / reused and timings (seconds)."""
    cfg.check()
    start = time.perf_counter()
    src, out = osp.abspath(cfg.src_root), osp.abspath(cfg.out_root)
    exclude = [out] if (out + os.sep).startswith(src + os.sep) else []
    store = ShardStore(osp.join(out, STATE_DIR), cfg.shard_params())
    store.write_params()
    shards, tasks, per_source = _plan(cfg, store, src, out, exclude)
    _run_tasks(tasks, cfg)
    processed = time.perf_counter()

    codes, areas, quarantine = _read_shards(shards, code_bytes(cfg.hash_size), cfg.progress)
    quarantine += [(name, 'outside_source_folder', 'not inside a source-dataset folder')
                   for name in stray_files(src, cfg.extensions)]
    labels, dedup_counts = _dedup_labels(cfg, store, shards, codes)
    kept = choose_kept(labels, areas)
    searched = time.perf_counter()

    in_group = np.bincount(labels)[labels] > 1 if len(labels) else np.zeros(0, bool)
    per_source_kept, names = _write_index(osp.join(out, 'index.txt'), shards,
                                          _index_prefix(src, out), kept, in_group)
    groups = _duplicate_groups(labels, kept, in_group, codes_to_words(codes), names)
    report = dict(hash='pHash (imagehash)', hash_size=cfg.hash_size, threshold=cfg.threshold,
                  keep_rule=KEEP_RULE, groups=groups)
    atomic_write_text(osp.join(out, 'duplicates.json'), json.dumps(report, indent=1) + '\n')
    quarantine.sort()
    with atomic_text_file(osp.join(out, 'quarantine.csv')) as f:
        writer = csv.writer(f)
        writer.writerow(['file', 'reason', 'detail'])
        writer.writerows(quarantine)

    reasons: Dict[str, int] = {}
    for _, reason, _ in quarantine:
        reasons[reason] = reasons.get(reason, 0) + 1
    params = asdict(cfg) | dict(src_root=src, out_root=out, extensions=list(cfg.extensions))
    for key in ('progress', 'workers'):  # they do not change the result
        params.pop(key)
    num_kept = int(kept.sum())
    summary = dict(
        source_files=sum(per_source.values()), sources=per_source,
        quarantined=len(quarantine), quarantine_reasons=dict(sorted(reasons.items())),
        candidates=int(len(codes)), unique_codes=dedup_counts['unique_codes'],
        near_duplicate_pairs=dedup_counts['pairs'], duplicate_groups=len(groups),
        duplicates_removed=int(len(codes) - num_kept), images=num_kept,
        images_per_source={s: per_source_kept.get(s, 0) for s in per_source}, params=params)
    atomic_write_text(osp.join(out, 'summary.json'), json.dumps(summary, indent=1) + '\n')
    end = time.perf_counter()
    return dict(summary, run=dict(
        shards_total=len(shards), shards_computed=len(tasks),
        shards_reused=len(shards) - len(tasks),
        files_processed=sum(len(t['files']) for t in tasks),
        seconds_processing=round(processed - start, 2),
        seconds_dedup=round(searched - processed, 2), seconds_total=round(end - start, 2)))


def collect_codes(cfg: CurationConfig) -> Tuple[List[str], np.ndarray]:
    """Index entries (kept or not) and ``(N, B)`` uint8 codes of a finished run of ``cfg``."""
    src, out = osp.abspath(cfg.src_root), osp.abspath(cfg.out_root)
    exclude = [out] if (out + os.sep).startswith(src + os.sep) else []
    store = ShardStore(osp.join(out, STATE_DIR), cfg.shard_params())
    shards, tasks, _ = _plan(replace(cfg, progress=False), store, src, out,
                             exclude)
    if tasks:
        raise RuntimeError(f'{len(tasks)} shard(s) of {out} are missing: run curate() first')
    prefix = _index_prefix(src, out)
    entries, codes = [], []
    for path in shards:
        data = load_arrays(path)
        entries += [s or f'{prefix}/{o}' for o, s in zip(data['origin'].tolist(),
                                                         data['slice'].tolist())]
        codes.append(data['code'])
    return entries, np.concatenate(codes) if codes else np.zeros(
        (0, code_bytes(cfg.hash_size)), np.uint8)


def _duplicate_groups(labels: np.ndarray, kept: np.ndarray, in_group: np.ndarray,
                      words: np.ndarray, names: Dict[int, str]) -> List[dict]:
    """Groups of more than one image: the kept file, and each removed one with its distance."""
    members = np.flatnonzero(in_group)
    order = members[np.argsort(labels[members], kind='stable')]
    groups = []
    for chunk in np.split(order, np.flatnonzero(np.diff(labels[order])) + 1):
        if len(chunk) < 2:
            continue
        keep = chunk[kept[chunk]][0]
        removed = chunk[chunk != keep]
        dists = hamming(words[removed], np.broadcast_to(words[keep], words[removed].shape))
        groups.append(dict(kept=names[keep], removed=[
            dict(file=names[int(i)], distance=int(d)) for i, d in zip(removed, dists)]))
    groups.sort(key=lambda g: g['kept'])
    return groups
