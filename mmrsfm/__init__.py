"""mmrsfm: OpenMMLab 2.x toolbox extension for remote-sensing foundation models.

Importing ``mmrsfm`` applies the upstream compatibility fixes of :mod:`mmrsfm.compat` first, so
configs that load mmrsfm through ``custom_imports=dict(imports=['mmrsfm'])`` get them as well.
Modules register into the registries of the toolbox they extend (mmpretrain, mmseg, mmdet,
mmrotate); import the sub-package you need, e.g. ``mmrsfm.datasets``.
"""
from . import compat
from .version import __version__, version_info

compat.apply_all()

__all__ = ['__version__', 'version_info', 'compat']
