"""Reviewed de-duplication: read a decisions file about the near-duplicate groups of a finished
curation run, check it against the run's groups, and apply it to the kept-image mask.

A group is identified by :func:`group_id`, a content key: a hash of its sorted member entries
(paths as written in ``index.txt``). The id is written in ``duplicates.json``; a decisions file
names a group by that id, by its member list, or by both (then they must agree). A group whose
members changed since the review (other sources, ``--threshold`` or ``--hash-size``) has another
id, so a stale decision can never be applied to the wrong images.

Decisions file (JSON, ``format`` :data:`REVIEW_FORMAT`, ``version`` :data:`REVIEW_VERSION`)::

    {"format": "mmrsfm-curation-review", "version": 1,
     "decisions": [
      {"group": "g3f0c...", "decision": "keep", "keep": ["../src/AID/1.png"]},
      {"group": "g91ab...", "decision": "remove", "note": "cloud-covered tiles"},
      {"members": ["../src/AID/3.png", "../src/fMoW/3.png"], "decision": "not-duplicates"},
      {"group": "g77d2...", "decision": "split",
       "parts": [["../src/AID/4.png", "../src/WHU/4.png"], ["../src/fMoW/x.png"]]}]}

Decisions: ``keep`` (the listed members are kept, the others removed), ``remove`` (the whole
group is removed), ``not-duplicates`` (every member is kept) and ``split`` (the members are cut
into ``parts``, each part keeps one image by the default rule). Groups without a decision follow
the default rule (largest image kept).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from .near_duplicates import choose_kept

REVIEW_FORMAT = 'mmrsfm-curation-review'
REVIEW_VERSION = 1
DECISIONS = ('keep', 'remove', 'not-duplicates', 'split')
ENTRY_KEYS = {'group', 'members', 'decision', 'keep', 'parts', 'note'}
TOP_KEYS = {'format', 'version', 'decisions', 'note'}
MAX_LISTED_ERRORS = 20


class ReviewError(ValueError):
    """A decisions file that cannot be applied (malformed, or stale for this run)."""


def group_id(members: Iterable[str]) -> str:
    """Content key of a near-duplicate group.

    Args:
        members (Iterable[str]): The group's member entries, as written in ``index.txt``; their
            order does not matter.

    Returns:
        str: ``'g'`` and the first 16 hex digits of the SHA-1 of the sorted entries joined by
        newlines.

    Examples:
        >>> group_id(['b.png', 'a.png']) == group_id(['a.png', 'b.png'])
        True
    """
    key = '\n'.join(sorted(members)).encode('utf-8')
    return 'g' + hashlib.sha1(key).hexdigest()[:16]


@dataclass(frozen=True)
class Decision:
    """One checked entry of a decisions file.

    Args:
        group (str): The group id (given, or computed from ``members``).
        decision (str): One of :data:`DECISIONS`.
        where (str): ``decisions[<i>]``, for error messages.
        members (Tuple[str, ...] | None): The member list the reviewer saw, if given.
            Defaults to None.
        keep (Tuple[str, ...]): Members kept by a ``keep`` decision. Defaults to ().
        parts (Tuple[Tuple[str, ...], ...]): Parts of a ``split`` decision. Defaults to ().
        note (str): The reviewer's note. Defaults to ''.
    """
    group: str
    decision: str
    where: str
    members: Optional[Tuple[str, ...]] = None
    keep: Tuple[str, ...] = ()
    parts: Tuple[Tuple[str, ...], ...] = ()
    note: str = ''

    def named_files(self) -> List[str]:
        """Every file the decision names (members, kept files, parts).

        Returns:
            List[str]: The names, in the order given, possibly repeated.
        """
        return list(self.members or ()) + list(self.keep) + [n for p in self.parts for n in p]


def _raise(path: str, errors: List[str]) -> None:
    shown = errors[:MAX_LISTED_ERRORS]
    more = len(errors) - len(shown)
    raise ReviewError(
        f'review file {path}: {len(errors)} problem(s); nothing was written:\n  ' +
        '\n  '.join(shown) + (f'\n  ... and {more} more' if more else ''))


def _names(value, what: str) -> Tuple[Optional[Tuple[str, ...]], Optional[str]]:
    """``value`` as a tuple of distinct non-empty strings, or an error message."""
    if not isinstance(value, list) or not value:
        return None, f'{what} must be a non-empty list of file entries, got {value!r}'
    if not all(isinstance(v, str) and v for v in value):
        return None, f'{what} must hold file entries (non-empty strings), got {value!r}'
    repeated = sorted({v for v in value if value.count(v) > 1})
    if repeated:
        return None, f'{what} lists {repeated} more than once'
    return tuple(value), None


def _entry(raw, where: str) -> Tuple[Optional[Decision], Optional[str]]:
    """Check one decisions entry on its own (not yet against the run's groups)."""
    if not isinstance(raw, dict):
        return None, f'{where}: expected an object, got {raw!r}'
    label = raw.get('group') if isinstance(raw.get('group'), str) else None
    name = f'{where} (group {label})' if label else where
    unknown = sorted(set(raw) - ENTRY_KEYS)
    if unknown:
        return None, f'{name}: unknown key(s) {unknown}; allowed: {sorted(ENTRY_KEYS)}'
    if 'group' in raw and not (isinstance(raw['group'], str) and raw['group']):
        return None, f'{name}: "group" must be a group id string, got {raw["group"]!r}'
    members = None
    if 'members' in raw:
        members, err = _names(raw['members'], '"members"')
        if err:
            return None, f'{name}: {err}'
    if label is None and members is None:
        return None, f'{name}: needs "group" (the id in duplicates.json) or "members"'
    gid = group_id(members) if members is not None else label
    if label is not None and members is not None and gid != label:
        return None, (f'{name}: "members" do not make up group {label} (their id is {gid}): '
                      'the member list was edited or belongs to another group')
    name = f'{where} (group {gid})'
    decision = raw.get('decision')
    if decision not in DECISIONS:
        return None, (f'{name}: unknown decision {decision!r}; use one of '
                      f'{", ".join(DECISIONS)}')
    if ('keep' in raw) != (decision == 'keep'):
        return None, f'{name}: "keep" (a member list) goes with, and only with, decision keep'
    if ('parts' in raw) != (decision == 'split'):
        return None, f'{name}: "parts" (lists of members) go with, and only with, decision split'
    note = raw.get('note', '')
    if not isinstance(note, str):
        return None, f'{name}: "note" must be a string, got {note!r}'
    keep, parts = (), ()
    if decision == 'keep':
        keep, err = _names(raw['keep'], '"keep"')
        if err:
            return None, f'{name}: {err}'
    if decision == 'split':
        if not isinstance(raw['parts'], list) or len(raw['parts']) < 2:
            return None, (f'{name}: "parts" must list at least two member lists (one part is '
                          f'the default rule: leave the group out), got {raw["parts"]!r}')
        checked = []
        for k, part in enumerate(raw['parts']):
            part, err = _names(part, f'"parts"[{k}]')
            if err:
                return None, f'{name}: {err}'
            checked.append(part)
        flat = [n for p in checked for n in p]
        twice = sorted({n for n in flat if flat.count(n) > 1})
        if twice:
            return None, f'{name}: {twice} in more than one part'
        parts = tuple(checked)
    return Decision(gid, decision, where, members, keep, parts, note), None


def load_review(path: str) -> Tuple[List[Decision], str]:
    """Read and check a decisions file on its own (format, version, entries, repeats).

    Args:
        path (str): The decisions file (JSON). It is only read.

    Returns:
        Tuple[List[Decision], str]: The decisions in file order and the file's SHA-256 (hex).

    Raises:
        ReviewError: Naming the file, and the entry and group of each problem: unreadable or
            invalid JSON, another format or version, unknown keys or decisions, a group given
            twice, malformed member lists.
    """
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as err:
        raise ReviewError(f'review file {path}: cannot be read ({err}); nothing was written')
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        review = json.loads(data.decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as err:
        raise ReviewError(f'review file {path}: not valid JSON ({err}); nothing was written')
    if not isinstance(review, dict) or review.get('format') != REVIEW_FORMAT:
        found = review.get('format') if isinstance(review, dict) else type(review).__name__
        raise ReviewError(f'review file {path}: expected an object with "format": '
                          f'"{REVIEW_FORMAT}", found {found!r} (docs/opticalrs_curation.md, '
                          '"Applying a review"); nothing was written')
    if review.get('version') != REVIEW_VERSION:
        raise ReviewError(f'review file {path}: "version" {review.get("version")!r} is not '
                          f'supported; this code reads version {REVIEW_VERSION}; nothing was '
                          'written')
    unknown = sorted(set(review) - TOP_KEYS)
    if unknown or not isinstance(review.get('decisions'), list):
        raise ReviewError(f'review file {path}: needs a "decisions" list and only the keys '
                          f'{sorted(TOP_KEYS)} (unknown: {unknown}); nothing was written')
    decisions, errors, seen = [], [], {}
    for i, raw in enumerate(review['decisions']):
        decision, err = _entry(raw, f'decisions[{i}]')
        if err:
            errors.append(err)
            continue
        if decision.group in seen:
            errors.append(f'{decision.where} (group {decision.group}): the group already has a '
                          f'decision in {seen[decision.group]}')
            continue
        seen[decision.group] = decision.where
        decisions.append(decision)
    if errors:
        _raise(path, errors)
    return decisions, sha256


def _listed(names: Sequence[str], limit: int = 6) -> str:
    names = list(names)
    return str(names[:limit])[:-1] + (f', ... {len(names) - limit} more]'
                                      if len(names) > limit else ']')


def _stale_message(decision: Decision, groups: Dict[str, Sequence[str]],
                   group_of: Dict[str, str]) -> str:
    """Why a decision's group id is not among the run's groups."""
    head = f'{decision.where} (group {decision.group})'
    named = decision.named_files()
    now = sorted({group_of[n] for n in named if n in group_of})
    if not now:
        return (f'{head}: unknown group: no duplicate group of this run has this id or any file '
                'it names (the sources, --threshold or --hash-size changed since the review, '
                'or the id is mistyped)')
    current = sorted({m for g in now for m in groups[g]})
    message = (f'{head}: the group changed since the review: its files now lie in group(s) '
               f'{", ".join(now)}')
    if decision.members is not None:
        added = sorted(set(current) - set(decision.members))
        gone = sorted(set(decision.members) - set(current))
        message += f'; members added since: {_listed(added)}; gone: {_listed(gone)}'
    return message + '; review those groups again in the new duplicates.json'


def check_review(decisions: Sequence[Decision], groups: Dict[str, Sequence[str]],
                 path: str) -> None:
    """Check decisions against the run's groups.

    Args:
        decisions (Sequence[Decision]): As :func:`load_review` returns them.
        groups (Dict[str, Sequence[str]]): Member entries of every group of the run, by id.
        path (str): The decisions file, for the error message.

    Raises:
        ReviewError: Naming the file and every failing entry and group: an unknown group, a
            group whose members changed since the review, a member that is not in its group,
            split parts that do not cover the group exactly.
    """
    group_of = {m: gid for gid, members in groups.items() for m in members}
    errors = []
    for decision in decisions:
        head = f'{decision.where} (group {decision.group})'
        members = groups.get(decision.group)
        if members is None:
            errors.append(_stale_message(decision, groups, group_of))
            continue
        named = set(decision.keep) | {n for p in decision.parts for n in p}
        strangers = sorted(named - set(members))
        if strangers:
            errors.append(f'{head}: {_listed(strangers)} not member(s) of the group; its members: '
                          f'{_listed(members)}')
            continue
        if decision.decision == 'split':
            missing = sorted(set(members) - named)
            if missing:
                errors.append(f'{head}: the parts of the split leave out members '
                              f'{_listed(missing)}; every member goes into one part')
    if errors:
        _raise(path, errors)


def apply_review(decisions: Sequence[Decision], positions: Dict[str, np.ndarray],
                 names: Dict[int, str], areas: np.ndarray, kept: np.ndarray
                 ) -> Tuple[np.ndarray, Dict[str, str]]:
    """Apply checked decisions to the kept-image mask.

    Args:
        decisions (Sequence[Decision]): Checked by :func:`check_review`.
        positions (Dict[str, np.ndarray]): Index positions (ascending) of each group's members,
            by group id.
        names (Dict[int, str]): Entry of each group member by index position.
        areas (np.ndarray): ``(N,)`` image areas in pixels (ties of a split part: first in
            index order).
        kept (np.ndarray): ``(N,)`` bool mask of the default rule; not modified.

    Returns:
        Tuple[np.ndarray, Dict[str, str]]: The reviewed ``(N,)`` bool mask and the decision
        applied to each decided group, by id.

    Examples:
        >>> d = Decision('g1', 'not-duplicates', 'decisions[0]')
        >>> mask, applied = apply_review([d], {'g1': np.array([0, 1])}, {0: 'a', 1: 'b'},
        ...                              np.array([4, 4]), np.array([True, False]))
        >>> mask.tolist(), applied
        ([True, True], {'g1': 'not-duplicates'})
    """
    kept = kept.copy()
    applied = {}
    for decision in decisions:
        where = positions[decision.group]
        if decision.decision == 'keep':
            chosen = set(decision.keep)
            kept[where] = [names[int(p)] in chosen for p in where]
        elif decision.decision == 'remove':
            kept[where] = False
        elif decision.decision == 'not-duplicates':
            kept[where] = True
        else:  # split: the default rule within each part
            part_of = {n: k for k, part in enumerate(decision.parts) for n in part}
            labels = np.asarray([part_of[names[int(p)]] for p in where], np.int64)
            kept[where] = choose_kept(labels, areas[where])
        applied[decision.group] = decision.decision
    return kept, applied
