"""mmrsfm.visualization.selection panels and figure, and the visualisation tool on a
random-weight model: default rows per PSTS stage of the config's schedule, unreadable images
skipped with a warning, a few lines of output."""
import importlib.util
import os.path as osp
import re

import cv2
import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS

import mmrsfm.models  # noqa: F401
from mmrsfm.models.selfsup import patchify
from mmrsfm.visualization import selection_figure, selection_panels, unpatchify
from tests.conftest import REPO_ROOT, run_tool

CPU_CONFIG = osp.join(REPO_ROOT, 'configs', 'selectivemae',
                      'selectivemae_vit-tiny-p8-32px_1xb8-2e_opticalrs-13m-cpu.py')


def test_unpatchify_inverts_patchify():
    x = torch.rand(2, 3, 24, 40)
    torch.testing.assert_close(unpatchify(patchify(x, 8), 8, 3, 5), x)


def test_panels_show_selected_patches():
    from mmrsfm.apis import load_config
    cfg = load_config(CPU_CONFIG)
    model = MODELS.build(cfg.model)
    model.init_weights()
    image = torch.rand(1, 3, 32, 32)
    panels = selection_panels(model, image, epochs=[0, 2], max_epochs=2)
    assert [p['stage'] for p in panels] == ['near', 'random']
    for panel in panels:
        visible = np.abs(panel['visible']).sum(-1) > 0
        targets = np.abs(panel['targets']).sum(-1) > 0
        # 16 patches of 8 px: 2 visible (int(16 * 0.15)), 4 targets (int(16 * 0.25)).
        assert visible.sum() == 2 * 64 and targets.sum() == 4 * 64
        assert not (visible & targets).any()
        original = panel['original']
        np.testing.assert_allclose(panel['visible'][visible], original[visible])
        np.testing.assert_allclose(panel['reconstruction'][visible], original[visible])
        assert panel['hog'].shape == (4, 4)


def test_figure_has_legend_and_colour_bars():
    from mmrsfm.apis import load_config
    cfg = load_config(CPU_CONFIG)
    model = MODELS.build(cfg.model)
    model.init_weights()
    panels = selection_panels(model, torch.rand(1, 3, 32, 32), epochs=[0, 1], max_epochs=2)
    assert len(panels[0]['visible_tokens']) == 2 and len(panels[0]['target_tokens']) == 4
    fig = selection_figure(panels, cfg.data_preprocessor.mean, cfg.data_preprocessor.std)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        'visible token (encoder input)', 'reconstruction target', 'neither (not used)']
    colour_bars = [ax for ax in fig.axes if ax.get_label() == '<colorbar>']
    assert len(colour_bars) == 2  # one per row, next to the HOG score map
    assert all(cb.get_ylabel() == 'HOG energy' for cb in colour_bars)
    images = [ax for ax in fig.axes if ax.get_label() != '<colorbar>']
    assert len(images) == 2 * 5
    # visible (2) and target (4) patches outlined; the reconstruction shows both
    assert [len(ax.patches) for ax in images[:5]] == [0, 0, 2, 4, 6]
    assert images[2].get_title() == 'visible\nepoch 0: near'
    assert images[7].get_title() == 'visible\nepoch 1: far'


def _load_tool():
    path = osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'visualize_selectivemae.py')
    spec = importlib.util.spec_from_file_location('visualize_selectivemae', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tool_scales_stages_skips_unreadable_and_logs_briefly(tmp_path, python):
    folder = tmp_path / 'images'
    folder.mkdir()
    rng = np.random.RandomState(0)
    cv2.imwrite(str(folder / 'scene.png'), (rng.rand(48, 48, 3) * 255).astype(np.uint8))
    empty = folder / 'empty.png'
    empty.write_bytes(b'')  # e.g. an interrupted copy: OpenCV raises '!buf.empty()'
    out = str(tmp_path / 'selection.png')
    result = run_tool([python, 'tools/analysis_tools/visualize_selectivemae.py', str(folder),
                       CPU_CONFIG, '--out', out], cwd=REPO_ROOT)
    lines = (result.stdout + result.stderr).splitlines()
    # default rows: the 2-epoch config's own stages, not the 800-epoch ones (all 'random')
    assert result.stdout.strip().endswith(
        f'scene.png: epochs of 2 (0 near, 1 far) -> wrote {tmp_path}/selection_scene.png')
    assert f'skipping cannot read image {empty}: empty file (0 bytes)' in result.stderr
    assert len(lines) <= 5, '\n'.join(lines)  # no init logging
    figure = cv2.imread(str(tmp_path / 'selection_scene.png'))
    assert figure is not None and figure.shape[0] > 300 and figure.shape[1] > 1000
    assert not osp.exists(tmp_path / 'selection_empty.png')

    tool = _load_tool()  # only input unreadable: an error naming it, before building a model
    with pytest.raises(SystemExit, match=f'no readable image.*{re.escape(str(empty))}: empty file'):
        tool.main([str(empty), CPU_CONFIG, '--out', out])
