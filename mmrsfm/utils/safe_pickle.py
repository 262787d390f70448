"""Unpickling that runs no code from the file.

A pickle names every class or function it needs as ``module.name`` and the unpickler calls it,
so a crafted file can name ``os.system``. :func:`restricted_load` resolves only the globals of
an allow-list and refuses anything else with a :class:`pickle.UnpicklingError` that names the
file and the refused global. The allow-lists below cover what our inputs hold:

* :data:`BUILTIN_GLOBALS` - ``set``, ``frozenset``, ``complex``, ``slice``,
  ``collections.OrderedDict``, and ``_codecs.encode`` (protocol-2 pickles, e.g. mmengine's
  ``dump``, store every ``bytes`` value through it; only its latin-1 use is served).
* :data:`NUMPY_GLOBALS` - arrays, dtypes and scalars, under the module names of numpy 1
  (``numpy.core``) and numpy 2 (``numpy._core``).
* :data:`TORCH_TENSOR_GLOBALS` - tensors as :func:`pickle.dump` writes them. Their storage is
  itself a ``torch.save`` payload that torch would read with ``weights_only=False``; here it
  is read with torch's weights-only loader and mapped to the CPU.

Lists are plain ``{(module, name): replacement}`` dicts (``None``: import ``module.name``),
merged with ``|`` for a reader that needs several.
"""
from __future__ import annotations

import _compat_pickle
import importlib
import io
import pickle
from typing import IO, Any, Dict, Mapping, Optional, Tuple, Union

#: ``{(module, name): replacement or None}``; ``None`` imports ``module.name`` itself.
SafeGlobals = Mapping[Tuple[str, str], Optional[Any]]


def _latin1_encode(text: str, encoding: str = 'utf-8', errors: str = 'strict') -> bytes:
    """``_codecs.encode`` as protocol-2 pickles use it for ``bytes``: latin-1 only."""
    import codecs
    if not isinstance(text, str) or codecs.lookup(encoding).name != 'iso8859-1':
        raise pickle.UnpicklingError(f'_codecs.encode is only allowed for latin-1 byte strings, '
                                     f'got encoding {encoding!r}')
    return text.encode('latin-1', errors)


def _load_storage_weights_only(data: bytes) -> Any:
    """``torch.storage._load_from_bytes`` with torch's weights-only loader, mapped to CPU."""
    import torch
    return torch.load(io.BytesIO(data), map_location='cpu', weights_only=True)


BUILTIN_GLOBALS: Dict[Tuple[str, str], Optional[Any]] = {
    ('builtins', 'set'): None,
    ('builtins', 'frozenset'): None,
    ('builtins', 'complex'): None,
    ('builtins', 'slice'): None,
    ('collections', 'OrderedDict'): None,
    ('_codecs', 'encode'): _latin1_encode,
}


def _numpy_globals() -> Dict[Tuple[str, str], Optional[Any]]:
    safe: Dict[Tuple[str, str], Optional[Any]] = {('numpy', 'ndarray'): None,
                                                  ('numpy', 'dtype'): None}
    for core in ('numpy.core', 'numpy._core'):  # numpy 1, numpy 2
        safe[(f'{core}.multiarray', '_reconstruct')] = None
        safe[(f'{core}.multiarray', 'scalar')] = None
        safe[(f'{core}.numeric', '_frombuffer')] = None  # arrays under protocol 5
    import numpy as np
    dtypes = getattr(np, 'dtypes', None)  # numpy >= 1.25 pickles dtypes of some kinds by class
    if dtypes is not None:
        for name in dir(dtypes):
            if name.endswith('DType') and isinstance(getattr(dtypes, name), type):
                safe[('numpy.dtypes', name)] = None
    return safe


NUMPY_GLOBALS: Dict[Tuple[str, str], Optional[Any]] = _numpy_globals()

TORCH_TENSOR_GLOBALS: Dict[Tuple[str, str], Optional[Any]] = {
    ('torch._utils', '_rebuild_tensor_v2'): None,
    ('torch.storage', '_load_from_bytes'): _load_storage_weights_only,
    ('collections', 'OrderedDict'): None,  # a tensor's (empty) backward hooks
}


def _import_global(module: str, name: str) -> Any:
    if module.startswith(('numpy.core.', 'numpy._core.')):
        # Pickles of numpy 1 load under numpy 2 and back (numpy 2 warns on numpy.core).
        import numpy as np
        core = 'numpy._core' if int(np.__version__.split('.')[0]) >= 2 else 'numpy.core'
        module = core + module[module.index('.', len('numpy.') + 1):]
    return getattr(importlib.import_module(module), name)


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals of ``allowed``.

    Args:
        file (IO[bytes]): The open pickle.
        allowed (SafeGlobals): ``{(module, name): replacement or None}``.
        source (str): Name of the file in errors. Defaults to ``'<pickle>'``.
        hint (str): Appended to the refusal, e.g. how to load a trusted file. Defaults to ``''``.
    """

    def __init__(self, file: IO[bytes], allowed: SafeGlobals, source: str = '<pickle>',
                 hint: str = '') -> None:
        super().__init__(file)
        self.allowed, self.source, self.hint = allowed, source, hint

    def find_class(self, module: str, name: str) -> Any:
        """Resolve the global ``module.name`` of the pickle if ``allowed`` lists it.

        Args:
            module (str): The module the pickle names.
            name (str): The global's name in ``module``.

        Returns:
            Any: The replacement given in ``allowed``, or the imported global when it is
            ``None``.

        Raises:
            pickle.UnpicklingError: If ``(module, name)`` is not allowed; the message names
                the file (``source``) and the global.
        """
        # Protocol < 3 writes Python 2 names (``__builtin__.set``); map them as pickle does.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        if (module, name) not in self.allowed:
            raise pickle.UnpicklingError(
                f'{self.source}: refusing to load {module}.{name}: the file may only hold '
                f'builtin values and the allowed types, and unpickling anything else can run '
                f'code' + (f' ({self.hint})' if self.hint else ''))
        replacement = self.allowed[(module, name)]
        return _import_global(module, name) if replacement is None else replacement


def restricted_load(file: Union[str, IO[bytes]], allowed: SafeGlobals, hint: str = '') -> Any:
    """Unpickle ``file`` resolving only the globals of ``allowed``.

    Args:
        file (str | IO[bytes]): Path or open binary file.
        allowed (SafeGlobals): The allow-list, e.g. ``BUILTIN_GLOBALS | NUMPY_GLOBALS``.
        hint (str): Appended to a refusal, e.g. the option that loads a trusted file fully.
            Defaults to ``''``.

    Returns:
        The unpickled object.

    Raises:
        pickle.UnpicklingError: naming the file and the first global outside ``allowed``.

    Examples:
        >>> import io, pickle
        >>> data = pickle.dumps({'scores': {0.5, 1.0}}, protocol=2)
        >>> restricted_load(io.BytesIO(data), BUILTIN_GLOBALS)
        {'scores': {0.5, 1.0}}
    """
    if isinstance(file, str):
        with open(file, 'rb') as f:
            return restricted_load(f, allowed, hint)
    source = getattr(file, 'name', '<pickle>')
    try:
        return RestrictedUnpickler(file, allowed, source, hint).load()
    except pickle.UnpicklingError as err:  # e.g. from an allowed stand-in: add the file
        if str(err).startswith(f'{source}: '):
            raise
        raise pickle.UnpicklingError(f'{source}: {err}') from err
