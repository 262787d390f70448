"""Optional dependencies, grouped into the pip extras of ``setup.py``.

The core install (``pip install -e .``) is what training needs: the OpenMMLab stack and a few
small packages. The offline data tools need more, installed by name::

    pip install -e ".[curation]"    # OpticalRS-13M curation: imagehash, faiss, tifffile
    pip install -e ".[samrs]"       # SAMRS label generation: segment-anything
    pip install -e ".[deblora]"     # debLoRA feature clustering: scikit-learn
    pip install -e ".[conversion]"  # SpaceNet footprint rasterisation: scikit-image
    pip install -e ".[all]"         # everything above, plus the test requirements

``tools/setup_env.sh`` installs every extra. A feature whose extra is missing raises
:class:`MissingExtraError` naming the extra to install, before it does any work.
"""
from __future__ import annotations

import importlib
from types import ModuleType
from typing import Dict, List

#: ``{extra: {import name: pip requirement name}}``; ``requirements/<extra>.txt`` lists the same
#: pip names (a test keeps the two in step).
EXTRAS: Dict[str, Dict[str, str]] = {
    'curation': {
        'imagehash': 'imagehash',
        'faiss': 'faiss-cpu',
        'tifffile': 'tifffile',
    },
    'samrs': {
        'segment_anything': 'segment-anything'
    },
    'deblora': {
        'sklearn': 'scikit-learn'
    },
    'conversion': {
        'skimage': 'scikit-image'
    },
}


class MissingExtraError(ImportError):
    """An optional dependency of a feature is not installed.

    The message names the missing packages and the ``pip install`` command of their extra.

    Args:
        extra (str): Name of the extra (a key of :data:`EXTRAS`).
        missing (list[str]): Pip names of the missing packages.
        feature (str): What needs them, for the message. Defaults to ``''`` (the extra's name).
    """

    def __init__(self, extra: str, missing: List[str], feature: str = '') -> None:
        self.extra, self.missing = extra, list(missing)
        what = feature or f'the {extra!r} feature'
        super().__init__(f'{what} needs {", ".join(missing)}, which '
                         f'{"is" if len(missing) == 1 else "are"} not installed; install them '
                         f'with: pip install "mmrsfm[{extra}]"')


def _check_extra_name(extra: str) -> Dict[str, str]:
    if extra not in EXTRAS:
        raise KeyError(f'unknown extra {extra!r}; mmrsfm has {sorted(EXTRAS)}')
    return EXTRAS[extra]


def require_extra(extra: str, feature: str = '') -> None:
    """Import every package of ``extra`` and raise one error listing the missing ones.

    Args:
        extra (str): Name of the extra, e.g. ``'curation'``.
        feature (str): What needs it, for the message. Defaults to ``''``.

    Raises:
        MissingExtraError: One or more of the extra's packages cannot be imported.

    Examples:
        >>> require_extra('deblora', 'debLoRA clustering')  # returns None when installed
    """
    missing = []
    for module, requirement in _check_extra_name(extra).items():
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(requirement)
    if missing:
        raise MissingExtraError(extra, missing, feature)


def import_from_extra(module: str, extra: str, feature: str = '') -> ModuleType:
    """Import ``module`` (or a sub-module of one of the extra's packages).

    Args:
        module (str): Dotted module name, e.g. ``'sklearn.cluster'``.
        extra (str): The extra that provides it.
        feature (str): What needs it, for the message. Defaults to ``''``.

    Returns:
        ModuleType: The imported module.

    Raises:
        MissingExtraError: The module cannot be imported.

    Examples:
        >>> cluster = import_from_extra('sklearn.cluster', 'deblora')
        >>> cluster.MiniBatchKMeans.__name__
        'MiniBatchKMeans'
    """
    packages = _check_extra_name(extra)
    try:
        return importlib.import_module(module)
    except ImportError as err:
        top = module.split('.')[0]
        raise MissingExtraError(extra, [packages.get(top, top)], feature) from err
