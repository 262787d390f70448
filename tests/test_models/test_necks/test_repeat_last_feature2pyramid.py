"""RepeatLastFeature2Pyramid: mmseg's Feature2Pyramid for fewer block outputs than levels.

Module under test: ``mmrsfm/models/necks/repeat_last_feature2pyramid.py``."""
import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS as MMDET_MODELS
from mmrotate.registry import MODELS as MMROTATE_MODELS
from mmseg.models.necks import Feature2Pyramid

from mmrsfm.models.necks import RepeatLastFeature2Pyramid


def _neck():
    torch.manual_seed(0)
    return RepeatLastFeature2Pyramid(8, rescales=[2, 1, 0.5, 0.25], norm_cfg=dict(type='BN'))


def test_missing_levels_rescale_the_last_map():
    """With 2 maps the coarse levels are max-pools of the second one (by hand)."""
    neck = _neck().eval()
    first, last = torch.rand(2, 8, 8, 8), torch.rand(2, 8, 8, 8)
    up, same, half, quarter = neck((first, last))
    assert up.shape == (2, 8, 16, 16)
    torch.testing.assert_close(same, last, rtol=0, atol=0)
    torch.testing.assert_close(half, last.reshape(2, 8, 4, 2, 4, 2).amax(dim=(3, 5)))
    torch.testing.assert_close(quarter, F.max_pool2d(last, 4))
    # The stride-4 level comes from the first map alone.
    up_again = neck((first, torch.rand(2, 8, 8, 8)))[0]
    torch.testing.assert_close(up_again, up)


def test_one_map_per_level_is_mmseg_neck():
    """With 4 maps the output is mmseg's Feature2Pyramid's, same weights."""
    neck = _neck().eval()
    reference = Feature2Pyramid(8, rescales=[2, 1, 0.5, 0.25], norm_cfg=dict(type='BN')).eval()
    reference.load_state_dict(neck.state_dict())
    maps = [torch.rand(1, 8, 8, 8) for _ in range(4)]
    for ours, theirs in zip(neck(maps), reference(maps)):
        torch.testing.assert_close(ours, theirs, rtol=0, atol=0)


def test_too_many_or_no_maps_are_refused():
    """More maps than rescales, or none, is a clear error."""
    neck = _neck()
    with pytest.raises(ValueError, match='expected 1 to 4 maps'):
        neck([torch.rand(1, 8, 8, 8)] * 5)
    with pytest.raises(ValueError, match='got 0'):
        neck([])


def test_registered_in_detection_toolboxes():
    """Configs of mmdet and mmrotate resolve the name."""
    assert MMDET_MODELS.get('RepeatLastFeature2Pyramid') is RepeatLastFeature2Pyramid
    assert MMROTATE_MODELS.get('RepeatLastFeature2Pyramid') is RepeatLastFeature2Pyramid
