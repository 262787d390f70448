"""tools/misc/gpu_acceptance.py on a machine without GPU: every CUDA check is skipped with its
reason, the reports list every check; the dry run (--device cpu) drives the op checks through
their child processes; the comparison helpers pass and fail on hand-made inputs."""
import importlib.util
import json
import math
import os.path as osp
import sys

import numpy as np
import pytest
import torch

from mmrsfm.testing.acceptance import (compare_nms_keep, compare_tensors, make_record,
                                       markdown_report, weight_deviation, write_reports)
from tests.conftest import REPO_ROOT

TOOL = osp.join(REPO_ROOT, 'tools', 'misc', 'gpu_acceptance.py')


def _tool():
    spec = importlib.util.spec_from_file_location('gpu_acceptance', TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tool():
    """The tool's module: ``main(argv)`` runs it in this process (only the checks themselves
    start processes), which keeps the test fast on a loaded machine."""
    return _tool()


def _check_schema(report, names):
    assert set(report) >= {'started', 'finished', 'quick', 'environment', 'tolerances',
                           'checks', 'summary'}
    assert [r['name'] for r in report['checks']] == names
    for record in report['checks']:
        assert set(record) == {'name', 'status', 'reason', 'figures', 'seconds'}
        assert record['status'] in ('pass', 'fail', 'skip')
        assert isinstance(record['figures'], dict) and record['seconds'] >= 0
        assert record['reason']
    assert sum(report['summary'].values()) == len(names)


@pytest.mark.skipif(torch.cuda.is_available(), reason='tests the machine without a GPU')
def test_every_cuda_check_skips_with_its_reason(tool, tmp_path, capsys):
    out = tmp_path / 'report'
    assert tool.main(['--out-dir', str(out)]) == 0  # skips are not failures
    names = list(tool.build_checks())
    assert len(names) == 18
    report = json.load(open(out / 'report.json'))
    _check_schema(report, names)
    assert report['summary'] == {'pass': 0, 'fail': 0, 'skip': len(names)}
    assert report['finished'] and report['environment']['gpus'] == 0
    for record in report['checks']:
        assert 'CUDA is not available to torch' in record['reason'], record
    markdown = (out / 'report.md').read_text()
    rows = [line for line in markdown.splitlines() if line.startswith('| ') and ' SKIP ' in line]
    assert [row.split(' | ')[0][2:] for row in rows] == names
    assert '## Tolerances and targets' in markdown and 'ops_box_iou_rotated' in markdown
    assert '0 passed, 0 failed, 18 skipped' in capsys.readouterr().out


def test_dry_run_on_cpu_runs_an_op_check_in_its_own_process(tool, tmp_path, capsys):
    out = tmp_path / 'dry'
    names = ['ops_nms', 'train_sep']
    assert tool.main(['--out-dir', str(out), '--device', 'cpu', '--only', *names]) == 0
    report = json.load(open(out / 'report.json'))
    _check_schema(report, names)
    nms, sep = report['checks']
    assert nms['status'] == 'pass' and nms['figures']['only_ref'] == 0
    assert nms['figures']['kept_ref'] == nms['figures']['kept_other'] > 0
    assert osp.isfile(out / 'ops_nms' / 'record.json')  # written by the check's process
    assert sep['status'] == 'skip' and sep['reason'] == 'runs on CUDA only (--device cpu)'
    assert '[gpu-acceptance] (1/2) ops_nms: PASS' in capsys.readouterr().out


def test_a_check_over_its_budget_fails_and_the_others_still_run(tool, tmp_path):
    out = tmp_path / 'budget'
    # 0.5 s (+ 0.5 s grace) is less than a Python + torch start: the first check's process is
    # killed, the second check still runs (here: is skipped).
    assert tool.main(['--out-dir', str(out), '--device', 'cpu', '--budget', '0.5', '--only',
                      'ops_nms', 'train_classification']) == 1
    first, second = json.load(open(out / 'report.json'))['checks']
    assert first['status'] == 'fail' and 'exceeded its time budget' in first['reason']
    assert second['status'] == 'skip'


def test_usage_errors(tool, capsys):
    assert tool.main(['--only', 'ops_nms', 'no_such_check']) == 2
    assert "unknown check(s) ['no_such_check']" in capsys.readouterr().err
    assert tool.main(['--budget', '0']) == 2
    assert tool.main(['--list']) == 0
    assert 'sam_vit_h' in capsys.readouterr().out


def test_op_checks_compare_cpu_with_cpu_in_process(tool):
    for op in (tool.op_batched_nms, tool.op_nms_rotated, tool.op_roi_align,
               tool.op_box_iou_rotated):
        status, reason, figures = op('cpu')
        assert status == 'pass', (op.__name__, reason, figures)
    assert figures['max_abs_diff_vs_shapely_cpu'] < 1e-3  # the CPU kernel against shapely
    assert figures['overlapping'] > 100


def test_a_raising_check_becomes_a_failed_record(tool, tmp_path):

    def broken(ctx):
        raise tool.CheckError('loss is nan', {'iterations': 3})

    def buggy(ctx):
        return {}['missing']

    ctx = tool.Context('x', str(tmp_path), False, float('inf'), 'cpu', 0)
    record = tool.execute('x', tool.Check(broken, (), 1.0, ''), ctx)
    assert record['status'] == 'fail' and record['reason'] == 'loss is nan'
    assert record['figures'] == {'iterations': 3}
    record = tool.execute('y', tool.Check(buggy, (), 1.0, ''), ctx)
    assert record['status'] == 'fail' and record['reason'].startswith("KeyError: 'missing'")


def test_skip_reasons(tool):
    checks = tool.build_checks()
    env = dict(device='cuda', cuda_available=True, gpus=1, torch='2.x', torch_cuda='13.0',
               mmcv='2.1.0', mmcv_cuda_ops='not available')
    assert 'has no CUDA ops' in tool.skip_reason(checks['ops_nms'], env)
    assert 'has no CUDA ops' in tool.skip_reason(checks['train_detection'], env)
    assert tool.skip_reason(checks['train_segmentation'], env) is None
    env['mmcv_cuda_ops'] = '13.0'
    assert tool.skip_reason(checks['ops_nms'], env) is None
    assert tool.skip_reason(checks['dist_selectivemae'], env) == \
        'needs >= 2 GPUs for DDP, 1 visible'
    env['gpus'] = 8
    assert tool.skip_reason(checks['dist_detection'], env) is None


def test_benchmark_output_parsing(tool):
    text = ('ViT-B/16, batch 256, 224 px, 10 steps after 2 warm-up, device cuda, amp True\n'
            '                 steps/s      CUDA max allocated (MiB)    GFLOPs/img (fwd)\n'
            'MAE                1.500                       17000                9.43\n'
            'SelectiveMAE       3.300                        9000                4.51\n'
            'throughput ratio SelectiveMAE / MAE: 2.20x (FLOP ratio MAE / SelectiveMAE: 2.09x)\n'
            'memory ratio SelectiveMAE / MAE: 0.53\n'
            'token selection: 2.1% of the SelectiveMAE step\n')
    expected = dict(throughput_ratio=2.2, memory_ratio=0.53, selection_share=0.021,
                    mae_steps_per_s=1.5, mae_memory_mib=17000, selectivemae_steps_per_s=3.3,
                    selectivemae_memory_mib=9000)
    assert tool.parse_benchmark_output(text) == pytest.approx(expected)
    # The activation lines and the projection table (whose rows repeat the model names).
    text += ('saved activations (one forward at batch 256, fp16, parameters excluded): MAE '
             '9000.0 MiB, SelectiveMAE 3000.0 MiB, ratio 0.33\n'
             'projected CUDA memory (projection, not a measurement) at batch 256 per GPU, fp16, '
             'AdamW (MiB):\n'
             '                     params        grads        adamw  activations        total\n'
             'MAE                     430          430          860        9000        10720\n'
             'SelectiveMAE            500          500         1000        3000         5000\n'
             'projected memory ratio SelectiveMAE / MAE: 0.47\n')
    expected.update(saved_activation_ratio=0.33, projected_memory_ratio=0.47)
    assert tool.parse_benchmark_output(text) == pytest.approx(expected)
    with pytest.raises(tool.CheckError, match='memory ratio'):
        tool.parse_benchmark_output(text.replace('memory ratio', 'mem'))


def test_compare_tensors_tolerances():
    ref = torch.linspace(-2, 2, 101)
    assert compare_tensors(ref, ref.clone(), atol=1e-4, rtol=1e-4)['ok']
    near = compare_tensors(ref, ref + 5e-5, atol=1e-4, rtol=0.0)
    assert near['ok'] and near['max_abs_diff'] == pytest.approx(5e-5, rel=1e-2)
    far = ref.clone()
    far[7] += 1e-3
    result = compare_tensors(ref, far, atol=1e-4, rtol=1e-4)
    assert not result['ok'] and result['mismatched'] == 1
    assert not compare_tensors(ref, ref[:-1], 1e-4, 1e-4)['ok']  # shape
    nan = ref.clone()
    nan[3] = float('nan')
    assert not compare_tensors(ref, nan, 1e-4, 1e-4)['ok']
    assert compare_tensors(nan, nan.clone(), 1e-4, 1e-4)['ok']  # NaN where the reference has it


def _line_of_boxes(scores):
    """Boxes along a line, each overlapping its neighbours with IoU 0.6 (> 0.5)."""
    n = len(scores)
    iou = np.zeros((n, n))
    for i in range(n - 1):
        iou[i, i + 1] = iou[i + 1, i] = 0.6
    return iou, np.asarray(scores, dtype=float)


def test_nms_keep_comparison_allows_ties_and_their_cascade():
    # 0 and 1 tie: one run keeps 0 (then 1 suppressed, 2 kept, 3 suppressed), the other keeps
    # 1 (then 0 and 2 suppressed, 3 kept): all four differ, all explained by the tie.
    iou, scores = _line_of_boxes([0.9, 0.9, 0.8, 0.7])
    result = compare_nms_keep([0, 2], [1, 3], iou, scores, 0.5)
    assert result['ok'] and result['explained'] == 4
    assert compare_nms_keep([0, 2], [0, 2], iou, scores, 0.5) == dict(
        ok=True, kept_ref=2, kept_other=2, only_ref=0, only_other=0, explained=0,
        unexplained=[])


def test_nms_keep_comparison_flags_real_differences():
    iou, scores = _line_of_boxes([0.9, 0.8, 0.7, 0.6])
    # No tie: keeping 1 instead of 0 is a bug in the other kernel.
    result = compare_nms_keep([0, 2], [1, 3], iou, scores, 0.5)
    assert not result['ok'] and result['unexplained'] == [0, 1, 2, 3]
    # An isolated box dropped by the other run (it overlaps nothing).
    iou5, scores5 = np.zeros((5, 5)), np.linspace(0.9, 0.5, 5)
    result = compare_nms_keep([0, 1, 2, 3, 4], [0, 1, 3, 4], iou5, scores5, 0.5)
    assert not result['ok'] and result['unexplained'] == [2] and result['only_ref'] == 1
    # ... unless its IoU with a neighbour is within the margin of the threshold.
    iou5[2, 3] = iou5[3, 2] = 0.5 + 5e-5
    assert compare_nms_keep([0, 1, 2, 3, 4], [0, 1, 3, 4], iou5, scores5, 0.5)['ok']


def test_weight_deviation():
    first = {'w': torch.zeros(4), 'b': torch.zeros(2), 'steps': torch.tensor(3)}
    final = {'w': torch.tensor([1.0, 0, 0, 0]), 'b': torch.zeros(2), 'steps': torch.tensor(5)}
    same = weight_deviation(final, {k: v.clone() for k, v in final.items()}, first)
    assert same['deviation'] == 0.0 and same['tensors'] == 2  # integer tensors ignored
    other = dict(final, w=torch.tensor([1.0, 0.01, 0, 0]))
    assert weight_deviation(final, other, first)['deviation'] == pytest.approx(0.01)
    with pytest.raises(ValueError, match='shape'):
        weight_deviation(final, dict(final, w=torch.zeros(5)), first)
    assert weight_deviation(final, {'w': final['w']}, first)['missing'] == ['b', 'steps']


def test_reports_are_strict_json_and_a_markdown_table(tmp_path):
    records = [make_record('a', 'pass', 'ok', {'ratio': 2.25, 'ids': [1, 2]}, 1.234),
               make_record('b', 'fail', 'x | y', {'deviation': math.inf}),
               make_record('c', 'skip', 'no GPU')]
    report = dict(started='t0', finished='t1', quick=True, environment={'torch': '2'},
                  tolerances={'a': 'exact'}, checks=records)
    json_path, md_path = str(tmp_path / 'r.json'), str(tmp_path / 'r.md')
    write_reports(report, json_path, md_path)
    loaded = json.loads(open(json_path).read(), parse_constant=pytest.fail)
    assert loaded['summary'] == {'pass': 1, 'fail': 1, 'skip': 1}
    assert loaded['checks'][1]['figures']['deviation'] == 'inf'
    assert loaded['checks'][0]['seconds'] == 1.23
    markdown = open(md_path).read()
    assert markdown == markdown_report(loaded)
    assert '| a | PASS | 1.2 | ratio = 2.25; ids = [1, 2] | ok |' in markdown
    assert '| b | FAIL | 0.0 | deviation = inf | x \\| y |' in markdown
    with pytest.raises(ValueError, match='status'):
        make_record('d', 'passed')
