"""The module configs import to register every mmrsfm component in the toolboxes' registries.

Importing this module imports the runtime sub-packages - :mod:`mmrsfm.models`,
:mod:`mmrsfm.datasets`, :mod:`mmrsfm.evaluation`, :mod:`mmrsfm.engine` and
:mod:`mmrsfm.visualization` - which register their classes in the registries of mmpretrain, mmseg,
mmdet and mmrotate (:mod:`mmrsfm.registry`). It is the one ``custom_imports`` form of every
config that uses an mmrsfm component::

    custom_imports = dict(imports=['mmrsfm.runtime'], allow_failed_imports=False)

``import mmrsfm`` alone only applies the upstream fixes of :mod:`mmrsfm.compat`: the offline data
tools (:mod:`mmrsfm.datatools`, imported through the package) start without the model zoo of
four toolboxes, which would double the time ``import mmrsfm`` takes.
"""
from . import datasets, engine, evaluation, models, visualization

__all__ = ['datasets', 'engine', 'evaluation', 'models', 'visualization']
