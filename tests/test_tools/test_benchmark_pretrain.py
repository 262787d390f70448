"""The SelectiveMAE-vs-MAE benchmark tool runs and prints its ratios (no timing assertions:
speed targets are checked by reading the tool's output, see configs/selectivemae/README.md)."""
import re

from tests.conftest import REPO_ROOT, run_tool


def test_benchmark_prints_ratios(python):
    result = run_tool([python, '-W', 'ignore', 'tools/analysis_tools/benchmark_pretrain.py',
                       '--arch', 'b', '--batch', '1', '--img', '64', '--steps', '1',
                       '--decoder-depth', '1'], cwd=REPO_ROOT)
    out = result.stdout
    speed = float(re.search(r'throughput ratio SelectiveMAE / MAE: ([\d.]+)x', out).group(1))
    flop_ratio = float(re.search(r'FLOP ratio MAE / SelectiveMAE: ([\d.]+)x', out).group(1))
    share = float(re.search(r'token selection: ([\d.]+)% of', out).group(1))
    assert speed > 0 and 0 <= share <= 100
    # 16 patches at 64 px: MAE encodes 4, decodes 16 over 8 blocks; SelectiveMAE encodes 2 and
    # decodes 4 in one block, so it needs fewer FLOPs.
    assert flop_ratio > 1.0
    assert re.search(r'^MAE\s+[\d.]+\s+-?\d+\s+[\d.]+$', out, re.M)
