"""Training-memory figures without a GPU: the bytes autograd saves for backward, and a projection
of CUDA memory from them.

On a GPU, the memory of a training step is dominated by model state (parameters, gradients,
optimizer state) and by the activations autograd keeps from the forward pass for the backward
pass. The latter can be counted on any device with ``torch.autograd.graph.saved_tensors_hooks``:
every tensor an autograd node saves passes through the pack hook. :func:`saved_activation_bytes`
adds the sizes of their distinct storages, leaving out parameters (and views of them), which
are counted once in the model state.

:func:`project_training_memory` then states, for a per-GPU batch and a precision::

    M(B) = 4 P + 4 P_t + 8 P_t + A(B),    A(B) = A(1) + (B - 1) (A(2) - A(1))

with ``P`` the parameter and buffer elements (fp32 master copies, also under AMP), ``P_t`` the
trainable ones (fp32 gradients; AdamW's ``exp_avg`` and ``exp_avg_sq``, 2 x 4 bytes) and
``A(b)`` the saved-activation bytes of one forward pass at batch ``b`` in that precision (fp32,
or half precision under autocast: bf16 and fp16 have the same size), extrapolated linearly in
the batch. It is a lower bound of CUDA max-allocated memory: the CUDA context, allocator
fragmentation, library workspaces and the temporaries of the backward pass are not in it.
"""
from __future__ import annotations

import contextlib
from typing import Callable, Dict, Iterable, Optional

import torch

#: Precisions a projection can be made for -> autocast dtype of the measured forward pass
#: (None: fp32, no autocast). fp16 is measured with bf16 on CPU: same element size.
PROJECTION_PRECISIONS: Dict[str, Optional[torch.dtype]] = {
    'fp32': None, 'bf16': torch.bfloat16, 'fp16': torch.bfloat16}


def _storage_key(tensor: torch.Tensor) -> int:
    return tensor.untyped_storage().data_ptr()


def saved_activation_bytes(forward: Callable[[], object],
                           parameters: Iterable[torch.Tensor] = ()) -> int:
    """Bytes of the tensors autograd saves for backward while ``forward()`` runs.

    Each storage counts once, however many nodes save it (or views of it); storages of
    ``parameters`` are left out, and so are tensors saved under ``torch.no_grad()`` (none are).
    The graph ``forward`` builds is freed on return.

    Args:
        forward (Callable[[], object]): Runs the forward pass (e.g. returns the loss).
        parameters (Iterable[Tensor]): Tensors not to count, usually ``model.parameters()``.
            Defaults to none.

    Returns:
        int: The bytes of the distinct saved storages.

    Example:
        >>> net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU())
        >>> x = torch.rand(4, 8)
        >>> saved_activation_bytes(lambda: net(x), net.parameters())  # x and the ReLU output
        384
    """
    excluded = {_storage_key(p) for p in parameters}
    storages: Dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        key = _storage_key(tensor)
        if key not in excluded:
            storages.setdefault(key, tensor.untyped_storage().nbytes())
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        output = forward()
    del output
    return sum(storages.values())


def autocast_context(dtype: Optional[torch.dtype], device_type: str = 'cpu'):
    """``torch.autocast`` with ``dtype``, or a no-op context for ``None`` (fp32).

    Args:
        dtype (torch.dtype, optional): The autocast dtype (``torch.float16`` or
            ``torch.bfloat16``); ``None`` runs in fp32.
        device_type (str): The device type autocast applies to, ``'cpu'`` or ``'cuda'``.
            Defaults to ``'cpu'``.

    Returns:
        contextlib.AbstractContextManager: ``torch.autocast`` or ``contextlib.nullcontext``.
    """
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device_type, dtype=dtype)


def model_state_bytes(model: torch.nn.Module) -> Dict[str, int]:
    """Bytes of a model's state in fp32 training with AdamW (also with AMP, whose optimizer
    keeps fp32 parameters and gradients).

    Args:
        model (torch.nn.Module): The model; parameters with ``requires_grad`` count as trainable.

    Returns:
        dict: ``params`` (4 bytes per parameter and buffer element), ``grads`` (4 per trainable
        element) and ``adamw`` (8 per trainable element: ``exp_avg`` and ``exp_avg_sq``).
    """
    elements = sum(p.numel() for p in model.parameters()) + \
        sum(b.numel() for b in model.buffers())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return dict(params=4 * elements, grads=4 * trainable, adamw=8 * trainable)


def project_training_memory(state: Dict[str, int], activations_at_1: int,
                            activations_at_2: int, batch: int) -> Dict[str, int]:
    """Projected CUDA memory (bytes) of a training step at per-GPU ``batch``.

    Args:
        state (dict): :func:`model_state_bytes` of the model.
        activations_at_1 (int): :func:`saved_activation_bytes` at batch 1, in the precision
            projected for.
        activations_at_2 (int): The same at batch 2.
        batch (int): Per-GPU batch of the projection.

    Returns:
        dict: ``params``, ``grads``, ``adamw``, ``activations`` (``A(1) + (batch - 1) *
        (A(2) - A(1))``) and their ``total``.
    """
    if batch < 1:
        raise ValueError(f'batch must be >= 1, got {batch}')
    per_sample = activations_at_2 - activations_at_1
    projection = dict(state, activations=activations_at_1 + (batch - 1) * per_sample)
    projection['total'] = sum(projection.values())
    return projection
