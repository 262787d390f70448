"""extract_object_features (mmrsfm.apis.features) refuses pipelines whose boxes would not match
the image, and drops the random steps of the training pipeline."""
import pytest

from mmrsfm.apis import load_config
from mmrsfm.apis.features import extract_object_features
from tests.conftest import REPO_ROOT

TINY_LORA = (f'{REPO_ROOT}/configs/deblora/'
             'rotated-fcos-le90_vit-tiny-p8-64px-lora_fpn_1xb2-2e_dota.py')


def test_boxes_loaded_after_the_resize_are_refused():
    cfg = load_config(TINY_LORA)
    # mmrotate's val pipeline resizes the image, then loads the boxes unscaled.
    with pytest.raises(ValueError, match='before any Resize'):
        extract_object_features(None, cfg, 'val')
    with pytest.raises(KeyError, match='no predict_dataloader'):
        extract_object_features(None, cfg, 'predict')
