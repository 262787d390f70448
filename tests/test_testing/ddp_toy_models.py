"""A toy model for the DDP harness tests (imported by the spawned ranks via custom_imports)."""
import torch
from mmengine.model import BaseModel
from mmengine.registry import MODELS
from torch import nn


@MODELS.register_module(force=True)
class ToyWithUnusedBranch(BaseModel):
    """``loss = mean(used(x) ** 2)``; ``unused`` takes no part in the loss (B, 2) -> scalar."""

    def __init__(self) -> None:
        super().__init__()
        self.used = nn.Linear(2, 1)
        self.unused = nn.Linear(2, 1)

    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = 'tensor'):
        out = self.used(inputs)
        return dict(loss=out.pow(2).mean()) if mode == 'loss' else out
