"""The OpticalRS-13M curation run: scan -> filter/slice/hash (parallel, sharded) -> de-duplicate
-> index file, quarantine list, duplicate groups and summary.

Source files are only read. Everything is written under ``out_root``: ``slices/``, the
resumable state ``.curation_state/``, and the outputs ``index.txt``, ``quarantine.csv``,
``duplicates.json`` and ``summary.json`` (each written atomically), plus
``review_applied.json`` when a reviewed decisions file is applied (``review``; see
:mod:`.review`). Nothing is created before the configuration and ``src_root`` are checked.
A run refuses an ``out_root`` whose ``slices/`` may hold crops of an earlier run with other
parameters, unless ``clean`` is set (then those crops and the earlier state are deleted once
the run is done).

Pool workers end with the curation process, even when it is killed with SIGKILL: on Linux the
kernel kills them (``prctl(PR_SET_PDEATHSIG, SIGKILL)``, set by the pool initializer); elsewhere a
watchdog thread in each worker polls its parent pid every 0.2 s and exits the worker.
"""
from __future__ import annotations

import csv
import json
import multiprocessing as mp
import os
import os.path as osp
import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image
from tqdm import tqdm

from mmrsfm.datasets.opticalrs import IMG_EXTENSIONS
from mmrsfm.utils.parallel import stop_with_parent

from .filters import decode_rgb, header_reason, open_image, size_reason
from .hashing import code_bytes, codes_to_words, hamming, phash_code
from .manifest import (ShardStore, atomic_text_file, atomic_write_text, load_arrays, params_key,
                       save_arrays)
from .near_duplicates import choose_kept, group_near_duplicates
from .review import DECISIONS, ReviewError, apply_review, check_review, group_id, load_review
from .scan import FileEntry, list_files, list_sources, stray_files
from .slicing import slice_boxes, slice_path, write_crop

STATE_DIR = '.curation_state'
SLICES_DIR = 'slices'
DUPLICATES_FORMAT_VERSION = 2  # 2: each group has an ``id`` (review.group_id)
REVIEW_APPLIED = 'review_applied.json'
KEEP_RULE = ('largest image (pixels) of each group; ties: first in index order '
             '(source folder, then file path, then crop position)')


@dataclass
class CurationConfig:
    """Parameters of a curation run (see ``tools/dataset_converters/curate_opticalrs.py``).

    Args:
        src_root (str): Folder with one sub-folder per source dataset (read only).
        out_root (str): Output folder (may not be ``src_root``; may lie inside it, it is
            skipped).
        workers (int): Processes decoding and hashing images (1 = in this process).
            Defaults to 1.
        min_side (int): Smallest side (pixels) of a kept image or crop. Defaults to 64.
        max_side (int): Largest side (pixels) of a kept image or crop. Defaults to 1024.
        slice_threshold (int): Images with a side above this (pixels) are sliced; 0 disables
            slicing. Defaults to 1024.
        slice_size (int): Side (pixels) of a crop; within ``[min_side, max_side]``.
            Defaults to 512.
        slice_format (str): ``'png'`` (lossless) or ``'jpg'`` (quality 95) for crops.
            Defaults to 'png'.
        hash_size (int): pHash side; ``hash_size**2`` bits (8 -> 64-bit pHash). Defaults to 8.
        threshold (int): Largest Hamming distance (bits, inclusive) of near duplicates.
            Defaults to 4.
        seed (int): Seed of the slicing (combined with each image's path). Defaults to 0.
        chunk_size (int): Files per shard (the unit of resumption and of parallel work).
            Defaults to 1000.
        gray_tolerance (int): Channel spread (grey levels) up to which an RGB image counts as
            grey; negative disables the check. Defaults to 2.
        search (str): Near-duplicate search, ``'auto'``, ``'flat'`` (faiss) or ``'mih'``.
            Defaults to 'auto'.
        max_pixels (int): Pillow's decompression-bomb limit (pixels) while reading; RS mosaics
            are big. Defaults to ``2**31``.
        extensions (Sequence[str]): Suffixes of the image files to read (case-insensitive).
            Defaults to ``IMG_EXTENSIONS`` of :mod:`mmrsfm.datasets.opticalrs`.
        progress (bool): Show progress bars. Defaults to True.
        clean (bool): Delete what earlier runs with other parameters left under ``out_root``
            (crops in ``slices/`` this run does not produce, and their state folders) after
            the run. Without it, a run refuses an ``out_root`` holding such an earlier run.
            Defaults to False.
        review (str | None): A reviewed decisions file (see :mod:`.review`) to apply to the
            near-duplicate groups of the finished run of these parameters: ``index.txt`` is
            rebuilt from the stored shards (nothing is decoded or hashed); a run with missing
            shards or a bad or stale file is refused before anything is written. The file is
            only read. Defaults to None.

    Examples:
        >>> cfg = CurationConfig('data/raw', 'data/OpticalRS-13M', workers=8)
        >>> cfg.shard_params()['slice_size']
        512
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
    clean: bool = False
    review: Optional[str] = None

    def shard_params(self) -> dict:
        """The parameters a shard's content depends on.

        Returns:
            dict: ``min_side``, ``max_side``, ``slice_threshold``, ``slice_size``,
            ``slice_format``, ``hash_size``, ``seed``, ``gray_tolerance`` and ``max_pixels``.
        """
        keys = ('min_side', 'max_side', 'slice_threshold', 'slice_size', 'slice_format',
                'hash_size', 'seed', 'gray_tolerance', 'max_pixels')
        return {k: getattr(self, k) for k in keys}

    def check(self) -> None:
        """Refuse impossible parameters and a bad ``src_root`` / ``out_root``, creating nothing.

        Raises:
            FileNotFoundError: ``src_root`` is not a folder.
            ValueError: ``src_root`` has no source-dataset sub-folder, ``out_root`` is
                ``src_root`` or an existing file, or parameters are out of range.
        """
        if not osp.isdir(self.src_root):
            raise FileNotFoundError(
                f'source root (--src) {self.src_root} is not a folder; expected a folder with '
                'one sub-folder per source dataset. Nothing was written')
        if osp.realpath(self.src_root) == osp.realpath(self.out_root):
            raise ValueError(f'--out ({self.out_root}) must differ from --src: sources are '
                             'never written to')
        if osp.exists(self.out_root) and not osp.isdir(self.out_root):
            raise ValueError(f'--out {self.out_root} exists and is not a folder')
        src, out = osp.abspath(self.src_root), osp.abspath(self.out_root)
        exclude = [out] if (out + os.sep).startswith(src + os.sep) else []
        if not list_sources(src, exclude):
            strays = len(stray_files(src, self.extensions))
            hint = (f'; if {src} is itself one source, pass its parent folder as --src'
                    if strays else '')
            raise ValueError(
                f'source root (--src) {self.src_root} has no source-dataset sub-folder (found '
                f'{strays} image(s) directly in it); expected <src>/<source>/<images>{hint}. '
                'Nothing was written')
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

    Args:
        src_root (str): Source root.
        out_root (str): Output root; crops are written under its ``slices/``.
        rel (str): Path of the file relative to ``src_root`` (posix).
        params (dict): Shard parameters, as :meth:`CurationConfig.shard_params` returns them.

    Returns:
        Tuple[list, Tuple[str, str] | None]: A list of kept items ``(slice path relative to
        out_root or '' for the whole image, box (x0, y0, x1, y1) in pixels, (B,) uint8 code)``
        and ``None``, or ``[]`` and the ``(reason, detail)`` of its quarantine.
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
    """Process one chunk of files and write its shard atomically; returns the file count.

    Args:
        task (dict): ``src_root``, ``out_root``, ``files`` (the chunk's ``FileEntry`` list),
            ``shard`` (the ``.npz`` path to write) and ``params`` (shard parameters).

    Returns:
        int: Number of source files processed (kept or quarantined).

    Raises:
        RuntimeError: Naming the source file when processing it fails unexpectedly (e.g. a
            full disk while writing crops).
    """
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


def _init_worker(max_pixels: int, parent_pid: Optional[int] = None) -> None:
    Image.MAX_IMAGE_PIXELS = max_pixels
    if parent_pid is not None:
        stop_with_parent(parent_pid)


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
        with mp.get_context(method).Pool(cfg.workers, _init_worker,
                                         (cfg.max_pixels, os.getpid())) as pool:
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
                  codes: np.ndarray, defer: bool = False
                  ) -> Tuple[np.ndarray, Dict[str, int], Optional[Tuple[str, dict]]]:
    """Group labels of all codes, cached under the state folder for reruns. With ``defer`` a
    new cache is not written but returned as ``(path, arrays)`` for the caller to save."""
    key = params_key(dict(shards=[osp.relpath(s, store.root) for s in shards],
                          threshold=cfg.threshold))
    cache = osp.join(store.root, f'dedup-{key}.npz')
    if osp.isfile(cache):
        data = load_arrays(cache)
        return data['labels'], dict(unique_codes=int(data['unique_codes']),
                                    pairs=int(data['pairs'])), None
    labels, counts = group_near_duplicates(codes, cfg.threshold, cfg.search)
    arrays = dict(labels=labels, **{k: np.int64(v) for k, v in counts.items()})
    if defer:
        return labels, counts, (cache, arrays)
    save_arrays(cache, arrays)
    return labels, counts, None


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


def _member_names(shards: List[str], prefix: str, in_group: np.ndarray) -> Dict[int, str]:
    """Index entries of the duplicate-group members by position (a pass over the shards)."""
    names: Dict[int, str] = {}
    position = 0
    for shard in shards:
        data = load_arrays(shard)
        for k in np.flatnonzero(in_group[position:position + len(data['origin'])]):
            names[position + int(k)] = str(data['slice'][k]) or f"{prefix}/{data['origin'][k]}"
        position += len(data['origin'])
    return names


def _group_positions(labels: np.ndarray, in_group: np.ndarray) -> List[np.ndarray]:
    """Index positions (ascending) of the members of each group of more than one image."""
    members = np.flatnonzero(in_group)
    order = members[np.argsort(labels[members], kind='stable')]
    return [chunk for chunk in np.split(order, np.flatnonzero(np.diff(labels[order])) + 1)
            if len(chunk) > 1]


def _write_index(path: str, shards: List[str], prefix: str, kept: np.ndarray,
                 in_group: np.ndarray, note: str = ''
                 ) -> Tuple[Dict[str, int], Dict[int, str]]:
    """Pass 2: stream kept entries to the index; returns kept counts per source and the names
    of duplicate-group members by position. ``note``: an extra comment line."""
    names: Dict[int, str] = {}
    per_source: Dict[str, int] = {}
    position = 0
    with atomic_text_file(path) as index:
        index.write('# OpticalRS-13M index (tools/dataset_converters/curate_opticalrs.py): '
                    'paths relative to this folder\n')
        if note:
            index.write(f'# {note}\n')
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


def _slice_params(params: dict) -> dict:
    """The shard parameters that decide which crops are written (all but the hash size)."""
    return {k: v for k, v in params.items() if k != 'hash_size'}


def earlier_runs(out_root: str, current: str) -> List[Tuple[str, Optional[dict]]]:
    """State folders of earlier runs under ``<out_root>/.curation_state`` other than
    ``current``, each with its parameters (``None`` when its ``params.json`` is unreadable).

    Args:
        out_root (str): Output root of the run.
        current (str): State folder of the current parameters, left out.

    Returns:
        List[Tuple[str, dict | None]]: ``(state folder path, parameters)``, sorted by folder
        name; empty when there is no state folder.
    """
    state = osp.join(out_root, STATE_DIR)
    if not osp.isdir(state):
        return []
    found = []
    for entry in sorted(os.scandir(state), key=lambda e: e.name):
        if not entry.is_dir() or osp.abspath(entry.path) == osp.abspath(current):
            continue
        try:
            with open(osp.join(entry.path, 'params.json'), encoding='utf-8') as f:
                params = json.load(f)
        except (OSError, ValueError):
            params = None
        found.append((entry.path, params))
    return found


def _has_files(folder: str) -> bool:
    for _, _, files in os.walk(folder):
        if files:
            return True
    return False


def _refuse_stale_slices(out: str, stale: List[Tuple[str, Optional[dict]]], now: dict) -> None:
    """Raise the error telling the user how to get rid of an earlier run's crops."""
    now = _slice_params(now)
    changes = []
    for _, params in stale[:3]:
        if params is None:
            changes.append('unknown parameters (unreadable params.json)')
            continue
        params = _slice_params(params)
        changes.append(', '.join(f'{k} {params.get(k)!r} then, {v!r} now'
                                 for k, v in now.items() if params.get(k) != v))
    raise ValueError(
        f'--out {out} holds {len(stale)} earlier curation run(s) with other slicing parameters '
        f'({"; ".join(changes)}): their crops in {osp.join(out, SLICES_DIR)} would stay next '
        'to the new ones. Use a new --out, or add --clean to delete the crops this run does '
        'not produce and the earlier state once it is done. Nothing was written')


def _clean(out: str, shards: List[str], earlier: List[str]) -> Dict[str, int]:
    """Delete crops under ``slices/`` that no shard of this run lists (earlier runs' crops,
    temporary files of killed workers), then the earlier runs' state folders."""
    referenced = set()
    for shard in shards:
        referenced.update(s for s in load_arrays(shard)['slice'].tolist() if s)
    removed = 0
    slices = osp.join(out, SLICES_DIR)
    for folder, _, files in os.walk(slices, topdown=False):
        for name in files:
            path = osp.join(folder, name)
            if osp.relpath(path, out).replace(os.sep, '/') not in referenced:
                os.remove(path)
                removed += 1
        if folder != slices and not os.listdir(folder):
            os.rmdir(folder)
    for folder in earlier:  # last: until here a rerun without --clean still refuses
        shutil.rmtree(folder)
    return dict(stale_files_removed=removed, earlier_states_removed=len(earlier))


def curate(cfg: CurationConfig) -> dict:
    """Run (or resume) the curation; returns the summary (also written to ``summary.json``)
    plus ``run``: shards computed / reused, what ``clean`` removed, and timings (seconds).

    Args:
        cfg (CurationConfig): Parameters of the run.

    Returns:
        dict: The summary (file counts per source, quarantine reasons, candidates, unique
        codes, near-duplicate pairs, duplicate groups, kept images per source, parameters)
        and ``run`` (shard counts, files processed, removed stale files and timings in
        seconds).

        With ``review``, the summary also has ``review`` (the file, its SHA-256, counts of the
        decisions applied and of undecided groups, images kept by the default rule).

    Raises:
        FileNotFoundError: ``src_root`` is not a folder (nothing is created).
        ValueError: bad parameters or ``src_root`` (nothing is created), or ``out_root`` holds
            an earlier run with other slicing parameters and ``clean`` is not set.
        ReviewError: (a ``ValueError``) ``review`` is malformed, stale for this run's groups,
            or the run it should apply to is not finished; nothing is written.
    """
    cfg.check()
    review = load_review(cfg.review) if cfg.review else None
    start = time.perf_counter()
    src, out = osp.abspath(cfg.src_root), osp.abspath(cfg.out_root)
    exclude = [out] if (out + os.sep).startswith(src + os.sep) else []
    store = ShardStore(osp.join(out, STATE_DIR), cfg.shard_params())
    earlier = earlier_runs(out, store.root)
    stale = [(path, params) for path, params in earlier
             if params is None or _slice_params(params) != _slice_params(cfg.shard_params())]
    if stale and not cfg.clean and _has_files(osp.join(out, SLICES_DIR)):
        _refuse_stale_slices(out, stale, cfg.shard_params())
    if review is None:
        store.write_params()
    shards, tasks, per_source = _plan(cfg, store, src, out, exclude)
    if review is not None and tasks:
        raise ReviewError(
            f'review file {cfg.review}: {len(tasks)} of {len(shards)} shard(s) of the run it '
            f'applies to are missing under {store.root} (sources changed, parameters other '
            'than the reviewed run\'s, or the run did not finish): a review is applied to a '
            'finished run without decoding or hashing anything. Run without --review first and '
            'review its duplicates.json; nothing was written')
    _run_tasks(tasks, cfg)
    processed = time.perf_counter()

    codes, areas, quarantine = _read_shards(shards, code_bytes(cfg.hash_size), cfg.progress)
    quarantine += [(name, 'outside_source_folder', 'not inside a source-dataset folder')
                   for name in stray_files(src, cfg.extensions)]
    labels, dedup_counts, pending = _dedup_labels(cfg, store, shards, codes,
                                                  defer=review is not None)
    kept = choose_kept(labels, areas)
    searched = time.perf_counter()

    in_group = np.bincount(labels)[labels] > 1 if len(labels) else np.zeros(0, bool)
    prefix = _index_prefix(src, out)
    index_kept, note, applied = kept, '', None
    if review is not None:  # everything is checked before the first write
        index_kept, applied = _apply_review(cfg.review, review, labels, in_group, areas, kept,
                                            _member_names(shards, prefix, in_group))
        note = (f'near duplicates as reviewed in {osp.basename(cfg.review)} (sha256 '
                f'{applied["review_sha256"]}); see {REVIEW_APPLIED}')
        if not osp.isfile(osp.join(store.root, 'params.json')):  # the run had no shards
            store.write_params()
        if pending is not None:
            save_arrays(*pending)
    per_source_kept, names = _write_index(osp.join(out, 'index.txt'), shards, prefix,
                                          index_kept, in_group, note)
    groups = _duplicate_groups(labels, kept, in_group, codes_to_words(codes), names)
    report = dict(format_version=DUPLICATES_FORMAT_VERSION, hash='pHash (imagehash)',
                  hash_size=cfg.hash_size, threshold=cfg.threshold, keep_rule=KEEP_RULE,
                  groups=groups)
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
    for key in ('progress', 'workers', 'clean', 'review'):  # 'review': its own entry below
        params.pop(key)
    num_kept = int(index_kept.sum())
    summary = dict(
        source_files=sum(per_source.values()), sources=per_source,
        quarantined=len(quarantine), quarantine_reasons=dict(sorted(reasons.items())),
        candidates=int(len(codes)), unique_codes=dedup_counts['unique_codes'],
        near_duplicate_pairs=dedup_counts['pairs'], duplicate_groups=len(groups),
        duplicates_removed=int(len(codes) - num_kept), images=num_kept,
        images_per_source={s: per_source_kept.get(s, 0) for s in per_source}, params=params)
    applied_path = osp.join(out, REVIEW_APPLIED)
    if applied is not None:
        summary['review'] = dict({k: v for k, v in applied.items() if k != 'groups'},
                                 images_default_rule=int(kept.sum()))
        atomic_write_text(applied_path, json.dumps(applied, indent=1) + '\n')
    elif osp.isfile(applied_path):  # an earlier reviewed index.txt was just replaced
        os.remove(applied_path)
    atomic_write_text(osp.join(out, 'summary.json'), json.dumps(summary, indent=1) + '\n')
    cleaned = _clean(out, shards, [path for path, _ in earlier]) if cfg.clean else dict(
        stale_files_removed=0, earlier_states_removed=0)
    end = time.perf_counter()
    return dict(summary, run=dict(
        shards_total=len(shards), shards_computed=len(tasks), **cleaned,
        shards_reused=len(shards) - len(tasks),
        files_processed=sum(len(t['files']) for t in tasks),
        seconds_processing=round(processed - start, 2),
        seconds_dedup=round(searched - processed, 2), seconds_total=round(end - start, 2)))


def collect_codes(cfg: CurationConfig) -> Tuple[List[str], np.ndarray]:
    """Index entries (kept or not) and ``(N, B)`` uint8 codes of a finished run of ``cfg``.

    Args:
        cfg (CurationConfig): Parameters of the finished run.

    Returns:
        Tuple[List[str], np.ndarray]: The ``N`` index entries of every candidate image or
        crop, in index order, and their ``(N, B)`` uint8 packed pHash codes.

    Raises:
        RuntimeError: If some shards of the run are missing (``curate`` was not run or did
            not finish).
    """
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


def _apply_review(path: str, loaded: Tuple[list, str], labels: np.ndarray,
                  in_group: np.ndarray, areas: np.ndarray, kept: np.ndarray,
                  names: Dict[int, str]) -> Tuple[np.ndarray, dict]:
    """Check the loaded decisions against the run's groups and apply them; returns the
    reviewed kept mask and the record written to ``review_applied.json``."""
    decisions, sha256 = loaded
    positions = {}
    for chunk in _group_positions(labels, in_group):
        positions[group_id(names[int(i)] for i in chunk)] = chunk
    check_review(decisions, {gid: [names[int(i)] for i in chunk]
                             for gid, chunk in positions.items()}, path)
    reviewed, applied = apply_review(decisions, positions, names, areas, kept)
    notes = {d.group: d.note for d in decisions if d.note}
    records = []
    for gid, chunk in positions.items():
        record = dict(id=gid, decision=applied.get(gid, 'default'),
                      kept=[names[int(i)] for i in chunk if reviewed[i]],
                      removed=[names[int(i)] for i in chunk if not reviewed[i]])
        if gid in notes:
            record['note'] = notes[gid]
        records.append((names[int(chunk[kept[chunk]][0])], record))
    records.sort(key=lambda r: r[0])  # the order of duplicates.json
    counts = {d: sum(v == d for v in applied.values()) for d in DECISIONS}
    return reviewed, dict(
        format='mmrsfm-curation-review-applied', version=1, review_file=osp.abspath(path),
        review_sha256=sha256, decisions=counts, undecided_groups=len(positions) - len(applied),
        groups=[r for _, r in records])


def _duplicate_groups(labels: np.ndarray, kept: np.ndarray, in_group: np.ndarray,
                      words: np.ndarray, names: Dict[int, str]) -> List[dict]:
    """Groups of more than one image: their id, the kept file (default rule), and each removed
    one with its distance to it."""
    groups = []
    for chunk in _group_positions(labels, in_group):
        keep = chunk[kept[chunk]][0]
        removed = chunk[chunk != keep]
        dists = hamming(words[removed], np.broadcast_to(words[keep], words[removed].shape))
        groups.append(dict(id=group_id(names[int(i)] for i in chunk), kept=names[keep],
                           removed=[dict(file=names[int(i)], distance=int(d))
                                    for i, d in zip(removed, dists)]))
    groups.sort(key=lambda g: g['kept'])
    return groups
