"""tools/dataset_converters/curate_opticalrs.py with a process pool (same outputs as the
in-process run), its error for a bad --src (nothing created), --review applied without
re-hashing (and refused, naming the group, when stale), its workers ending with a
SIGKILLed parent, and a smoke run of both modes of tools/analysis_tools/benchmark_dedup.py with
tiny sizes."""
import glob
import importlib.util
import json
import os
import os.path as osp
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from mmrsfm.datatools.curation import CurationConfig, curate
from mmrsfm.testing.synthetic_images import smooth_image, write_duplicate_set, write_planted_groups
from tests.conftest import REPO_ROOT, run_tool

CURATE = osp.join(REPO_ROOT, 'tools', 'dataset_converters', 'curate_opticalrs.py')
BENCH = osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'benchmark_dedup.py')


def _load_tool(path):
    """The tool as a module, to call its ``main(argv)`` without a second interpreter start."""
    spec = importlib.util.spec_from_file_location(osp.basename(path)[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_with_workers_matches_in_process_run(tmp_path, python, capsys):
    src = tmp_path / 'src'
    names, origin = write_duplicate_set(str(src / 'generated'), 12, 2, 3, size=96, seed=1)
    out = str(tmp_path / 'cli')
    result = run_tool([python, CURATE, '--src', str(src), '--out', out, '--workers', '2',
                       '--chunk-size', '4', '--threshold', '4', '--no-progress'], cwd=REPO_ROOT)
    assert 'shards: 5 computed, 0 reused' in result.stdout
    in_process = str(tmp_path / 'inproc')
    summary = curate(CurationConfig(str(src), in_process, chunk_size=4, progress=False))
    for name in ('index.txt', 'quarantine.csv', 'duplicates.json'):
        with open(osp.join(out, name)) as a, open(osp.join(in_process, name)) as b:
            assert a.read() == b.read(), name
    groups = json.load(open(osp.join(out, 'duplicates.json')))['groups']
    removed = {osp.basename(m['file']): osp.basename(g['kept'])
               for g in groups for m in g['removed']}
    # every planted copy is grouped with its original (a resized copy is smaller: removed)
    for copy, original in origin.items():
        assert removed.get(copy) == original or removed.get(original) == copy
    assert summary['images'] == len(names) - len(origin)

    tool = _load_tool(CURATE)
    tool.main(['--src', str(src), '--out', out, '--no-progress', '--chunk-size', '4'])
    assert 'shards: 0 computed, 5 reused' in capsys.readouterr().out
    with pytest.raises(SystemExit, match='nope is not a folder'):
        tool.main(['--src', str(tmp_path / 'nope'), '--out', out])
    with pytest.raises(SystemExit, match='nope is not a folder'):
        tool.main(['--src', str(tmp_path / 'nope'), '--out', str(tmp_path / 'new')])
    assert not osp.exists(tmp_path / 'new')


def test_cli_review_rebuilds_index_without_rehashing(tmp_path, capsys, monkeypatch):
    src = tmp_path / 'src'
    write_planted_groups(str(src), [
        [('AID/a.png', 'original'), ('fMoW/a.png', 'exact'), ('WHU/a.png', 'resize')],
        [('AID/b.png', 'original'), ('fMoW/b.png', 'jpeg')],
        [('AID/c.png', 'original'), ('WHU/c.png', 'jpeg')]], size=128, seed=4)
    out = str(tmp_path / 'out')
    tool = _load_tool(CURATE)
    tool.main(['--src', str(src), '--out', out, '--no-progress', '--chunk-size', '2'])
    capsys.readouterr()
    with open(osp.join(out, 'duplicates.json')) as f:
        ids = {g['kept']: g['id'] for g in json.load(f)['groups']}
    assert sorted(ids) == ['../src/AID/a.png', '../src/AID/b.png', '../src/AID/c.png']
    review = tmp_path / 'decisions.json'
    review.write_text(json.dumps(dict(format='mmrsfm-curation-review', version=1, decisions=[
        dict(group=ids['../src/AID/a.png'], decision='split',
             parts=[['../src/AID/a.png', '../src/WHU/a.png'], ['../src/fMoW/a.png']]),
        dict(group=ids['../src/AID/b.png'], decision='remove')])))
    shards = {p: os.stat(p).st_mtime_ns for p in glob.glob(
        osp.join(out, '.curation_state', '*', '*', '*.npz'))}

    def refuse(*args, **kwargs):
        raise AssertionError('--review hashed an image')
    from mmrsfm.datatools.curation import pipeline
    monkeypatch.setattr(pipeline, 'process_chunk', refuse)
    monkeypatch.setattr(pipeline, 'phash_code', refuse)
    tool.main(['--src', str(src), '--out', out, '--no-progress', '--chunk-size', '2',
               '--review', str(review)])
    printed = capsys.readouterr().out
    assert 'shards: 0 computed, 4 reused' in printed
    assert (f'--review {review}: applied 0 keep, 1 remove, 0 not-duplicates, 1 split; 1 '
            'undecided group(s) by the default rule; 3 images kept (3 by the default rule '
            'alone)') in printed
    with open(osp.join(out, 'index.txt')) as f:  # hand-made: a split in two, b gone, c default
        assert [ln.strip() for ln in f if not ln.startswith('#')] == [
            '../src/AID/a.png', '../src/AID/c.png', '../src/fMoW/a.png']
    assert {p: os.stat(p).st_mtime_ns for p in shards} == shards

    stale = tmp_path / 'stale.json'
    stale.write_text(json.dumps(dict(format='mmrsfm-curation-review', version=1, decisions=[
        dict(group=ids['../src/AID/c.png'], decision='keep', keep=['../src/AID/a.png'])])))
    with pytest.raises(SystemExit, match=rf"(?s)curate_opticalrs: review file {stale}: .*"
                       rf"decisions\[0\] \(group {ids['../src/AID/c.png']}\): "
                       r"\['../src/AID/a.png'\] not member"):
        tool.main(['--src', str(src), '--out', out, '--no-progress', '--chunk-size', '2',
                   '--review', str(stale)])


def test_benchmark_smoke(tmp_path, capsys):
    bench = _load_tool(BENCH)
    bench.main(['--num-distinct', '40', '--num-exact', '4', '--num-near', '6', '--size', '64',
                '--workers', '1', '--work-dir', str(tmp_path)])
    images = capsys.readouterr().out
    assert float(re.search(r'ratio ours / imagededup: ([\d.]+)', images).group(1)) > 0
    assert 0.5 <= float(re.search(r'Jaccard ([\d.]+)', images).group(1)) <= 1.0
    assert 'recall of the 10 planted pairs' in images
    bench.main(['--synthetic-hashes', '20000', '--planted', '50', '--verify-queries', '300'])
    synthetic = capsys.readouterr().out
    assert 'planted pairs recalled: 1.0000' in synthetic
    found = re.search(r'(\d+) pairs expected, (\d+) found, (\d+) extra', synthetic).groups()
    assert found[0] == found[1] and found[2] == '0'
    assert np.isfinite(float(re.search(r'peak RSS (\d+) MiB', synthetic).group(1)))


def _children(pid):
    """``{pid: start time}`` of the live processes whose parent is ``pid`` (from /proc)."""
    found = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            stat = _proc_stat(int(entry))
            if stat and int(stat[1]) == pid and stat[0] != 'Z':
                found[int(entry)] = stat[19]
    return found


def _proc_stat(pid):
    """Fields of /proc/<pid>/stat from the state on (state, ppid, ...), or None if gone."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()
    except OSError:
        return None


def _alive(pid, start):
    stat = _proc_stat(pid)
    return stat is not None and stat[0] != 'Z' and stat[19] == start


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='reads /proc')
def test_workers_stop_when_the_tool_is_sigkilled(tmp_path, python):
    src = tmp_path / 'src' / 'GID'
    src.mkdir(parents=True)
    # 24 images of 1100 px, 9 crops each: a 12-file chunk takes each worker several seconds
    smooth_image(np.random.default_rng(2), 1100, 1100).save(src / '00.png')
    for i in range(1, 24):
        shutil.copyfile(src / '00.png', src / f'{i:02d}.png')
    out = tmp_path / 'out'
    with open(tmp_path / 'log.txt', 'w') as log:
        proc = subprocess.Popen(
            [python, CURATE, '--src', str(tmp_path / 'src'), '--out', str(out), '--workers',
             '2', '--chunk-size', '12', '--no-progress'], cwd=REPO_ROOT, stdout=log, stderr=log,
            env=dict(os.environ, PYTHONPATH=REPO_ROOT, OMP_NUM_THREADS='1'))
    workers = {}
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            workers.update(_children(proc.pid))
            if len(workers) >= 2 and (out / 'slices').is_dir() and any(
                    files for _, _, files in os.walk(out / 'slices')):
                break
            time.sleep(0.05)
        assert proc.poll() is None and len(workers) >= 2, (
            f'the tool ended or started no workers before it could be killed:\n'
            f'{(tmp_path / "log.txt").read_text()}')
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        killed_at = time.monotonic()
        while time.monotonic() - killed_at < 2 and any(
                _alive(p, s) for p, s in workers.items()):
            time.sleep(0.05)
        survivors = [p for p, s in workers.items() if _alive(p, s)]
        assert not survivors, f'workers {survivors} outlived the killed curation process'
        written = sorted(p for p in out.rglob('*'))
        time.sleep(0.5)
        assert sorted(p for p in out.rglob('*')) == written  # nothing writes any more
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid, start in workers.items():
            if _alive(pid, start):
                os.kill(pid, signal.SIGKILL)
