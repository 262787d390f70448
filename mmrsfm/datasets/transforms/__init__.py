"""Data transforms mmrsfm adds to mmseg's ``TRANSFORMS`` registry.

* :class:`RandomGamma` - random gamma correction of the image (SAMRS pretraining augmentation).
* :class:`CenterCropAsInput` - centre crop of image and label that becomes the evaluated image
  (SAMRS validation on 512 x 512 centre crops).
"""
from .center_crop import CenterCropAsInput
from .gamma import RandomGamma

__all__ = ['RandomGamma', 'CenterCropAsInput']
