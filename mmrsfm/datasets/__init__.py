"""Datasets, registered into the registry of the toolbox that trains on them.

* :class:`DIORDataset` - DIOR horizontal boxes for mmdet (``default_scope='mmdet'``).
  DIOR-R oriented boxes use mmrotate's own ``DIORDataset`` (``default_scope='mmrotate'``).
* :class:`OpticalRS13M` - unlabelled pretraining images for mmpretrain.
* :class:`SpaceNetV1Dataset` - SpaceNet v1 building masks for mmseg.
* :mod:`.transforms` - data transforms registered in mmseg (``RandomGamma``, ``CenterCropAsInput``).
"""
from .dior import DIOR_CLASSES, DIORDataset
from .opticalrs import OpticalRS13M
from .samplers import ProportionalBatchSampler
from .samrs import FASTDataset, SAMRSDataset, SIORDataset, SOTADataset
from .spacenet import SPACENET_V1_CLASSES, SpaceNetV1Dataset
from .transforms import CenterCropAsInput, RandomGamma

__all__ = ['DIORDataset', 'DIOR_CLASSES', 'OpticalRS13M']
__all__ += ['SpaceNetV1Dataset', 'SPACENET_V1_CLASSES']
__all__ += ['SAMRSDataset', 'SOTADataset', 'SIORDataset', 'FASTDataset', 'ProportionalBatchSampler']
__all__ += ['RandomGamma', 'CenterCropAsInput']
