"""SelectiveMAE's token selection: HOG scoring of patches, visible/target selection, and
Progressive Semantic Token Selection (PSTS).

Token budget for L patches: ``V = int(L * (1 - mask_ratio))`` visible tokens go through the
encoder, ``T = int(L * recon_ratio)`` reconstruction targets are chosen among the other ``L - V``;
the rest take part in neither. (ViT-B/16 at 224 px: L = 196, V = 29, T = 49.)
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS

SAMPLING_MODES = ('topk', 'softmax', 'random')
PSTS_ORDERS = ('near', 'far', 'random')


def hog_cell_histograms(images: torch.Tensor, cell_size: int = 8,
                        num_bins: int = 9) -> torch.Tensor:
    """Per-channel histograms of oriented gradients, (B, C, H // cell, W // cell, num_bins).

    As ``skimage.feature.hog`` computes them before block normalisation: central differences
    (zero on the border rows/columns), unsigned orientation in [0, 180) degrees split into
    ``num_bins`` equal bins without interpolation, each cell holding the mean over its pixels of
    the gradient magnitude of those pixels whose orientation falls in the bin. Pixels beyond the
    last full cell are ignored.

    Args:
        images (torch.Tensor): Images (B, C, H, W), any scale; integer images are converted
            to float.
        cell_size (int): Side of a square HOG cell in pixels. Defaults to 8.
        num_bins (int): Orientation bins over [0, 180) degrees. Defaults to 9.

    Returns:
        torch.Tensor: Histograms (B, C, H // cell_size, W // cell_size, num_bins), in units of
        the image's gradient magnitude per pixel.

    Raises:
        ValueError: If the images are smaller than one cell.

    Examples:
        >>> hog_cell_histograms(torch.rand(2, 3, 32, 48)).shape
        torch.Size([2, 3, 4, 6, 9])
    """
    b, c, h, w = images.shape
    hc, wc = h // cell_size, w // cell_size
    if hc == 0 or wc == 0:
        raise ValueError(f'images of {h}x{w} px are smaller than one {cell_size}-px cell')
    x = images if images.is_floating_point() else images.float()
    g_row = torch.zeros_like(x)
    g_col = torch.zeros_like(x)
    g_row[..., 1:-1, :] = x[..., 2:, :] - x[..., :-2, :]
    g_col[..., :, 1:-1] = x[..., :, 2:] - x[..., :, :-2]
    magnitude = torch.hypot(g_row, g_col)[..., :hc * cell_size, :wc * cell_size]
    orientation = torch.rad2deg(torch.atan2(g_row, g_col)).remainder(180.0)
    orientation = orientation[..., :hc * cell_size, :wc * cell_size]
    bins = (orientation / (180.0 / num_bins)).floor().clamp_(max=num_bins - 1).long()
    # One pass: every pixel adds its magnitude to (image, channel, cell, bin).
    rows = torch.arange(hc * cell_size, device=x.device) // cell_size
    cols = torch.arange(wc * cell_size, device=x.device) // cell_size
    cell = (rows[:, None] * wc + cols[None, :])  # (H', W')
    plane = torch.arange(b * c, device=x.device).reshape(b, c, 1, 1) * (hc * wc)
    flat = ((plane + cell) * num_bins + bins).reshape(-1)
    hist = torch.zeros(b * c * hc * wc * num_bins, dtype=magnitude.dtype, device=x.device)
    hist.index_add_(0, flat, magnitude.reshape(-1))
    return hist.reshape(b, c, hc, wc, num_bins) / (cell_size * cell_size)


def hog_patch_scores(images: torch.Tensor, patch_size: int = 16, cell_size: int = 8,
                     num_bins: int = 9) -> torch.Tensor:
    """Gradient richness of every patch, (B, L) with L = (H / p) * (W / p), row-major.

    The score is the energy (sum of squares) of the patch's un-normalised HOG vector
    (C channels x (p / cell)^2 cells x bins): strong, consistent edges score high, flat patches
    score ~0. (The authors' code standardises the vector before averaging, which makes every
    score ~0 and the selection uniformly random.)

    Args:
        images (torch.Tensor): Images (B, C, H, W), H and W divisible by ``patch_size``.
        patch_size (int): ViT patch size in pixels, divisible by ``cell_size``. Defaults to 16.
        cell_size (int): HOG cell size in pixels. Defaults to 8.
        num_bins (int): HOG orientation bins. Defaults to 9.

    Returns:
        torch.Tensor: Scores (B, L), non-negative.

    Raises:
        ValueError: If the image size is not divisible by ``patch_size`` or ``patch_size`` by
            ``cell_size``.

    Examples:
        >>> flat, edge = torch.zeros(1, 1, 16, 32), torch.zeros(1, 1, 16, 32)
        >>> edge[..., 20:28] = 1.0  # a bright stripe inside the second patch
        >>> hog_patch_scores(torch.cat([flat, edge])).gt(0).tolist()
        [[False, False], [False, True]]
    """
    b, c, h, w = images.shape
    if h % patch_size or w % patch_size or patch_size % cell_size:
        raise ValueError(f'image size {h}x{w} must be divisible by the patch size {patch_size}, '
                         f'itself divisible by the HOG cell size {cell_size}')
    hist = hog_cell_histograms(images, cell_size, num_bins)  # (B, C, Hc, Wc, bins)
    k = patch_size // cell_size
    hp, wp = h // patch_size, w // patch_size
    energy = hist.pow(2).sum(dim=(1, 4))  # (B, Hc, Wc)
    return energy.reshape(b, hp, k, wp, k).sum(dim=(2, 4)).reshape(b, hp * wp)


def token_budget(num_patches: int, mask_ratio: float, recon_ratio: float) -> Tuple[int, int]:
    """``(V, T)``: numbers of visible and target tokens; errors for impossible combinations.

    Args:
        num_patches (int): Patches per image ``L``.
        mask_ratio (float): Share of patches hidden from the encoder, in (0, 1).
        recon_ratio (float): Share of patches reconstructed, in (0, ``mask_ratio``].

    Returns:
        tuple[int, int]: ``V = int(L * (1 - mask_ratio))`` and ``T = int(L * recon_ratio)``.

    Raises:
        ValueError: If a ratio is out of range or ``V`` or ``T`` would be 0.

    Examples:
        >>> token_budget(196, 0.85, 0.25)
        (29, 49)
    """
    if not 0.0 < mask_ratio < 1.0:
        raise ValueError(f'mask_ratio must be in (0, 1), got {mask_ratio}')
    if not 0.0 < recon_ratio <= mask_ratio:
        raise ValueError(f'recon_ratio must be in (0, mask_ratio={mask_ratio}]: targets are '
                         f'chosen among the masked tokens, got {recon_ratio}')
    visible = int(num_patches * (1 - mask_ratio))
    targets = int(num_patches * recon_ratio)
    if visible < 1 or targets < 1:
        raise ValueError(f'{num_patches} patches with mask_ratio {mask_ratio} and recon_ratio '
                         f'{recon_ratio} leave {visible} visible and {targets} target tokens; '
                         'both must be >= 1')
    return visible, targets


def _take_top(key: torch.Tensor, available: torch.Tensor, k: int) -> torch.Tensor:
    """Indices (B, k) of the k largest ``key`` entries among ``available`` (B, L) per sample."""
    return key.masked_fill(~available, float('-inf')).topk(k, dim=1).indices


def _order_key(order: str, similarity: torch.Tensor) -> torch.Tensor:
    if order == 'near':
        return similarity
    if order == 'far':
        return -similarity
    return torch.rand_like(similarity)


DEFAULT_STAGE_ORDER = ('near', 'far', 'random')
DEFAULT_BOUNDARIES = (0.35, 0.375, 0.725, 0.75)


def _psts_settings(psts: dict) -> dict:
    """Validated PSTS settings with defaults filled in (see :class:`HOGTokenSelector`)."""
    psts = dict(psts)
    order = psts.pop('stage_order', DEFAULT_STAGE_ORDER)
    if isinstance(order, str) or not all(isinstance(name, str) for name in order):
        raise ValueError(f'psts.stage_order must be a sequence of stage names from '
                         f'{PSTS_ORDERS}, e.g. {DEFAULT_STAGE_ORDER}, got {order!r}')
    order = tuple(order)
    unknown = [name for name in order if name not in PSTS_ORDERS]
    repeated = sorted({name for name in order if order.count(name) > 1})
    if not order or unknown or repeated:
        raise ValueError(f'psts.stage_order must list distinct stages from {PSTS_ORDERS}, got '
                         f'{order}' + (f': unknown {unknown}' if unknown else '')
                         + (f': repeated {repeated}' if repeated else ''))
    if 'boundaries' not in psts and len(order) not in (1, 3):
        raise ValueError(f'psts.stage_order {order} has {len(order)} stages: give its '
                         f'{2 * (len(order) - 1)} psts.boundaries (the defaults are for 3)')
    boundaries = tuple(float(b) for b in psts.pop(
        'boundaries', DEFAULT_BOUNDARIES if len(order) == 3 else ()))
    if len(boundaries) != 2 * (len(order) - 1) or list(boundaries) != sorted(boundaries):
        raise ValueError(f'psts.boundaries must be {2 * (len(order) - 1)} increasing values '
                         f'(start and end of the ramp between each two of the stages '
                         f'{order}), got {boundaries}')
    settings = dict(seed_ratio=psts.pop('seed_ratio', 0.5),
                    num_steps=int(psts.pop('num_steps', 2)), boundaries=boundaries,
                    stage_order=order)
    if psts:
        raise ValueError(f'unknown psts keys {sorted(psts)}')
    if not 0.0 < settings['seed_ratio'] <= 1.0 or settings['num_steps'] < 1:
        raise ValueError(f'need 0 < psts.seed_ratio <= 1 and psts.num_steps >= 1, got '
                         f'{settings}')
    return settings


@MODELS.register_module()
class HOGTokenSelector(BaseModule):
    """Chooses SelectiveMAE's visible tokens and reconstruction targets from HOG scores.

    Args:
        patch_size (int): ViT patch size in pixels. Defaults to 16.
        mask_ratio (float): Share of patches hidden from the encoder. Defaults to 0.85.
        recon_ratio (float): Share of patches reconstructed (chosen among the hidden).
            Defaults to 0.25.
        sampling (str): How the HOG scores choose tokens: ``'topk'`` (highest scores),
            ``'softmax'`` (sampled without replacement with probabilities
            softmax(standardised score / temperature)) or ``'random'`` (uniform, scores
            ignored). Used for the reconstruction targets and for the visible tokens: all of
            them without PSTS, the PSTS seeds with PSTS (the rest of the visible tokens then
            follow the PSTS stage). ``'random'`` with PSTS is the authors' code's effective
            behaviour (its scores are all ~0, so its top-k seeds and targets are uniformly
            random while the PSTS growth still follows the stages). Defaults to ``'topk'``.
        temperature (float): Softmax temperature (``sampling='softmax'`` only). Defaults to 1.0.
        cell_size (int): HOG cell size in pixels (see :func:`hog_patch_scores`).
            Defaults to 8.
        num_bins (int): HOG orientation bins. Defaults to 9.
        psts (dict, optional): Progressive Semantic Token Selection of the visible tokens, e.g.
            ``dict(seed_ratio=0.5, num_steps=2, boundaries=(280, 300, 580, 600),
            stage_order=('near', 'far', 'random'))``: the first ``seed_ratio`` of the visible
            tokens are the seeds (chosen by ``sampling``), the rest are added in ``num_steps``
            steps by max-cosine-similarity to the selected set of the token features (patch +
            position embeddings). The stages of ``stage_order`` follow one another: ``near``
            (most similar first), ``far`` (least similar first) or ``random`` (uniform); with
            the default order ``near`` until ``boundaries[0]``, ramping to ``far`` by
            ``boundaries[1]``, ``far`` until ``boundaries[2]``, ramping to ``random`` by
            ``boundaries[3]``. ``n`` stages need ``2 (n - 1)`` boundaries (start and end of
            each ramp). Boundaries are epochs, or fractions of the schedule when all are
            <= 1; missing keys default to ``seed_ratio=0.5``, ``num_steps=2``,
            ``stage_order=('near', 'far', 'random')`` and, for three stages,
            ``boundaries=(0.35, 0.375, 0.725, 0.75)``. The paper's ablation order is
            ``stage_order=('far', 'near', 'random')``. Defaults to None (no PSTS).
        init_cfg (dict, optional): Initialisation config of ``BaseModule`` (the selector has
            no parameters). Defaults to None.

    Raises:
        ValueError: If ``sampling`` is unknown, the ratios leave no visible or target token,
            or ``psts`` has unknown keys or invalid values (e.g. an unknown or repeated stage
            name in ``stage_order``, or a number of boundaries that does not fit it).

    Examples:
        >>> from mmpretrain.registry import MODELS
        >>> selector = MODELS.build(dict(type='HOGTokenSelector', patch_size=16,
        ...                              mask_ratio=0.75, recon_ratio=0.5))
        >>> visible, targets, scores = selector(torch.rand(2, 3, 64, 64))  # L = 16 patches
        >>> tuple(visible.shape), tuple(targets.shape), tuple(scores.shape)
        ((2, 4), (2, 8), (2, 16))
    """

    def __init__(self,
                 patch_size: int = 16,
                 mask_ratio: float = 0.85,
                 recon_ratio: float = 0.25,
                 sampling: str = 'topk',
                 temperature: float = 1.0,
                 cell_size: int = 8,
                 num_bins: int = 9,
                 psts: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if sampling not in SAMPLING_MODES:
            raise ValueError(f'sampling must be one of {SAMPLING_MODES}, got {sampling!r}')
        token_budget(196, mask_ratio, recon_ratio)  # fail at build time on impossible ratios
        self.patch_size = patch_size
        self.mask_ratio = mask_ratio
        self.recon_ratio = recon_ratio
        self.sampling = sampling
        self.temperature = temperature
        self.cell_size = cell_size
        self.num_bins = num_bins
        self.psts = None
        if psts is not None:
            self.psts = _psts_settings(psts)
        self.epoch, self.max_epochs = 0, 1

    def set_epoch(self, epoch: int, max_epochs: int) -> None:
        """Advance the PSTS stage (called by ``PSTSStageHook`` before every epoch).

        Args:
            epoch (int): The current epoch (or iteration, for iteration-based loops), 0-based.
            max_epochs (int): The schedule's length in the same unit (at least 1 is used).
        """
        self.epoch, self.max_epochs = int(epoch), max(int(max_epochs), 1)

    def stage(self) -> Tuple[str, str, float]:
        """``(first, second, w)``: a share ``w`` of each step's tokens is taken in ``first``
        order, the rest in ``second`` order, at the current epoch.

        Returns:
            tuple[str, str, float]: The two orders (``'near'``, ``'far'`` or ``'random'``) and
            the weight ``w`` in [0, 1] of the first; ``('random', 'random', 1.0)`` without
            PSTS.
        """
        if self.psts is None:
            return ('random', 'random', 1.0)
        order, bounds = self.psts['stage_order'], self.psts['boundaries']
        if bounds and bounds[-1] <= 1.0:  # fractions of the schedule
            bounds = tuple(b * self.max_epochs for b in bounds)
        e = float(self.epoch)
        for i in range(len(order) - 1):
            start, end = bounds[2 * i], bounds[2 * i + 1]
            if e < start:
                return (order[i], order[i], 1.0)
            if e < end:
                return (order[i], order[i + 1], 1.0 - (e - start) / (end - start))
        return (order[-1], order[-1], 1.0)

    def stage_epochs(self, max_epochs: int) -> List[int]:
        """One epoch per PSTS stage of a ``max_epochs`` schedule, e.g. to show each stage once.

        Stages are read from :meth:`stage` at the epochs ``PSTSStageHook`` sets during training
        (``0 .. max_epochs - 1``; iterations for iteration-based loops), so boundaries given as
        fractions scale with the schedule and a stage that no epoch reaches is left out. Returns
        epoch 0 and the middle epoch of every later stage (a ramp between two orders counts as
        one stage). The selector's own epoch is left unchanged.

        Args:
            max_epochs (int): Length of the schedule (``train_cfg.max_epochs``).

        Returns:
            list[int]: Increasing epochs, e.g. ``[0, 289, 439, 589, 699]`` for 800 epochs with
            the default boundaries, ``[0, 1]`` (near, far) for 2 epochs.

        Example:
            >>> selector = HOGTokenSelector(psts=dict())
            >>> selector.stage_epochs(800)
            [0, 289, 439, 589, 699]
        """
        max_epochs = max(int(max_epochs), 1)
        saved = self.epoch, self.max_epochs
        runs: List[list] = []  # [first epoch, last epoch, (first order, second order)]
        try:
            for epoch in range(max_epochs):
                self.set_epoch(epoch, max_epochs)
                orders = self.stage()[:2]
                if runs and runs[-1][2] == orders:
                    runs[-1][1] = epoch
                else:
                    runs.append([epoch, epoch, orders])
        finally:
            self.epoch, self.max_epochs = saved
        return [0] + [(first + last) // 2 for first, last, _ in runs[1:]]

    def _sample(self, scores: torch.Tensor, available: torch.Tensor, k: int) -> torch.Tensor:
        if self.sampling == 'topk':
            key = scores
        elif self.sampling == 'random':
            key = torch.rand_like(scores)
        else:
            # Gumbel top-k = sampling without replacement from softmax(z / temperature).
            z = (scores - scores.mean(1, keepdim=True)) / (scores.std(1, keepdim=True) + 1e-6)
            uniform = torch.rand_like(scores).clamp_(1e-9, 1 - 1e-9)
            key = z / self.temperature - torch.log(-torch.log(uniform))
        return _take_top(key, available, k)

    def _progressive(self, scores: torch.Tensor, token_feats: torch.Tensor,
                     num_visible: int) -> torch.Tensor:
        b, num_patches = scores.shape
        num_seeds = max(1, int(num_visible * self.psts['seed_ratio']))
        selected = torch.zeros_like(scores, dtype=torch.bool)
        everything = torch.ones_like(scores, dtype=torch.bool)
        selected.scatter_(1, self._sample(scores, everything, num_seeds), True)
        feats = F.normalize(token_feats.detach().float(), dim=-1)
        cosine = feats @ feats.transpose(1, 2)  # (B, L, L)
        first, second, w = self.stage()
        remaining, steps = num_visible - num_seeds, self.psts['num_steps']
        sizes = [remaining // steps + (1 if i >= steps - remaining % steps else 0)
                 for i in range(steps)]
        for size in sizes:
            if size == 0:
                continue
            # s(u): max similarity of each token to the tokens selected so far.
            similarity = cosine.masked_fill(~selected[:, None, :], float('-inf')).amax(-1)
            n_first = int(round(w * size))
            for order, n in ((first, n_first), (second, size - n_first)):
                if n > 0:
                    picked = _take_top(_order_key(order, similarity), ~selected, n)
                    selected.scatter_(1, picked, True)
        return selected

    @torch.no_grad()
    def forward(self, images: torch.Tensor,
                token_feats: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Select tokens for a batch.

        The selection is computed in fp32 whatever the autocast state or the input dtype:
        under mixed precision the similarities of PSTS would otherwise be half-precision matrix
        products, and ties and rounding would change which tokens are taken.

        Args:
            images (torch.Tensor): Network inputs (B, C, H, W); H and W divisible by
                ``patch_size``.
            token_feats (torch.Tensor, optional): Patch + position embeddings (B, L, D),
                needed with PSTS. Defaults to None.

        Returns:
            tuple[torch.Tensor, torch.Tensor, torch.Tensor]: ``visible`` (B, V) and
            ``targets`` (B, T) token indices (row-major patch numbers, sorted), and the HOG
            scores (B, L).

        Raises:
            ValueError: With PSTS, if ``token_feats`` is missing or not (B, L, D).
        """
        with torch.autocast(device_type=images.device.type, enabled=False):
            return self._select(images.float(),
                                None if token_feats is None else token_feats.float())

    def _select(self, images: torch.Tensor, token_feats: Optional[torch.Tensor]
                ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        scores = hog_patch_scores(images, self.patch_size, self.cell_size, self.num_bins)
        b, num_patches = scores.shape
        num_visible, num_targets = token_budget(num_patches, self.mask_ratio, self.recon_ratio)
        everything = torch.ones_like(scores, dtype=torch.bool)
        if self.psts is not None:
            if token_feats is None or token_feats.shape[:2] != (b, num_patches):
                raise ValueError(f'PSTS needs token_feats of shape ({b}, {num_patches}, D), got '
                                 f'{None if token_feats is None else tuple(token_feats.shape)}')
            visible_mask = self._progressive(scores, token_feats, num_visible)
        else:
            visible_mask = torch.zeros_like(everything)
            visible_mask.scatter_(1, self._sample(scores, everything, num_visible), True)
        targets = self._sample(scores, ~visible_mask, num_targets)
        visible = visible_mask.nonzero()[:, 1].reshape(b, num_visible)
        return visible, targets.sort(dim=1).values, scores
