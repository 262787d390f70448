"""tools/dataset_converters/curate_opticalrs.py with a process pool (same outputs as the
in-process run), its error for a bad --src, and a smoke run of both modes of
tools/analysis_tools/benchmark_dedup.py with tiny sizes."""
import importlib.util
import json
import os.path as osp
import re

import numpy as np
import pytest

from mmrsfm.datasets.curation import CurationConfig, curate
from mmrsfm.datasets.curation.synthetic import write_duplicate_set
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
