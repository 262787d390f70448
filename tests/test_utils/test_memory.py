"""Saved-activation bytes and the CUDA memory projection (mmrsfm.utils.memory), checked against
hand counts on a Linear + ReLU stack."""
import pytest
import torch
from torch import nn

from mmrsfm.utils.memory import model_state_bytes, project_training_memory, saved_activation_bytes


def _stack():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4), nn.ReLU())


@pytest.mark.parametrize('batch', [1, 3])
def test_saved_bytes_of_a_linear_relu_stack_match_the_hand_count(batch):
    net = _stack()
    x = torch.rand(batch, 8)
    # fp32, input without grad: Linear 1 saves x (B x 8) for its weight gradient and W1 (a
    # parameter: not counted); ReLU 1 saves its output (B x 16), which Linear 2 saves again
    # (same storage: counted once) beside W2; ReLU 2 saves its output (B x 4).
    expected = 4 * batch * (8 + 16 + 4)
    assert saved_activation_bytes(lambda: net(x), net.parameters()) == expected
    # Without excluding parameters, W1^T (16 x 8) is not saved (x needs no gradient), W2^T
    # (4 x 16) is.
    assert saved_activation_bytes(lambda: net(x)) == expected + 4 * 4 * 16
    # bf16 autocast: x, both ReLU outputs and the bf16 copy of W2 (not a parameter) are saved
    # at 2 bytes an element.
    with torch.autocast(device_type='cpu', dtype=torch.bfloat16):
        half = saved_activation_bytes(lambda: net(x), net.parameters())
    assert half == 2 * batch * (8 + 16 + 4) + 2 * 4 * 16


def test_nothing_is_saved_without_grad():
    net = _stack()
    with torch.no_grad():
        assert saved_activation_bytes(lambda: net(torch.rand(2, 8)), net.parameters()) == 0


def test_projection_adds_model_state_and_extrapolated_activations():
    net = _stack()
    net[0].weight.requires_grad_(False)  # frozen: no gradient, no AdamW state
    state = model_state_bytes(net)
    elements, frozen = 8 * 16 + 16 + 16 * 4 + 4, 8 * 16
    assert state == dict(params=4 * elements, grads=4 * (elements - frozen),
                         adamw=8 * (elements - frozen))
    at_1 = saved_activation_bytes(lambda: net(torch.rand(1, 8)), net.parameters())
    at_2 = saved_activation_bytes(lambda: net(torch.rand(2, 8)), net.parameters())
    projection = project_training_memory(state, at_1, at_2, batch=256)
    assert projection['activations'] == 256 * at_1 == saved_activation_bytes(
        lambda: net(torch.rand(256, 8)), net.parameters())
    assert projection['total'] == sum(state.values()) + projection['activations']
    with pytest.raises(ValueError, match='batch must be >= 1'):
        project_training_memory(state, at_1, at_2, batch=0)
