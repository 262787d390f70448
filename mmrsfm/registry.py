"""Where mmrsfm's modules register: the registries of the OpenMMLab toolboxes that use them.

mmrsfm has no registry of its own and never writes to mmengine's root registries. A module used
by one toolbox registers there directly (``from mmseg.registry import MODELS``); a module shared
by several toolboxes (:class:`~mmrsfm.models.ViTPyramid`, the layer-decay optimiser constructor)
registers in each of them through :func:`register_in_toolboxes`, so ``type='ViTPyramid'``
resolves under the ``default_scope`` of every config that uses it.

A toolbox whose registry descends from another listed toolbox's registry finds the module through
that parent (mmengine's ``Registry.get`` walks up the tree) and gets no entry of its own, so a
class is never registered twice along one branch. mmrotate 1.x's registries are children of
mmengine's root, like mmdet's (mmrotate configs reach mmdet's modules by the ``mmdet.`` prefix),
so all four toolboxes get an entry.
"""
from __future__ import annotations

import importlib
from typing import Callable, List, Optional, Sequence, TypeVar

from mmengine.registry import Registry

#: The toolboxes (registry scopes) mmrsfm's shared modules serve.
TOOLBOXES = ('mmdet', 'mmrotate', 'mmseg', 'mmpretrain')

T = TypeVar('T', bound=type)


def _is_ancestor(registry: Registry, other: Registry) -> bool:
    """Whether ``registry`` is a strict ancestor of ``other`` in mmengine's registry tree."""
    parent = other.parent
    while parent is not None:
        if parent is registry:
            return True
        parent = parent.parent
    return False


def toolbox_registries(registry_name: str, scopes: Sequence[str] = TOOLBOXES) -> List[Registry]:
    """The registries named ``registry_name`` of the toolboxes ``scopes`` a module must join.

    A registry that descends from another one in the list is left out: mmengine's
    :meth:`~mmengine.registry.Registry.get` falls back to the parent, so the module is found
    there.

    Args:
        registry_name (str): Attribute of ``<scope>.registry``, e.g. ``'MODELS'`` or
            ``'OPTIM_WRAPPER_CONSTRUCTORS'``.
        scopes (Sequence[str]): Toolbox packages (and registry scopes). Defaults to
            :data:`TOOLBOXES`.

    Returns:
        list[Registry]: One registry per scope, in the order of ``scopes``, less descendants.

    Raises:
        ValueError: ``<scope>.registry`` has no registry called ``registry_name``.

    Examples:
        >>> [r.scope for r in toolbox_registries('MODELS')]
        ['mmdet', 'mmrotate', 'mmseg', 'mmpretrain']
    """
    registries = []
    for scope in scopes:
        module = importlib.import_module(f'{scope}.registry')
        registry = getattr(module, registry_name, None)
        if not isinstance(registry, Registry):
            raise ValueError(f'{scope}.registry has no registry {registry_name!r}')
        registries.append(registry)
    return [r for r in registries if not any(_is_ancestor(o, r) for o in registries)]


def register_in_toolboxes(registry_name: str,
                          scopes: Sequence[str] = TOOLBOXES,
                          name: Optional[str] = None) -> Callable[[T], T]:
    """Class decorator: register the class in the ``registry_name`` registry of each toolbox.

    Args:
        registry_name (str): Registry attribute of ``<scope>.registry``, e.g. ``'MODELS'``.
        scopes (Sequence[str]): Toolboxes whose configs use the class. Defaults to
            :data:`TOOLBOXES`.
        name (str, optional): Registered name. Defaults to None (the class name).

    Returns:
        Callable[[type], type]: The decorator; it returns the class unchanged.

    Examples:
        >>> from mmengine.model import BaseModule
        >>> @register_in_toolboxes('MODELS', ('mmdet', 'mmseg'), name='DocBackbone')
        ... class DocBackbone(BaseModule):
        ...     pass
        >>> from mmseg.registry import MODELS
        >>> MODELS.get('DocBackbone') is DocBackbone
        True
    """

    def register(cls: T) -> T:
        for registry in toolbox_registries(registry_name, scopes):
            registry.register_module(name=name, module=cls)
        return cls

    return register
