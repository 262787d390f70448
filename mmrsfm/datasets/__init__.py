"""Datasets, registered into the registry of the toolbox that trains on them.

* :class:`DIORDataset` - DIOR horizontal boxes for mmdet (``default_scope='mmdet'``).
  DIOR-R oriented boxes use mmrotate's own ``DIORDataset`` (``default_scope='mmrotate'``).
* :class:`OpticalRS13M` - unlabelled pretraining images for mmpretrain.
"""
from .dior import DIOR_CLASSES, DIORDataset
from .opticalrs import OpticalRS13M

__all__ = ['DIORDataset', 'DIOR_CLASSES', 'OpticalRS13M']
