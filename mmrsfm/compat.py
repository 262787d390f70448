"""Every workaround mmrsfm applies to upstream packages on current Python / torch / numpy.

Each fix is a small function, applied once by :func:`apply_all` when ``mmrsfm`` is imported
(before any OpenMMLab module is imported by our tools), and each has a test in
``tests/test_compat.py`` that fails without it. Nothing here turns a safety check off globally.

Fixes:

* :func:`allow_mmengine_checkpoint_types` - torch >= 2.6 loads with ``weights_only=True`` by
  default; mmengine checkpoints hold numpy arrays/scalars and ``ConfigDict`` values (``meta``)
  and ``HistoryBuffer`` objects (``message_hub``), so ``load_checkpoint`` and ``--resume``
  fail. Exactly those types are allow-listed with :func:`torch.serialization.add_safe_globals`.
* :func:`explain_unsafe_checkpoints` - a checkpoint holding any other object still fails, now with
  a message naming the file and the explicit opt-in (:func:`trust_checkpoints`, or
  ``--unsafe-load-checkpoint`` in ``tools/train.py`` / ``tools/test.py``).
* :func:`support_cpu_distributed` - mmengine's PyTorch launcher calls ``torch.cuda.set_device``
  unconditionally and the runner wraps models with ``device_ids=[LOCAL_RANK]``; on a machine
  without CUDA both fail. The process group is then started with gloo, without ``set_device``,
  and CPU modules are wrapped with ``device_ids=None``; their SyncBN layers (the ViT detector
  and segmentation configs) become BatchNorm, since DDP refuses SyncBN on CPU modules.
* :func:`name_dota_label_errors` - mmrotate's ``DOTADataset`` (and ``DOTAv15Dataset``,
  ``DOTAv2Dataset``) parses label files without naming them: an unknown class ends in
  ``KeyError: 'Ship'``, a short line in ``IndexError``, a UTF-8 byte order mark in
  ``ValueError``. Its ``load_data_list`` now reads them with mmrsfm's DOTA reader
  (:func:`mmrsfm.datasets.formats.read_dota_txt`), whose errors name the file and line; the
  data list of valid files is unchanged. Applied when mmrotate's module is imported, so
  ``import mmrsfm`` does not import mmrotate.
* :func:`name_unreadable_images` - mmcv's ``LoadImageFromFile`` (used by every mmdet, mmseg,
  mmrotate and mmpretrain pipeline) re-raises the decoder's error without the file: an empty
  image ends in ``cv2.error: ... !buf.empty() in function 'imdecode_'``. It now raises
  :class:`~mmrsfm.utils.image_io.UnreadableImageError` naming the file and the reason; with
  ``ignore_empty=True`` (the dataset then serves another image) it warns with the file instead
  of skipping silently.
"""
from __future__ import annotations

import contextlib
import functools
import glob
import importlib.abc
import os
import os.path as osp
import pickle
import sys
import warnings
from types import ModuleType
from typing import Any, Callable, Iterator, List, Optional

import numpy as np
import torch

_APPLIED: List[str] = []
_TRUST_ENV = 'MMRSFM_TRUST_CHECKPOINTS'


# --------------------------------------------------------------------------- checkpoints
def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """Stand-in for ``builtins.getattr`` while unpickling: only HistoryBuffer's statistics.

    A pickled ``HistoryBuffer`` refers to its statistics methods as ``getattr(HistoryBuffer,
    'mean')``; allowing the real ``getattr`` would hand any attribute of any allowed object to
    the file, so only these lookups are served.
    """
    from mmengine.logging import HistoryBuffer

    # The built-in statistics are registered lazily (first HistoryBuffer()); custom ones via
    # HistoryBuffer.register_statistics.
    builtin = ('min', 'max', 'current', 'mean')
    if obj is HistoryBuffer and (name in builtin or name in HistoryBuffer._statistics_methods):
        return getattr(obj, name)
    raise pickle.UnpicklingError(f'checkpoint asks for getattr({obj!r}, {name!r}), which is not '
                                 'part of an mmengine checkpoint')


def mmengine_checkpoint_safe_globals() -> List[Any]:
    """The exact non-tensor types an mmengine checkpoint pickles.

    ``meta`` holds numpy scalars and arrays (e.g. ``dataset_meta`` palettes, seeds, metric
    values) and ``ConfigDict`` values (``dataset_meta`` entries written in a config, e.g. class
    groups); ``message_hub`` holds :class:`mmengine.logging.HistoryBuffer` objects, which wrap
    numpy arrays and name their statistics methods through ``getattr``. numpy pickles arrays
    through ``_reconstruct``, dtypes and scalar factories, whose module path moved from
    ``numpy.core`` to ``numpy._core`` in numpy 2.

    Returns:
        list: Types and functions, some as ``(object, 'module.name')`` pairs naming them as
        pickles do, in the form :func:`torch.serialization.add_safe_globals` takes.
    """
    from mmengine.config import ConfigDict
    from mmengine.logging import HistoryBuffer

    safe: List[Any] = [np.ndarray, np.dtype, HistoryBuffer, ConfigDict,
                       (_history_buffer_getattr, 'builtins.getattr')]
    for module_name in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', DeprecationWarning)
            try:
                module = __import__(module_name, fromlist=['_reconstruct'])
            except ImportError:
                continue
        for name in ('_reconstruct', 'scalar'):
            obj = getattr(module, name, None)
            if obj is not None:
                # Register under the name pickles use, which may differ from __module__.
                safe.append((obj, f'{module_name}.{name}'))
    # Concrete dtype classes (numpy >= 1.25 pickles np.dtype('float64') as dtypes.Float64DType).
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        safe.extend(
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType') and isinstance(getattr(dtypes, name), type))
    # Scalar types themselves (np.float64(1.0) pickles as scalar(dtype, bytes)).
    safe.extend([np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
                 np.uint64, np.float16, np.float32, np.float64, np.complex64, np.complex128])
    return safe


def allow_mmengine_checkpoint_types() -> None:
    """Allow-list the types of :func:`mmengine_checkpoint_safe_globals` for weights-only loads."""
    torch.serialization.add_safe_globals(mmengine_checkpoint_safe_globals())


def checkpoints_trusted() -> bool:
    """Whether the user opted in to full (unsafe) unpickling of checkpoint files.

    Returns:
        bool: True when the environment variable ``MMRSFM_TRUST_CHECKPOINTS`` is ``'1'`` (set
        by :func:`trust_checkpoints` or the user).
    """
    return os.environ.get(_TRUST_ENV, '0') == '1'


@contextlib.contextmanager
def trust_checkpoints(enabled: bool = True) -> Iterator[None]:
    """Within the context, mmengine loads local checkpoints with ``weights_only=False``.

    Only for files you trust: unpickling can run arbitrary code. Legacy checkpoints that hold
    objects beyond tensors, numpy values and mmengine's ``HistoryBuffer`` need this.

    Args:
        enabled (bool): Trust checkpoints within the context; ``False`` forces weights-only
            loading even where the environment trusts them. Defaults to True.

    Yields:
        None: The previous setting is restored when the context exits.
    """
    previous = os.environ.get(_TRUST_ENV)
    os.environ[_TRUST_ENV] = '1' if enabled else '0'
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(_TRUST_ENV, None)
        else:
            os.environ[_TRUST_ENV] = previous


def load_from_local(filename: str, map_location: Any = None) -> Any:
    """mmengine's local-file loader with weights-only loading and an actionable error.

    (Named like mmengine's loader, whose name its log line prints.)

    Args:
        filename (str): The checkpoint file; ``~`` is expanded.
        map_location (Any): Passed to :func:`torch.load` (a device, a string like ``'cpu'``, a
            dict or a function). Defaults to None (where the tensors were saved).

    Returns:
        Any: The loaded checkpoint, usually a dict with ``state_dict`` and ``meta``.

    Raises:
        FileNotFoundError: If ``filename`` is not a file.
        pickle.UnpicklingError: If the checkpoint holds objects weights-only loading refuses
            and checkpoints are not trusted; the message names the file and the ways to trust
            it.
    """
    filename = os.path.expanduser(filename)
    if not os.path.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    if checkpoints_trusted():
        return torch.load(filename, map_location=map_location, weights_only=False)
    try:
        return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise pickle.UnpicklingError(
            f'{filename}: the checkpoint holds objects that weights-only loading does not allow '
            f'({err}). If you trust this file, load it with --unsafe-load-checkpoint '
            f'(tools/train.py, tools/test.py), mmrsfm.compat.trust_checkpoints(), or '
            f'{_TRUST_ENV}=1.') from err


def explain_unsafe_checkpoints() -> None:
    """Route mmengine's local (``prefix=''``) checkpoint loader through our safe loader."""
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local, force=True)


# --------------------------------------------------------------------------- distributed
def _cpu_aware_init_dist_pytorch(original: Callable) -> Callable:

    @functools.wraps(original)
    def init_dist_pytorch(backend: str, init_backend: str = 'torch', **kwargs: Any) -> None:
        if torch.cuda.is_available():
            return original(backend, init_backend=init_backend, **kwargs)
        if backend != 'gloo':
            warnings.warn(f'CUDA is not available: starting the process group with the gloo '
                          f'backend instead of {backend!r}.')
        torch.distributed.init_process_group(backend='gloo', **kwargs)

    return init_dist_pytorch


def _revert_sync_batchnorm_on_cpu(module: torch.nn.Module) -> None:
    """Replace the SyncBN layers of a CPU module (in place) by BatchNorm: DDP refuses them
    ("SyncBatchNorm layers only work with GPU modules") and their forward needs a GPU."""
    from mmengine.model import revert_sync_batchnorm
    if any(isinstance(m, torch.nn.SyncBatchNorm) or type(m).__name__ == 'SyncBatchNorm'
           for m in module.modules()):
        warnings.warn('SyncBatchNorm cannot run on CPU: its layers become BatchNorm with '
                      'per-process batch statistics in this CPU (gloo) distributed run.')
        revert_sync_batchnorm(module)


def _cpu_aware_ddp_init(original: Callable) -> Callable:

    @functools.wraps(original)
    def ddp_init(self: torch.nn.Module, module: torch.nn.Module, *args: Any,
                 **kwargs: Any) -> None:
        devices = {p.device.type for p in module.parameters()}
        if devices == {'cpu'}:
            # DDP rejects device_ids for CPU modules; mmengine always passes [LOCAL_RANK].
            kwargs['device_ids'] = None
            kwargs.pop('output_device', None)
            _revert_sync_batchnorm_on_cpu(module)
        original(self, module, *args, **kwargs)

    return ddp_init


def support_cpu_distributed() -> None:
    """Make mmengine's ``pytorch`` launcher and DDP wrapper work on CPU-only machines (gloo)."""
    from mmengine.dist import utils as dist_utils
    from mmengine.model.wrappers import MMDistributedDataParallel

    dist_utils._init_dist_pytorch = _cpu_aware_init_dist_pytorch(dist_utils._init_dist_pytorch)
    MMDistributedDataParallel.__init__ = _cpu_aware_ddp_init(MMDistributedDataParallel.__init__)


# --------------------------------------------------------------------------- post-import hooks
class _PatchingLoader(importlib.abc.Loader):
    """Runs the wrapped loader, then ``patch(module)``; everything else is delegated."""

    def __init__(self, loader: Any, patch: Callable[[ModuleType], None]) -> None:
        self._loader, self._patch = loader, patch

    def create_module(self, spec: Any) -> Optional[ModuleType]:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        self._patch(module)

    def __getattr__(self, name: str) -> Any:  # get_source, get_resource_reader, ...
        return getattr(self._loader, name)


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Finds module ``name`` with the other finders and patches it once it has executed."""

    def __init__(self, name: str, patch: Callable[[ModuleType], None]) -> None:
        self.name, self.patch = name, patch

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, 'find_spec'):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, 'exec_module'):
                    spec.loader = _PatchingLoader(spec.loader, self.patch)
                return spec
        return None


def patch_on_import(name: str, patch: Callable[[ModuleType], None]) -> None:
    """Call ``patch(module)`` when module ``name`` is imported (now, if it already is).

    For fixes to optional, heavy upstream modules: ``import mmrsfm`` stays cheap and works
    without them. ``patch`` must be idempotent.

    Args:
        name (str): The full module name, e.g. ``'mmrotate.datasets.dota'``.
        patch (Callable[[ModuleType], None]): Changes the module in place; called once when
            the module is first imported (or now, if it is already imported).
    """
    module = sys.modules.get(name)
    if module is not None:
        patch(module)
    elif not any(isinstance(f, _PatchOnImport) and f.name == name for f in sys.meta_path):
        sys.meta_path.insert(0, _PatchOnImport(name, patch))


# --------------------------------------------------------------------------- mmrotate DOTA
def _dota_load_data_list(original: Callable) -> Callable:

    @functools.wraps(original)
    def load_data_list(self: Any) -> List[dict]:
        if self.ann_file == '':  # test images without labels: nothing to parse
            return original(self)
        from mmrsfm.datasets.formats.dota import read_dota_txt
        classes = list(self.metainfo['classes'])
        label_of = {c: i for i, c in enumerate(classes)}
        txt_files = glob.glob(osp.join(self.ann_file, '*.txt'))  # order as upstream
        if not txt_files:
            raise ValueError(f'There is no txt file in {self.ann_file}')
        data_list = []
        for txt_file in txt_files:
            img_id = osp.split(txt_file)[1][:-4]
            img_name = img_id + f'.{self.img_suffix}'
            instances = [
                dict(bbox=obj.poly.ravel().tolist(), bbox_label=label_of[obj.name],
                     ignore_flag=int(obj.difficult > self.diff_thr))
                for obj in read_dota_txt(txt_file, classes).objects
            ]
            data_list.append(dict(img_id=img_id, file_name=img_name,
                                  img_path=osp.join(self.data_prefix['img_path'], img_name),
                                  instances=instances))
        return data_list

    load_data_list.__mmrsfm_fix__ = True  # type: ignore[attr-defined]
    return load_data_list


def _wrap_method_once(cls: type, name: str, wrapper: Callable[[Callable], Callable]) -> None:
    """Replace ``cls.name`` by ``wrapper(cls.name)`` unless a wrapper marked as ours is there."""
    if not getattr(getattr(cls, name), '__mmrsfm_fix__', False):
        setattr(cls, name, wrapper(getattr(cls, name)))


def _patch_dota_dataset(module: ModuleType) -> None:
    _wrap_method_once(module.DOTADataset, 'load_data_list', _dota_load_data_list)


def name_dota_label_errors() -> None:
    """Make mmrotate's DOTA datasets read labels with mmrsfm's reader (errors: file:line)."""
    patch_on_import('mmrotate.datasets.dota', _patch_dota_dataset)


# --------------------------------------------------------------------------- mmcv images
def _load_image_transform(original: Callable) -> Callable:

    @functools.wraps(original)
    def transform(self: Any, results: dict) -> Optional[dict]:
        from mmengine.logging import print_log

        from mmrsfm.utils.image_io import (UNREADABLE_IMAGE_ERRORS, UnreadableImageError,
                                           unreadable_reason)
        filename = results['img_path']
        try:
            loaded = original(self, results)
        except UNREADABLE_IMAGE_ERRORS as err:
            # Upstream asserts (outside its ignore_empty branch) when OpenCV returns None.
            reason = unreadable_reason(filename, ValueError('not a decodable image')
                                       if isinstance(err, AssertionError) else err)
            if not self.ignore_empty:
                raise UnreadableImageError(f'cannot read image {filename}: {reason}') from err
            loaded = None
        else:
            reason = unreadable_reason(filename, ValueError('not a decodable image'))
        if loaded is None:  # ignore_empty=True: the dataset serves another image
            print_log(f'skipping image {filename}: {reason}', logger='current', level=30)
        return loaded

    transform.__mmrsfm_fix__ = True  # type: ignore[attr-defined]
    return transform


def _patch_load_image(module: ModuleType) -> None:
    _wrap_method_once(module.LoadImageFromFile, 'transform', _load_image_transform)


def name_unreadable_images() -> None:
    """Make mmcv's ``LoadImageFromFile`` name the file it cannot read."""
    patch_on_import('mmcv.transforms.loading', _patch_load_image)


# --------------------------------------------------------------------------- entry point
FIXES = {
    'allow_mmengine_checkpoint_types': allow_mmengine_checkpoint_types,
    'explain_unsafe_checkpoints': explain_unsafe_checkpoints,
    'support_cpu_distributed': support_cpu_distributed,
    'name_dota_label_errors': name_dota_label_errors,
    'name_unreadable_images': name_unreadable_images,
}


def apply_all() -> List[str]:
    """Apply every fix once (idempotent); return the names of the fixes applied so far.

    Returns:
        list[str]: The keys of :data:`FIXES` applied so far, in the order they were applied.
    """
    for name, fix in FIXES.items():
        if name not in _APPLIED:
            fix()
            _APPLIED.append(name)
    return list(_APPLIED)
