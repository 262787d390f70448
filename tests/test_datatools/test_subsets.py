"""Nested random subsets of an OpticalRS-13M index (mmrsfm.datatools.subsets and
tools/dataset_converters/opticalrs_subsets.py): the paper's data-scaling study, issue 13 item 3."""
import hashlib
import importlib.util
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmrsfm.datasets import OpticalRS13M
from mmrsfm.datatools.subsets import (count_entries, parse_size, read_subset, subset_path,
                                      write_nested_subsets)
from tests.conftest import REPO_ROOT

ENTRIES = [f'{source}/img_{i:03d}.png' for source in ('AID', 'DOTA', 'fMoW')
           for i in range(40)]  # 120 entries, in the index's order


@pytest.fixture
def index(tmp_path):
    path = tmp_path / 'index.txt'
    # a header and a blank line, which OpticalRS13M skips and so must the subsets
    path.write_text('# OpticalRS-13M index: paths relative to this folder\n'
                    + '\n'.join(ENTRIES[:60]) + '\n\n' + '\n'.join(ENTRIES[60:]) + '\n')
    return str(path)


def _digest(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_subsets_are_nested_prefixes_of_one_seeded_permutation(index):
    before = _digest(index)
    written = write_nested_subsets(index, ['12', '0.25', '60', '1.0'], seed=3)
    assert _digest(index) == before  # the input is only read
    assert sorted(written) == [12, 30, 60, 120]  # 0.25 x 120 = 30, 1.0 x 120 = 120
    subsets = {k: read_subset(p) for k, p in written.items()}
    # each subset: the entries at the first k positions of RandomState(3).permutation(120),
    # listed in the index's order
    permutation = np.random.RandomState(3).permutation(120)
    for k, entries in subsets.items():
        assert entries == [ENTRIES[i] for i in sorted(permutation[:k])]
    # nested: 12 < 30 < 60 < 120 (all)
    assert set(subsets[12]) < set(subsets[30]) < set(subsets[60]) < set(subsets[120])
    assert subsets[120] == ENTRIES
    assert written[12] == osp.join(osp.dirname(index), 'subsets', 'index-12-seed3.txt')


def test_same_seed_same_files_other_seed_other_files(index, tmp_path):
    first = write_nested_subsets(index, ['12', '60'], seed=0, out_dir=str(tmp_path / 'a'))
    again = write_nested_subsets(index, ['60', '12'], seed=0, out_dir=str(tmp_path / 'b'))
    other = write_nested_subsets(index, ['12', '60'], seed=1, out_dir=str(tmp_path / 'c'))
    for k in (12, 60):
        with open(first[k], 'rb') as f, open(again[k], 'rb') as g:
            assert f.read() == g.read()
        assert set(read_subset(first[k])) != set(read_subset(other[k]))
    # a subset written alone equals the same size written with others (prefix property)
    alone = write_nested_subsets(index, ['12'], seed=0, out_dir=str(tmp_path / 'd'))
    assert read_subset(alone[12]) == read_subset(first[12])


@pytest.mark.parametrize('size,total,expected', [
    ('1000000', 13_000_000, 1_000_000), ('1M', 13_000_000, 1_000_000),
    ('2M', 13_000_000, 2_000_000), ('2.5M', 13_000_000, 2_500_000), ('500k', 10**6, 500_000),
    ('0.25', 10, 2),  # 2.5 images: rounded down
    ('0.29', 100, 29),  # exact: 0.29 * 100 is 28.999999999999996 in floating point
    ('1.0', 7, 7), ('7', 7, 7), ('1', 7, 1)])
def test_parse_size_counts_and_fractions(size, total, expected):
    assert parse_size(size, total) == expected


@pytest.mark.parametrize('size,match', [
    ('3M', r"'3M' \(3000000 images\) is larger than .*index.txt, which lists 120"),
    ('121', 'larger than .*index.txt, which lists 120'),
    ('two', r"subset size 'two' for .*index.txt: expected a count"),
    ('1.5', r'a fraction must be in \(0, 1\]'),
    ('0.001', r'\(120 entries\) selects no image'),
    ('0', 'selects no image'),
    ('1.0005k', 'not a whole number of images'),
    ('-5', 'expected a count'),
])
def test_size_errors_name_the_index(index, size, match):
    with pytest.raises(ValueError, match=match):
        write_nested_subsets(index, ['10', size])
    assert not osp.exists(osp.join(osp.dirname(index), 'subsets', 'index-10-seed0.txt'))


def test_missing_or_empty_index_and_self_overwrite(tmp_path, index):
    missing = str(tmp_path / 'nowhere' / 'index.txt')
    with pytest.raises(FileNotFoundError, match='index file .*nowhere/index.txt does not exist'):
        write_nested_subsets(missing, ['10'])
    empty = tmp_path / 'empty.txt'
    empty.write_text('# only a header\n\n')
    with pytest.raises(ValueError, match='empty.txt lists no image'):
        count_entries(str(empty))
    with pytest.raises(ValueError, match='no subset size given'):
        write_nested_subsets(index, [])
    # an output that is the input under another name (a link) would replace it: refused
    os.makedirs(tmp_path / 'links')
    os.symlink(index, tmp_path / 'links' / 'index-10-seed0.txt')
    before = _digest(index)
    with pytest.raises(ValueError, match='index-10-seed0.txt would overwrite its input index'):
        write_nested_subsets(index, ['10'], out_dir=str(tmp_path / 'links'))
    assert _digest(index) == before


def test_opticalrs13m_reads_a_subset_unchanged(tmp_path):
    root = tmp_path / 'OpticalRS-13M'
    for source in ('AID', 'DOTA'):
        os.makedirs(root / source)
        for i in range(6):
            Image.new('RGB', (40 + i, 32), (10 * i, 0, 0)).save(root / source / f'{i}.png')
    assert OpticalRS13M.write_index(str(root), str(root / 'index.txt')) == 12
    written = write_nested_subsets(str(root / 'index.txt'), ['5', '0.5'], seed=0)
    pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
    for k in (5, 6):
        dataset = OpticalRS13M(data_root=str(root), pipeline=pipeline,
                               index_file=osp.relpath(written[k], root))  # subsets/index-k-seed0
        paths = [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]
        assert paths == [osp.join(str(root), p) for p in read_subset(written[k])]
        assert len(dataset) == k
        widths = sorted(dataset[i]['inputs'].shape[-1] for i in range(k))
        expected = sorted(40 + int(p.split('/')[1][0]) for p in read_subset(written[k]))
        assert widths == expected  # the images themselves were read


def _tool():
    spec = importlib.util.spec_from_file_location(
        'opticalrs_subsets', osp.join(REPO_ROOT, 'tools', 'dataset_converters',
                                      'opticalrs_subsets.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tool_writes_subsets_and_exits_with_the_error(index, tmp_path, capsys):
    tool = _tool()
    tool.main([index, '--sizes', '60', '12', '--seed', '5', '--out-dir', str(tmp_path / 'out')])
    out = capsys.readouterr().out.splitlines()
    assert out == [f"12 images -> {tmp_path / 'out' / 'index-12-seed5.txt'}",
                   f"60 images -> {tmp_path / 'out' / 'index-60-seed5.txt'}"]
    assert read_subset(str(tmp_path / 'out' / 'index-12-seed5.txt')) == read_subset(
        write_nested_subsets(index, ['12'], seed=5, out_dir=str(tmp_path / 'api'))[12])
    with pytest.raises(SystemExit, match='opticalrs_subsets: .*larger than .*index.txt'):
        tool.main([index, '--sizes', '1M'])
    assert subset_path('a/index.txt', 7, 2) == osp.join('a', 'subsets', 'index-7-seed2.txt')
