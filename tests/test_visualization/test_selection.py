"""mmrsfm.visualization.selection panels and the visualisation tool on a random-weight model."""
import os.path as osp

import cv2
import numpy as np
import torch
from mmpretrain.registry import MODELS

import mmrsfm.models  # noqa: F401
from mmrsfm.models.selfsup import patchify
from mmrsfm.visualization import selection_panels, unpatchify
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


def test_tool_writes_the_figure(tmp_path, python):
    image = str(tmp_path / 'scene.png')
    rng = np.random.RandomState(0)
    cv2.imwrite(image, (rng.rand(48, 48, 3) * 255).astype(np.uint8))
    out = str(tmp_path / 'selection.png')
    run_tool([python, 'tools/analysis_tools/visualize_selectivemae.py', image, CPU_CONFIG,
              '--epochs', '0', '1', '--out', out], cwd=REPO_ROOT)
    figure = cv2.imread(out)
    assert figure is not None and figure.shape[0] > 300 and figure.shape[1] > 1000
