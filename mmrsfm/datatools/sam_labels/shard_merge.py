"""Merging sharded SAM label generation: check that every image was done exactly once, then
assemble the output folder an unsharded run would have written.

Checks, each an error listing the files or images concerned (nothing is written before all
pass):

* ``OUT/shards/`` holds only ``shard-<k>-of-<N>`` folders, all with the same ``N``, and all
  ``N`` of them;
* every shard was made with the label settings of the others and of the merge command
  (``LABEL_SETTINGS``) and finished a run (its ``summary.json`` exists);
* foreign files: a per-image output (``gray/``, ``color/``, ``instances/``) of an image that is
  not among the inputs, or that belongs to another shard; in ``OUT`` itself, an output of an
  image no shard made;
* duplicates: an image done (all three outputs) in more than one shard;
* missing: an input image that its shard has not done. An image its shard's summary reports as
  skipped for a bad input (a malformed annotation file, an unreadable image) is accepted with
  ``allow_skipped`` and listed among the merged problems, as an unsharded run lists it.

Then every shard's per-image files are placed into ``OUT/gray``, ``OUT/color`` and
``OUT/instances`` (hard links where the file system allows, else copies; each placed under a
temporary name and renamed), and ``OUT/instances.json``, ``OUT/generation.json`` and the
combined ``OUT/summary.json`` are written atomically. The shard folders are left as they are, so
the merge can be rerun.
"""
from __future__ import annotations

import glob
import json
import os
import os.path as osp
import shutil
import tempfile
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from mmrsfm.utils import atomic_write_json

from .generation import LABEL_SETTINGS, coco_summary, pair_images, read_records, records_coco
from .sharding import SHARD_DIR_PATTERN, SHARDS_DIR, shard_of

OUTPUT_KINDS = (('gray', '.png'), ('color', '.png'), ('instances', '.json'))


class ShardMergeError(ValueError):
    """A sharded label run that cannot be merged; the message lists every problem found.

    Args:
        problems (Sequence[str]): One line per problem.
        limit (int): Lines shown in the message; the rest are counted. Defaults to 50.

    Examples:
        >>> str(ShardMergeError(['missing: A', 'missing: B'], limit=1))
        'cannot merge the label shards:\\n  missing: A\\n  ... and 1 more'
    """

    def __init__(self, problems: Sequence[str], limit: int = 50) -> None:
        self.problems = list(problems)
        shown = self.problems[:limit]
        more = len(self.problems) - len(shown)
        super().__init__('cannot merge the label shards:\n  ' + '\n  '.join(shown)
                         + (f'\n  ... and {more} more' if more else ''))


def _stem(path: str) -> str:
    return osp.splitext(osp.basename(path))[0]


def _outputs(folder: str) -> Dict[str, Dict[str, str]]:
    """stem -> {kind: path} of the per-image outputs in a label folder (dot files ignored)."""
    found: Dict[str, Dict[str, str]] = {}
    for kind, suffix in OUTPUT_KINDS:
        for path in sorted(glob.glob(osp.join(folder, kind, '*'))):
            found.setdefault(_stem(path) if path.endswith(suffix) else osp.basename(path),
                             {})[kind] = path
    return found


def _read_json(path: str) -> Optional[dict]:
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def find_shards(out_dir: str) -> Tuple[int, Dict[int, str], List[str]]:
    """The shard folders under ``out_dir/shards``.

    Args:
        out_dir (str): The output folder of the sharded run.

    Returns:
        Tuple[int, Dict[int, str], List[str]]: The number of shards ``N``, shard id -> folder,
        and the problems found (other entries, mixed ``N``, missing shards).

    Raises:
        ShardMergeError: If ``out_dir/shards`` holds no shard folder.
    """
    root = osp.join(out_dir, SHARDS_DIR)
    entries = sorted(os.listdir(root)) if osp.isdir(root) else []
    folders: Dict[int, Dict[int, str]] = {}
    problems = []
    for name in entries:
        match = SHARD_DIR_PATTERN.match(name)
        if match is None or not osp.isdir(osp.join(root, name)):
            problems.append(f'foreign entry {osp.join(root, name)} (expected only '
                            f'shard-KKKKK-of-NNNNN folders)')
            continue
        shard_id, num_shards = int(match.group(1)), int(match.group(2))
        folders.setdefault(num_shards, {})[shard_id] = osp.join(root, name)
    if not folders:
        raise ShardMergeError([f'no shard folders (shard-KKKKK-of-NNNNN) in {root}: run the '
                               f'shards first (--num-shards N with --shard-id, torchrun or Slurm)'])
    if len(folders) > 1:
        problems.append(f'shard folders of different shard counts {sorted(folders)} in {root}: '
                        f'keep only those of one run')
    num_shards = max(folders, key=lambda n: len(folders[n]))
    shards = folders[num_shards]
    missing = [k for k in range(num_shards) if k not in shards]
    problems += [f'shard {k} of {num_shards} never ran: no folder '
                 f'{osp.join(root, f"shard-{k:05d}-of-{num_shards:05d}")}' for k in missing]
    problems += [f'shard folder {path} has id {k} >= {num_shards}'
                 for k, path in shards.items() if k >= num_shards]
    return num_shards, shards, problems


def _check_settings(shards: Dict[int, str], settings: dict) -> Tuple[List[str], List[dict]]:
    problems, summaries = [], []
    for k, folder in sorted(shards.items()):
        recorded = _read_json(osp.join(folder, 'generation.json'))
        summary = _read_json(osp.join(folder, 'summary.json'))
        if recorded is None or summary is None:
            problems.append(f'shard {k} has not finished a run (no '
                            f'{"generation" if recorded is None else "summary"}.json in '
                            f'{folder}): run it (again)')
            continue
        changed = [key for key in LABEL_SETTINGS
                   if key in recorded and key in settings and recorded[key] != settings[key]]
        if changed:
            problems.append(f'shard {k} ({folder}) was made with other settings: ' + ', '.join(
                f'{key}={recorded[key]!r} (merge command: {settings[key]!r})' for key in changed))
        summaries.append(summary)
    return problems, summaries


def _skipped_images(summaries: Iterable[dict]) -> Dict[str, dict]:
    """stem -> problem of every image a shard reports as skipped for a bad input."""
    return {_stem(p['file']): p for s in summaries for p in s['problems']
            if p['action'] == 'image skipped'}


def _place(src: str, dst: str) -> None:
    """Hard-link (else copy) ``src`` to a temporary name next to ``dst``, then rename it."""
    if osp.exists(dst) and osp.samefile(src, dst):
        return  # placed by an earlier merge (rename() onto the same file would do nothing)
    folder = osp.dirname(dst)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.tmp_', suffix=osp.basename(dst))
    os.close(fd)
    os.remove(tmp)
    try:
        try:
            os.link(src, tmp)
        except OSError:  # file systems without hard links
            shutil.copy2(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        if osp.lexists(tmp):
            os.remove(tmp)
        raise


def merge_shards(out_dir: str, images_dir: str, ann_dir: str, fmt: str,
                 classes: Sequence[str], settings: dict, allow_skipped: bool = False) -> dict:
    """Check a sharded label run and assemble ``out_dir`` (see the module docstring).

    Args:
        out_dir (str): The output folder of the sharded run (``--out``).
        images_dir (str): The folder of the images (the run's ``--images``).
        ann_dir (str): The folder of the annotation files (``--annotations``).
        fmt (str): Annotation format, ``'dota'``, ``'dior'`` or ``'fair1m'``.
        classes (Sequence[str]): The target class names in label order.
        settings (dict): The label settings of the merge command (compared with the shards'
            ``generation.json`` on ``LABEL_SETTINGS``; written to ``OUT/generation.json``).
        allow_skipped (bool): Accept images their shard skipped for a bad input (reported in
            the shard's summary). Defaults to False.

    Returns:
        dict: The combined summary written to ``OUT/summary.json``: the shards' counts summed
        (``images``, ``processed``, ``skipped_done``, ``instances``, ``empty_masks``), their
        ``problems``, the merged COCO's ``coco_images``, ``coco_annotations``,
        ``images_without_objects``, ``prompt_types``, and ``prompt``, ``num_shards``.

    Raises:
        ShardMergeError: Listing every problem found (missing shards or images, duplicate or
            foreign files, other settings).
        FileNotFoundError: If ``images_dir`` holds no image.
    """
    num_shards, shards, problems = find_shards(out_dir)
    setting_problems, summaries = _check_settings(shards, settings)
    problems += setting_problems
    top = _read_json(osp.join(out_dir, 'generation.json'))
    if top is not None:
        changed = [k for k in LABEL_SETTINGS
                   if k in top and k in settings and top[k] != settings[k]]
        if changed:
            problems.append(f'{out_dir} holds labels made with other settings: ' + ', '.join(
                f'{k}={top[k]!r}' for k in changed))

    pairs, _ = pair_images(images_dir, ann_dir, fmt)
    expected = {stem: shard_of(stem, num_shards) for stem, _, _ in pairs}
    done: Dict[str, List[Tuple[int, Dict[str, str]]]] = {}
    for k, folder in sorted(shards.items()):
        for stem, files in _outputs(folder).items():
            if stem not in expected:
                problems += [f'foreign file {p}: no such input image in {images_dir} with an '
                             f'annotation in {ann_dir}' for p in files.values()]
            elif expected[stem] != k:
                problems += [f'foreign file {p}: image {stem} belongs to shard '
                             f'{expected[stem]}, not {k}' for p in files.values()]
            if len(files) == len(OUTPUT_KINDS):
                done.setdefault(stem, []).append((k, files))
    for stem, where in sorted(done.items()):
        if len(where) > 1:
            problems.append(f'duplicate: image {stem} is done in shards '
                            f'{[k for k, _ in where]}')
    skipped = _skipped_images(summaries)
    missing = [stem for stem in sorted(expected) if stem not in done
               and not (allow_skipped and stem in skipped)]
    for stem in missing:
        reason = ' (not labelled yet: rerun the shard)'
        if stem in skipped:
            reason = (f' (skipped: {skipped[stem]["file"]}:{skipped[stem]["line"]}: '
                      f'{skipped[stem]["message"]}; fix it and rerun the shard, or merge with '
                      f'--allow-skipped)')
        problems.append(f'missing: image {stem} of shard {expected[stem]}{reason}')
    for stem, files in _outputs(out_dir).items():
        if stem not in done:
            problems += [f'foreign file {p}: image {stem} is done in no shard'
                         for p in files.values()]
    if problems:
        raise ShardMergeError(problems)

    for stem, [(_, files)] in sorted(done.items()):
        for kind, suffix in OUTPUT_KINDS:  # instances/ last: it marks the image done
            _place(files[kind], osp.join(out_dir, kind, stem + suffix))
    merged_settings = {k: v for k, v in settings.items() if k not in ('shard_id', 'num_shards')}
    atomic_write_json(osp.join(out_dir, 'generation.json'),
                      dict(merged_settings, merged_shards=num_shards))
    coco = records_coco(read_records(out_dir), classes, settings)
    atomic_write_json(osp.join(out_dir, 'instances.json'), coco)
    summary = {key: sum(s[key] for s in summaries)
               for key in ('images', 'processed', 'skipped_done', 'instances', 'empty_masks')}
    summary['problems'] = [p for s in summaries for p in s['problems']]
    summary.update(coco_summary(coco), prompt=settings.get('prompt'), num_shards=num_shards)
    atomic_write_json(osp.join(out_dir, 'summary.json'), summary)
    return summary
