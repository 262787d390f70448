"""Pictures of what SelectiveMAE selects and reconstructs, for one image at given PSTS epochs."""
from __future__ import annotations

from typing import Dict, List, Sequence

import numpy as np
import torch

from mmrsfm.models.selfsup.selective_mae import patchify


def unpatchify(patches: torch.Tensor, patch_size: int, rows: int, cols: int) -> torch.Tensor:
    """(B, rows * cols, p * p * C) -> (B, C, rows * p, cols * p); inverse of ``patchify``."""
    b, _, d = patches.shape
    c = d // patch_size**2
    x = patches.reshape(b, rows, cols, patch_size, patch_size, c)
    return torch.einsum('nhwpqc->nchpwq', x).reshape(b, c, rows * patch_size, cols * patch_size)


@torch.no_grad()
def selection_panels(model, image: torch.Tensor, epochs: Sequence[int],
                     max_epochs: int) -> List[Dict[str, np.ndarray]]:
    """Panels per epoch for a SelectiveMAE ``model`` and a normalised image (1, C, H, W).

    Returns, for each epoch, a dict of (H, W[, C]) arrays in the image's value range:
    ``original``, ``hog`` (per-patch score map), ``visible`` and ``targets`` (the image shown
    only at those patches, 0 elsewhere), ``reconstruction`` (visible patches from the image,
    target patches predicted - de-normalised with each target patch's own mean/std when the
    head normalises pixels - others 0), plus the ``stage`` name.
    """
    model.eval()
    selector = model.token_selector
    p = selector.patch_size
    _, c, h, w = image.shape
    rows, cols = h // p, w // p
    patches = patchify(image, p)  # (1, L, p*p*C)
    panels = []
    for epoch in epochs:
        selector.set_epoch(epoch, max_epochs)
        visible, targets, scores = model.select(image)
        pred, _ = model.reconstruction(image, visible, targets)
        true_targets = torch.gather(patches, 1, targets[..., None].expand(-1, -1,
                                                                           patches.shape[-1]))
        if model.head.norm_pix:
            mean = true_targets.mean(-1, keepdim=True)
            std = (true_targets.var(-1, keepdim=True) + 1e-6).sqrt()
            pred = pred * std + mean

        def only(index, values=None):
            out = torch.zeros_like(patches)
            src = values if values is not None else torch.gather(
                patches, 1, index[..., None].expand(-1, -1, patches.shape[-1]))
            out.scatter_(1, index[..., None].expand(-1, -1, patches.shape[-1]), src)
            return out

        recon = only(visible) + only(targets, pred)

        def image_of(x):
            return unpatchify(x, p, rows, cols)[0].permute(1, 2, 0).cpu().numpy()

        first, second, weight = selector.stage()
        stage = first if first == second else f'{first}->{second} ({weight:.2f})'
        panels.append(dict(
            epoch=epoch, stage=stage, original=image[0].permute(1, 2, 0).cpu().numpy(),
            hog=scores[0].reshape(rows, cols).cpu().numpy(), visible=image_of(only(visible)),
            targets=image_of(only(targets)), reconstruction=image_of(recon)))
    return panels
