"""Object-feature pooling of detection debLoRA (mmrsfm.models.peft.object_features), by hand.

With ``aligned=True`` pixel ``x`` sits at ``x / stride - 0.5`` in map cells, so a box whose
sides lie on cell borders, pooled with one bin per cell and one sample per bin, samples exactly
the cell centres: its feature is the plain mean of those cells."""
import math

import numpy as np
import pytest
import torch

from mmrsfm.models.peft import box_tensor, pool_object_features


def _fmap(seed=0, channels=3, height=8, width=10):
    return torch.from_numpy(
        np.random.RandomState(seed).randn(2, channels, height, width).astype(np.float32))


def test_axis_aligned_box_is_the_mean_of_its_cells():
    fmap, stride = _fmap(), 4
    # Image 1, cells x 2..5 (4 wide), y 1..3 (3 high): pixels x 8..24, y 4..16.
    box = torch.tensor([[16., 10., 16., 12., 0.]])
    out = pool_object_features(fmap, [torch.zeros(0, 5), box], stride, output_size=(3, 4),
                               sampling_ratio=1)
    expected = fmap[1, :, 1:4, 2:6].mean(dim=(1, 2))
    torch.testing.assert_close(out, expected[None])


def test_horizontal_boxes_read_as_angle_zero():
    fmap = _fmap(1)
    hbox = torch.tensor([[8., 4., 24., 16.]])  # x1 y1 x2 y2
    rbox = torch.tensor([[16., 10., 16., 12., 0.]])
    torch.testing.assert_close(box_tensor(hbox), rbox)
    a = pool_object_features(fmap[:1], [hbox], 4, output_size=(3, 4), sampling_ratio=1)
    b = pool_object_features(fmap[:1], [rbox], 4, output_size=(3, 4), sampling_ratio=1)
    torch.testing.assert_close(a, b)
    torch.testing.assert_close(a[0], fmap[0, :, 1:4, 2:6].mean(dim=(1, 2)))


def test_a_quarter_turn_swaps_width_and_height():
    # A 16 x 8 px box turned by pi / 2 (radians) covers 8 px in x and 16 px in y: cells x 2..3,
    # y 1..4 at stride 4, whichever way the angle turns.
    fmap = _fmap(2)
    box = torch.tensor([[12., 12., 16., 8., math.pi / 2]])
    out = pool_object_features(fmap[:1], [box], 4, output_size=(2, 4), sampling_ratio=1)
    torch.testing.assert_close(out[0], fmap[0, :, 1:5, 2:4].mean(dim=(1, 2)), atol=1e-5,
                               rtol=1e-5)


@pytest.mark.parametrize('angle', [0.0, 0.4, -1.1, 2.5])
def test_linear_map_gives_its_value_at_the_box_centre(angle):
    # Bilinear sampling is exact on a linear map and the sample grid is symmetric about the
    # centre, so any rotated box inside the map pools to the map's value at its centre.
    height, width, stride = 12, 16, 8
    ys, xs = torch.meshgrid(torch.arange(height, dtype=torch.float32),
                            torch.arange(width, dtype=torch.float32), indexing='ij')
    fmap = torch.stack([2 * xs - 3 * ys + 1, 0.5 * xs + ys])[None]
    cx, cy = 61.0, 47.0
    box = torch.tensor([[cx, cy, 40., 24., angle]])
    out = pool_object_features(fmap, [box], stride)
    x, y = cx / stride - 0.5, cy / stride - 0.5
    expected = torch.tensor([[2 * x - 3 * y + 1, 0.5 * x + y]])
    torch.testing.assert_close(out, expected, atol=1e-4, rtol=1e-5)


def test_boxes_of_several_images_keep_their_order_and_pass_gradients():
    fmap = _fmap(3).requires_grad_()
    boxes = [torch.tensor([[16., 10., 16., 12., 0.], [8., 8., 8., 8., 0.]]),
             torch.tensor([[20., 14., 8., 12., 0.]])]
    out = pool_object_features(fmap, boxes, 4, output_size=(2, 2), sampling_ratio=1)
    assert out.shape == (3, 3)
    singles = [pool_object_features(fmap[i:i + 1], [b[j:j + 1]], 4, output_size=(2, 2),
                                    sampling_ratio=1)
               for i, b in enumerate(boxes) for j in range(len(b))]
    torch.testing.assert_close(out, torch.cat(singles))
    out.sum().backward()
    assert fmap.grad[0].abs().sum() > 0 and fmap.grad[1].abs().sum() > 0


def test_no_boxes_and_errors():
    fmap = _fmap(4)
    assert pool_object_features(fmap, [torch.zeros(0, 5)] * 2, 4).shape == (0, 3)
    with pytest.raises(ValueError, match='2 feature maps'):
        pool_object_features(fmap, [torch.zeros(0, 5)], 4)
    with pytest.raises(ValueError, match=r'\(n, 4\) horizontal or \(n, 5\) rotated'):
        box_tensor(torch.zeros(2, 6))
