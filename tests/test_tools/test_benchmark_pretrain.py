"""The SelectiveMAE-vs-MAE benchmark tool runs and prints its ratios, the saved-activation bytes
and the CUDA memory projection (no timing assertions: speed targets are checked by reading the
tool's output, see configs/selectivemae/README.md). 1-5 min on 2 CPU cores shared with other
work."""
import re

from tests.conftest import REPO_ROOT, run_tool


def test_benchmark_prints_ratios_and_the_memory_projection(python):
    result = run_tool([python, '-W', 'ignore', 'tools/analysis_tools/benchmark_pretrain.py',
                       '--arch', 'b', '--batch', '1', '--img', '64', '--steps', '1',
                       '--decoder-depth', '1', '--project-batch', '256',
                       '--project-precision', 'bf16'], cwd=REPO_ROOT)
    out = result.stdout
    speed = float(re.search(r'throughput ratio SelectiveMAE / MAE: ([\d.]+)x', out).group(1))
    flop_ratio = float(re.search(r'FLOP ratio MAE / SelectiveMAE: ([\d.]+)x', out).group(1))
    share = float(re.search(r'token selection: ([\d.]+)% of', out).group(1))
    assert speed > 0 and 0 <= share <= 100
    # 16 patches at 64 px: MAE encodes 4, decodes 16 over 8 blocks; SelectiveMAE encodes 2 and
    # decodes 4 in one block, so it needs fewer FLOPs.
    assert flop_ratio > 1.0
    assert re.search(r'^MAE\s+[\d.]+\s+-?\d+\s+[\d.]+$', out, re.M)

    saved = re.search(r'saved activations \(one forward at batch 1, fp32, parameters excluded\): '
                      r'MAE ([\d.]+) MiB, SelectiveMAE ([\d.]+) MiB, ratio ([\d.]+)', out)
    assert saved, out
    mae_saved, sel_saved = float(saved.group(1)), float(saved.group(2))
    # Fewer tokens through fewer blocks: SelectiveMAE keeps less for backward.
    assert 0 < sel_saved < mae_saved
    assert 'projected CUDA memory (projection, not a measurement) at batch 256 per GPU, bf16' in out
    rows = {}
    for name in ('MAE', 'SelectiveMAE'):
        row = re.search(rf'^{name}\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$', out, re.M)
        assert row, f'no projection row for {name}:\n{out}'
        params, grads, adamw, activations, total = map(int, row.groups())
        # fp32 weights, gradients of the trainable ones, two AdamW moments
        assert grads <= params and abs(adamw - 2 * grads) <= 1
        assert abs(params + grads + adamw + activations - total) <= 3  # rounded MiB
        rows[name] = total
    ratio = float(re.search(r'projected memory ratio SelectiveMAE / MAE: ([\d.]+)', out).group(1))
    assert abs(ratio - rows['SelectiveMAE'] / rows['MAE']) < 0.02
