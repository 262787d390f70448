"""mmrsfm: OpenMMLab 2.x toolbox extension for remote-sensing foundation models.

Importing ``mmrsfm`` applies the upstream compatibility fixes of :mod:`mmrsfm.compat` first, and
nothing else: the offline data tools (:mod:`mmrsfm.datatools`) import the package too and need
none of the models. Configs load every mmrsfm component, registered in the registries of the
toolbox it extends (mmpretrain, mmseg, mmdet, mmrotate; see :mod:`mmrsfm.registry`), with::

    custom_imports = dict(imports=['mmrsfm.runtime'], allow_failed_imports=False)

(:mod:`mmrsfm.runtime` imports ``models``, ``datasets``, ``evaluation``, ``engine`` and
``visualization``); Python code imports the sub-package it uses, e.g. ``mmrsfm.datasets``.
"""
from . import compat
from .version import __version__, version_info

compat.apply_all()

__all__ = ['__version__', 'version_info', 'compat']
