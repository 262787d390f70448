"""Pictures of what SelectiveMAE selects and reconstructs, for one image at given PSTS epochs."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from mmrsfm.models.selfsup.selective_mae import patchify


def unpatchify(patches: torch.Tensor, patch_size: int, rows: int, cols: int) -> torch.Tensor:
    """(B, rows * cols, p * p * C) -> (B, C, rows * p, cols * p); inverse of ``patchify``.

    Args:
        patches (torch.Tensor): Patches in row-major order, shape (B, rows * cols, p * p * C),
            each flattened as ``patchify`` does (pixel row, pixel column, channel).
        patch_size (int): The patch side ``p`` in pixels.
        rows (int): Patches per image column (image height / ``p``).
        cols (int): Patches per image row (image width / ``p``).

    Returns:
        torch.Tensor: The images, shape (B, C, rows * p, cols * p).

    Examples:
        >>> x = torch.rand(2, 3, 32, 48)
        >>> torch.equal(unpatchify(patchify(x, 16), 16, rows=2, cols=3), x)
        True
    """
    b, _, d = patches.shape
    c = d // patch_size**2
    x = patches.reshape(b, rows, cols, patch_size, patch_size, c)
    return torch.einsum('nhwpqc->nchpwq', x).reshape(b, c, rows * patch_size, cols * patch_size)


@torch.no_grad()
def selection_panels(model, image: torch.Tensor, epochs: Sequence[int],
                     max_epochs: int) -> List[Dict[str, np.ndarray]]:
    """Panels per epoch for a SelectiveMAE ``model`` and a normalised image (1, C, H, W).

    The model is put in eval mode and its token selector's epoch is set to each of ``epochs``
    in turn (the selector keeps the last one).

    Args:
        model (SelectiveMAE): The pretraining model, with a ``token_selector``
            (:class:`HOGTokenSelector`), ``select``, ``reconstruction`` and a ``head``.
        image (torch.Tensor): One normalised image (as the data preprocessor outputs it),
            shape (1, C, H, W) with H and W multiples of the patch size.
        epochs (Sequence[int]): The PSTS epochs (0-based) to show, one row each.
        max_epochs (int): The training length the PSTS schedule is spread over.

    Returns:
        list[dict]: For each epoch, a dict of (H, W[, C]) arrays in the image's value range:
        ``original``, ``hog`` (per-patch score map), ``visible`` and ``targets`` (the image
        shown only at those patches, 0 elsewhere), ``reconstruction`` (visible patches from the
        image, target patches predicted - de-normalised with each target patch's own mean/std
        when the head normalises pixels - others 0), plus the ``epoch``, the ``stage`` name,
        the ``visible_tokens`` and ``target_tokens`` indices (row-major patch numbers) and the
        ``patch_size``.
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
        true_targets = torch.gather(patches, 1,
                                    targets[..., None].expand(-1, -1, patches.shape[-1]))
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
            targets=image_of(only(targets)), reconstruction=image_of(recon),
            visible_tokens=visible[0].cpu().numpy(), target_tokens=targets[0].cpu().numpy(),
            patch_size=p))
    return panels


#: Outline colours of the figure's patch classes (also its legend entries).
VISIBLE_COLOUR = '#00e5ff'
TARGET_COLOUR = '#ff9800'
COLUMNS = ('original', 'HOG score', 'visible', 'targets', 'reconstruction')


def _outline(ax, tokens: np.ndarray, patch_size: int, cols: int, colour: str) -> None:
    from matplotlib.patches import Rectangle
    for token in tokens.tolist():
        row, col = divmod(int(token), cols)
        ax.add_patch(Rectangle((col * patch_size - 0.5, row * patch_size - 0.5), patch_size,
                               patch_size, fill=False, edgecolor=colour, linewidth=1.0))


def selection_figure(panels: Sequence[Dict[str, np.ndarray]], mean: Sequence[float],
                     std: Sequence[float], title: Optional[str] = None):
    """Draw :func:`selection_panels` output: one row per epoch, five columns.

    Columns: the original image, the per-patch HOG score (with a colour bar), the visible
    tokens, the reconstruction targets and the reconstruction. Visible patches are outlined in
    cyan and targets in orange (on the reconstruction both); patches a panel does not use are
    filled with the mean colour. A legend under the title says so. The row's epoch and PSTS
    stage head the ``visible`` column.

    Args:
        panels (Sequence[dict]): Output of :func:`selection_panels`.
        mean (Sequence[float]): Per-channel mean of the data preprocessor (to de-normalise).
        std (Sequence[float]): Per-channel std of the data preprocessor.
        title (str, optional): Figure title, e.g. the image name. Defaults to None.

    Returns:
        matplotlib.figure.Figure: The figure (not attached to pyplot; ``fig.savefig(path)``).
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    mean = np.asarray(mean, np.float32)
    std = np.asarray(std, np.float32)

    def show(a: np.ndarray) -> np.ndarray:
        return np.clip(a * std + mean, 0, 255).astype(np.uint8)

    top = 0.8 if title else 0.5  # inches above the rows: title line, legend line
    fig = Figure(figsize=(16, 3.2 * len(panels) + top))
    axes = fig.subplots(len(panels), len(COLUMNS), squeeze=False)
    for row, panel in zip(axes, panels):
        p = int(panel['patch_size'])
        cols = panel['original'].shape[1] // p
        images = (show(panel['original']), panel['hog'], show(panel['visible']),
                  show(panel['targets']), show(panel['reconstruction']))
        for ax, name, image in zip(row, COLUMNS, images):
            if name == 'HOG score':
                drawn = ax.imshow(image, cmap='magma')
                fig.colorbar(drawn, ax=ax, fraction=0.046, pad=0.04, label='HOG energy')
            else:
                ax.imshow(image)
            if name in ('visible', 'reconstruction'):
                _outline(ax, panel['visible_tokens'], p, cols, VISIBLE_COLOUR)
            if name in ('targets', 'reconstruction'):
                _outline(ax, panel['target_tokens'], p, cols, TARGET_COLOUR)
            ax.set_title(name + (f'\nepoch {panel["epoch"]}: {panel["stage"]}'
                                 if name == 'visible' else ''))
            ax.axis('off')
    handles = [
        Patch(facecolor='none', edgecolor=VISIBLE_COLOUR, label='visible token (encoder input)'),
        Patch(facecolor='none', edgecolor=TARGET_COLOUR, label='reconstruction target'),
        Patch(facecolor=tuple(np.clip(mean / 255, 0, 1)), edgecolor='grey',
              label='neither (not used)'),
    ]
    height = fig.get_figheight()
    if title:
        fig.suptitle(title, x=0.01, y=1 - 0.08 / height, ha='left', va='top',
                     fontsize='medium')
    fig.legend(handles=handles, loc='upper center', ncol=len(handles), frameon=False,
               bbox_to_anchor=(0.5, 1 - (top - 0.45) / height))
    fig.tight_layout(rect=(0, 0, 1, 1 - top / height))
    return fig
