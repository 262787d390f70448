"""mmrsfm.datatools.curation.review with the curation run: a reviewed decisions file (keep /
remove / not-duplicates / split, and a split written as a keep list) rebuilds ``index.txt``
equal to a hand-made expected index without decoding or hashing anything; undecided groups
follow the default rule; malformed and stale files fail naming the file and the group, and
nothing is written."""
import glob
import hashlib
import json
import os
import os.path as osp
import shutil

import pytest

from mmrsfm.datatools.curation import CurationConfig, ReviewError, curate, group_id, load_review
from mmrsfm.datatools.curation import pipeline as pipeline_module
from mmrsfm.testing.synthetic_images import write_planted_groups

# one original per group (160 px); 'resize' copies are 144 px, so smaller than the others
PLANTED = {
    'a': [('AID/a.png', 'original'), ('fMoW/a.png', 'exact')],
    'b': [('AID/b.png', 'original'), ('fMoW/b_jpeg.png', 'jpeg')],
    'c': [('AID/c.png', 'original'), ('fMoW/c_resized.png', 'resize')],
    'd': [('AID/d.png', 'original'), ('fMoW/d.png', 'exact'), ('WHU/d_resized.png', 'resize'),
          ('WHU/d_jpeg.png', 'jpeg')],
    'e': [('AID/e.png', 'original'), ('WHU/e_resized.png', 'resize')],
    'f': [('AID/f.png', 'original'), ('fMoW/f.png', 'exact'), ('WHU/f_jpeg.png', 'jpeg')],
    's0': [('AID/s0.png', 'original')],
    's1': [('fMoW/s1.png', 'original')],
}


def entry(rel):
    return f'../src/{rel}'


def members(name):
    return sorted(entry(rel) for rel, _ in PLANTED[name])


# Hand-made from the decisions of review_decisions(): a keeps fMoW/a only; b removed; c not
# duplicates (both kept); d split into {AID/d, WHU/d_resized} (the 160 px AID/d kept) and
# {fMoW/d, WHU/d_jpeg} (equal sizes: the first in index order, WHU/d_jpeg, kept); e undecided
# (default: the larger AID/e); f split by a keep list; singles kept. Index order: sources
# sorted (AID, WHU, fMoW), then paths. 17 candidates, 10 kept.
EXPECTED_INDEX = [
    '../src/AID/c.png', '../src/AID/d.png', '../src/AID/e.png', '../src/AID/f.png',
    '../src/AID/s0.png',
    '../src/WHU/d_jpeg.png', '../src/WHU/f_jpeg.png',
    '../src/fMoW/a.png', '../src/fMoW/c_resized.png', '../src/fMoW/s1.png',
]


@pytest.fixture(scope='module')
def finished(tmp_path_factory):
    """A finished default run (chunk_size 2: several shards per source) and its src/out."""
    root = tmp_path_factory.mktemp('review')
    src, out = str(root / 'src'), str(root / 'out')
    write_planted_groups(src, list(PLANTED.values()), size=160, seed=3)
    curate(CurationConfig(src, out, chunk_size=2, progress=False))
    return src, out


@pytest.fixture
def run(finished, tmp_path):
    """A private copy of the finished run (the tests below change its out folder)."""
    src, out = finished
    copy_src, copy_out = str(tmp_path / 'src'), str(tmp_path / 'out')
    shutil.copytree(src, copy_src)
    shutil.copytree(out, copy_out)
    # copytree keeps mtimes, so the shards (keyed by path, size and mtime) stay valid
    return copy_src, copy_out


def groups_of(out):
    with open(osp.join(out, 'duplicates.json')) as f:
        report = json.load(f)
    return report, {frozenset([g['kept']] + [m['file'] for m in g['removed']]): g['id']
                    for g in report['groups']}


def id_of(out, name):
    return groups_of(out)[1][frozenset(members(name))]


def write_review(tmp_path, name, decisions):
    """A decisions file in ``<tmp_path>/reviews`` (compared before and after each run)."""
    os.makedirs(tmp_path / 'reviews', exist_ok=True)
    path = tmp_path / 'reviews' / name
    with open(path, 'w') as f:
        json.dump(dict(format='mmrsfm-curation-review', version=1, decisions=decisions), f)
    return str(path)


def review_decisions(out):
    return [
        dict(group=id_of(out, 'a'), decision='keep', keep=[entry('fMoW/a.png')]),
        dict(group=id_of(out, 'b'), decision='remove', note='cloudy'),
        # by member list alone, as for a duplicates.json written before group ids
        dict(members=members('c'), decision='not-duplicates'),
        dict(group=id_of(out, 'd'), members=members('d'), decision='split',
             parts=[[entry('AID/d.png'), entry('WHU/d_resized.png')],
                    [entry('fMoW/d.png'), entry('WHU/d_jpeg.png')]]),
        dict(group=id_of(out, 'f'), decision='keep',
             keep=[entry('AID/f.png'), entry('WHU/f_jpeg.png')]),
    ]


def index_lines(out):
    with open(osp.join(out, 'index.txt')) as f:
        return [ln.rstrip('\n') for ln in f if not ln.startswith('#')]


def snapshot(folder):
    """Every file under ``folder``: bytes' SHA-256 and mtime."""
    found = {}
    for d, _, names in os.walk(folder):
        for n in names:
            path = osp.join(d, n)
            with open(path, 'rb') as f:
                found[osp.relpath(path, folder)] = (hashlib.sha256(f.read()).hexdigest(),
                                                    os.stat(path).st_mtime_ns)
    return found


def no_hashing(monkeypatch, search=False):
    """Make decoding and hashing (and, unless ``search``, the Hamming search) fail loudly."""
    def refuse(*args, **kwargs):
        raise AssertionError('a review run decoded, hashed or searched')
    monkeypatch.setattr(pipeline_module, 'process_chunk', refuse)
    monkeypatch.setattr(pipeline_module, 'process_file', refuse)
    monkeypatch.setattr(pipeline_module, 'phash_code', refuse)
    if not search:  # the cached groups of the finished run are reused
        monkeypatch.setattr(pipeline_module, 'group_near_duplicates', refuse)


def test_planted_groups_and_ids(finished):
    _, out = finished
    report, ids = groups_of(out)
    assert report['format_version'] == 2
    planted = {frozenset(members(n)) for n in PLANTED if len(PLANTED[n]) > 1}
    assert set(ids) == planted
    for found, gid in ids.items():  # the id: SHA-1 of the sorted entries, one per line
        key = '\n'.join(sorted(found)).encode()
        assert gid == 'g' + hashlib.sha1(key).hexdigest()[:16] == group_id(found)


def test_review_gives_hand_made_index_without_rehashing(run, tmp_path, monkeypatch):
    src, out = run
    review = write_review(tmp_path, 'decisions.json', review_decisions(out))
    review_before = snapshot(str(tmp_path / 'reviews'))
    state = osp.join(out, pipeline_module.STATE_DIR)
    state_before, src_before = snapshot(state), snapshot(src)
    duplicates_before = open(osp.join(out, 'duplicates.json')).read()
    no_hashing(monkeypatch)

    summary = curate(CurationConfig(src, out, chunk_size=2, progress=False, review=review))
    assert index_lines(out) == EXPECTED_INDEX
    assert summary['run']['shards_computed'] == 0 and summary['run']['files_processed'] == 0
    assert snapshot(state) == state_before and snapshot(src) == src_before
    assert snapshot(str(tmp_path / 'reviews')) == review_before
    # duplicates.json stays the review list (default rule), so its ids stay valid
    assert open(osp.join(out, 'duplicates.json')).read() == duplicates_before
    with open(osp.join(out, 'index.txt')) as f:
        header = f.read().splitlines()[1]
    sha = hashlib.sha256(open(review, 'rb').read()).hexdigest()
    assert header == (f'# near duplicates as reviewed in decisions.json (sha256 {sha}); see '
                      'review_applied.json')

    assert summary['images'] == len(EXPECTED_INDEX) == 10
    assert summary['duplicates_removed'] == 17 - 10
    assert summary['images_per_source'] == {'AID': 5, 'WHU': 2, 'fMoW': 3}
    assert summary['review'] == dict(
        format='mmrsfm-curation-review-applied', version=1, review_file=review,
        review_sha256=sha, decisions={'keep': 2, 'remove': 1, 'not-duplicates': 1, 'split': 1},
        undecided_groups=1, images_default_rule=8)  # 6 groups + 2 singles
    with open(osp.join(out, 'summary.json')) as f:
        assert json.load(f)['review'] == summary['review']
    with open(osp.join(out, 'review_applied.json')) as f:
        applied = {g['id']: g for g in json.load(f)['groups']}
    assert applied[id_of(out, 'e')] == dict(
        id=id_of(out, 'e'), decision='default', kept=[entry('AID/e.png')],
        removed=[entry('WHU/e_resized.png')])
    assert applied[id_of(out, 'b')] == dict(
        id=id_of(out, 'b'), decision='remove', kept=[],
        removed=[entry('AID/b.png'), entry('fMoW/b_jpeg.png')], note='cloudy')
    assert applied[id_of(out, 'd')]['kept'] == [entry('AID/d.png'), entry('WHU/d_jpeg.png')]

    again = snapshot(out)  # a rerun with the same review rewrites identical outputs
    curate(CurationConfig(src, out, chunk_size=2, progress=False, review=review))
    assert {k: v[0] for k, v in snapshot(out).items()} == {k: v[0] for k, v in again.items()}
    monkeypatch.undo()
    # a run without the review restores the default index and drops the stale record
    curate(CurationConfig(src, out, chunk_size=2, progress=False))
    assert not osp.exists(osp.join(out, 'review_applied.json'))
    assert len(index_lines(out)) == 8 and entry('AID/a.png') in index_lines(out)


def test_empty_review_is_the_default_rule(run, tmp_path, monkeypatch):
    src, out = run
    default = open(osp.join(out, 'index.txt')).read().splitlines()
    # default rule by hand: the largest of each group, ties to the first in index order
    assert [ln for ln in default if not ln.startswith('#')] == [
        '../src/AID/a.png', '../src/AID/b.png', '../src/AID/c.png', '../src/AID/d.png',
        '../src/AID/e.png', '../src/AID/f.png', '../src/AID/s0.png', '../src/fMoW/s1.png']
    no_hashing(monkeypatch)
    review = write_review(tmp_path, 'empty.json', [])
    summary = curate(CurationConfig(src, out, chunk_size=2, progress=False, review=review))
    assert index_lines(out) == [ln for ln in default if not ln.startswith('#')]
    assert summary['review']['undecided_groups'] == 6


def expect_refused(run, review, match, monkeypatch, search=False):
    src, out = run
    before = snapshot(out)
    review_before = snapshot(osp.dirname(review))
    monkeypatch.undo()  # drop an earlier call's patches: ``search`` may differ
    no_hashing(monkeypatch, search)
    with pytest.raises(ReviewError, match=match) as err:
        curate(CurationConfig(src, out, chunk_size=2, progress=False, review=review))
    assert review in str(err.value) and 'nothing was written' in str(err.value)
    assert snapshot(out) == before and snapshot(osp.dirname(review)) == review_before
    return str(err.value)


def test_stale_and_wrong_groups_refused(run, tmp_path, monkeypatch):
    src, out = run
    a = id_of(out, 'a')
    unknown = write_review(tmp_path, 'unknown.json', [
        dict(group='g0123456789abcdef', decision='remove')])
    expect_refused(run, unknown, r'decisions\[0\] \(group g0123456789abcdef\): unknown group',
                   monkeypatch)
    stranger = write_review(tmp_path, 'stranger.json', [
        dict(group=a, decision='keep', keep=[entry('AID/s0.png')])])
    expect_refused(run, stranger, rf"decisions\[0\] \(group {a}\): \['../src/AID/s0.png'\] "
                   'not member', monkeypatch)
    d = id_of(out, 'd')
    partial = write_review(tmp_path, 'partial.json', [
        dict(group=d, decision='split', parts=[[entry('AID/d.png')], [entry('fMoW/d.png')]])])
    expect_refused(run, partial, rf'group {d}\): the parts of the split leave out members',
                   monkeypatch)
    # every problem is listed, each with its group
    both = write_review(tmp_path, 'both.json', [
        dict(group='g0123456789abcdef', decision='remove'),
        dict(group=a, decision='keep', keep=[entry('AID/s0.png')])])
    message = expect_refused(run, both, '2 problem', monkeypatch)
    assert 'g0123456789abcdef' in message and a in message

    # without the cached groups the search reruns on the stored codes (nothing is hashed);
    # its cache is written only once a review is accepted
    caches = glob.glob(osp.join(out, pipeline_module.STATE_DIR, '*', 'dedup-*.npz'))
    assert len(caches) == 1
    os.remove(caches[0])
    expect_refused(run, both, '2 problem', monkeypatch, search=True)
    assert not osp.exists(caches[0])
    monkeypatch.undo()
    curate(CurationConfig(src, out, chunk_size=2, progress=False,
                          review=write_review(tmp_path, 'good.json', review_decisions(out))))
    assert osp.isfile(caches[0]) and index_lines(out) == EXPECTED_INDEX


def test_group_changed_since_review(run, tmp_path, monkeypatch):
    src, out = run
    review = write_review(tmp_path, 'decisions.json', review_decisions(out))
    # a new exact copy of a joins group a; the run without --review picks it up
    shutil.copyfile(osp.join(src, 'AID', 'a.png'), osp.join(src, 'fMoW', 'a_again.png'))
    # refused while the run is not finished: a review never hashes
    message = expect_refused(run, review, r'shard\(s\) of the run it applies to are missing',
                             monkeypatch)
    assert 'Run without --review first' in message
    monkeypatch.undo()
    curate(CurationConfig(src, out, chunk_size=2, progress=False))
    a_now = groups_of(out)[1][frozenset(members('a') + [entry('fMoW/a_again.png')])]
    message = expect_refused(
        run, review, rf"decisions\[0\] \(group {group_id(members('a'))}\): the group changed "
        rf'since the review: its files now lie in group\(s\) {a_now}', monkeypatch)
    # members given: what changed is spelt out
    with_members = write_review(tmp_path, 'members.json', [
        dict(members=members('a'), decision='remove')])
    message = expect_refused(run, with_members, 'changed since the review', monkeypatch)
    assert "members added since: ['../src/fMoW/a_again.png']; gone: []" in message


@pytest.mark.parametrize('content, match', [
    ('{"format": "mmrsfm-curation-review", "version": 1, "decisions": [',
     r'not valid JSON \(Expecting value: line 1'),
    ('[]', "expected an object with \"format\": \"mmrsfm-curation-review\", found 'list'"),
    ('{"format": "mmrsfm-curation-review", "version": 2, "decisions": []}',
     r'"version" 2 is not supported; this code reads version 1'),
    ('{"format": "mmrsfm-curation-review", "version": 1, "groups": []}',
     r'needs a "decisions" list'),
])
def test_malformed_file_refused(run, tmp_path, monkeypatch, content, match):
    (tmp_path / 'reviews').mkdir()
    path = tmp_path / 'reviews' / 'bad.json'
    path.write_text(content)
    expect_refused(run, str(path), match, monkeypatch)


def test_malformed_entries_name_their_group(run, tmp_path, monkeypatch):
    _, out = run
    a, b = id_of(out, 'a'), id_of(out, 'b')
    cases = [
        (dict(group=a, decision='maybe'),
         rf"decisions\[0\] \(group {a}\): unknown decision 'maybe'; use one of keep, remove, "
         'not-duplicates, split'),
        (dict(group=a, decision='keep'), rf'group {a}\): "keep" \(a member list\) goes with'),
        (dict(group=a, decision='remove', keep=[entry('AID/a.png')]),
         rf'group {a}\): "keep" \(a member list\) goes with'),
        (dict(group=a, decision='keep', keep=[]), rf'group {a}\): "keep" must be a non-empty'),
        (dict(group=a, decision='split', parts=[members('a')]),
         rf'group {a}\): "parts" must list at least two'),
        (dict(group=a, decision='split', parts=[members('a'), [entry('AID/a.png')]]),
         rf"group {a}\): \['../src/AID/a.png'\] in more than one part"),
        (dict(group=a, decision='remove', reason='x'),
         rf"group {a}\): unknown key\(s\) \['reason'\]"),
        (dict(decision='remove'), r'decisions\[0\]: needs "group"'),
        (dict(group=a, members=members('b'), decision='remove'),
         rf'group {a}\): "members" do not make up group {a} \(their id is {b}\)'),
    ]
    for k, (decision, match) in enumerate(cases):
        review = write_review(tmp_path, f'bad{k}.json', [decision])
        expect_refused(run, review, match, monkeypatch)
        monkeypatch.undo()
    twice = write_review(tmp_path, 'twice.json', [
        dict(group=a, decision='remove'), dict(members=members('a'), decision='not-duplicates')])
    expect_refused(run, twice, rf'decisions\[1\] \(group {a}\): the group already has a '
                   r'decision in decisions\[0\]', monkeypatch)


def test_load_review_unreadable(tmp_path):
    with pytest.raises(ReviewError, match=r'missing.json: cannot be read'):
        load_review(str(tmp_path / 'missing.json'))
    decisions, sha = load_review(write_review(tmp_path, 'ok.json', [
        dict(members=['b', 'a'], decision='not-duplicates', note='fields differ')]))
    assert decisions[0].group == group_id(['a', 'b']) and decisions[0].note == 'fields differ'
    assert sha == hashlib.sha256((tmp_path / 'reviews' / 'ok.json').read_bytes()).hexdigest()
