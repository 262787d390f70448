"""SAMRS (Wang et al., NeurIPS 2023 Datasets and Benchmarks) semantic segmentation for mmseg.

Data card: 105,090 optical images whose pixel labels SAM produced from the boxes of three
detection datasets, one subset each:

=========  =====================================  ========  =========  =======
subset     source                                 images    size (px)  classes
=========  =====================================  ========  =========  =======
SOTA       DOTA-v2.0 trainval, cut to 1024 x 1024  17,480    1024       18
SIOR       DIOR                                   23,463    800        20
FAST       FAIR1M-2.0 train + val                 64,147    600/1024   37
=========  =====================================  ========  =========  =======

Labels are single-channel uint8 PNGs (``gray/``): the value is the class index in the order of
:mod:`mmrsfm.datasets.samrs_metainfo`, 255 where no box was prompted (no background class; 255
is ignored in training and evaluation). The authors did not release their 95/5 train/val split;
``tools/dataset_converters/samrs_split.py`` writes a seeded one. On-disk layout per subset::

    data/SAMRS/SOTA/
      images/P0000_0.png ...      # SIOR: .jpg
      gray/P0000_0.png ...        # class index per pixel, 255 = not covered
      train.txt  val.txt          # image names without suffix, one per line

Every sample carries ``source`` (``'sota'``, ``'sior'`` or ``'fast'``) so that a multi-head model
(:class:`mmrsfm.models.MultiHeadEncoderDecoder`) sends it to the classifier of its subset; keep
``'source'`` in ``PackSegInputs(meta_keys=...)``.
"""
from __future__ import annotations

import os.path as osp
from typing import List, Optional

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS

from .samrs_metainfo import IGNORE_INDEX, samrs_metainfo

#: ``PackSegInputs`` meta keys for SAMRS: mmseg's defaults plus the sample's source subset.
SAMRS_META_KEYS = ('img_path', 'seg_map_path', 'ori_shape', 'img_shape', 'pad_shape',
                   'scale_factor', 'flip', 'flip_direction', 'reduce_zero_label', 'source')


class SAMRSDataset(BaseSegDataset):
    """Image + ``gray/`` label pairs of one SAMRS subset, listed in a split file.

    Use a subclass (:class:`SOTADataset`, :class:`SIORDataset`, :class:`FASTDataset`); they fix
    the class order, palette and image suffix of their subset.

    Args:
        ann_file (str): Split file (relative to ``data_root``): one image name without suffix
            per line; empty lines and lines starting with ``#`` are skipped. Required, despite
            the default. Defaults to ``''``.
        data_prefix (dict, optional): Image and label folders under ``data_root``.
            Defaults to None (``dict(img_path='images', seg_map_path='gray')``).
        check_files (bool): Check at start-up that every listed image and label exists (one
            ``stat`` per file). Defaults to True.
        source (str, optional): Name written to every sample's ``source``. Defaults to None
            (the subset name, e.g. ``'sota'``).
        **kwargs: ``data_root``, ``pipeline``, ``img_suffix``... as for mmseg's
            ``BaseSegDataset``. ``reduce_zero_label`` must stay False: 0 is a real class.
            ``ignore_index`` defaults to 255, ``img_suffix`` to the subset's and
            ``seg_map_suffix`` to ``'.png'``.

    Raises:
        ValueError: ``ann_file`` is empty or ``reduce_zero_label`` is True.
        FileNotFoundError: the split file, or an image or label it lists, does not exist (the
            message names the split file, the line and the missing file).
    """

    SUBSET = ''
    DEFAULT_IMG_SUFFIX = '.png'

    def __init__(self,
                 ann_file: str = '',
                 data_prefix: Optional[dict] = None,
                 check_files: bool = True,
                 source: Optional[str] = None,
                 **kwargs) -> None:
        if kwargs.get('reduce_zero_label'):
            raise ValueError(f'{type(self).__name__}: reduce_zero_label must be False; label 0 '
                             f'is the class {self.METAINFO["classes"][0]!r}, 255 is "no label"')
        if not ann_file:
            raise ValueError(f'{type(self).__name__}: ann_file (a split file of image names) is '
                             'required; tools/dataset_converters/samrs_split.py writes one')
        kwargs['reduce_zero_label'] = False
        kwargs.setdefault('ignore_index', IGNORE_INDEX)
        kwargs.setdefault('img_suffix', self.DEFAULT_IMG_SUFFIX)
        kwargs.setdefault('seg_map_suffix', '.png')
        self.check_files = check_files
        self.source = source or self.SUBSET
        super().__init__(
            ann_file=ann_file,
            data_prefix=data_prefix or dict(img_path='images', seg_map_path='gray'),
            **kwargs)

    def load_data_list(self) -> List[dict]:
        """One ``dict(img_path, seg_map_path, source, ...)`` per line of the split file.

        Returns:
            list[dict]: Per listed image its ``img_path``, ``seg_map_path``, ``label_map``,
            ``reduce_zero_label`` (False), ``seg_fields`` and ``source``.

        Raises:
            FileNotFoundError: The split file is missing, or (with ``check_files``) an image
                or label it lists; the message names up to 10 of them with their lines.
        """
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'{self.ann_file}: split file of {type(self).__name__} not '
                                    'found (write one with '
                                    'tools/dataset_converters/samrs_split.py)')
        img_dir = self.data_prefix.get('img_path', '')
        ann_dir = self.data_prefix.get('seg_map_path', '')
        data_list, missing = [], []
        with open(self.ann_file) as f:
            for line_no, line in enumerate(f, 1):
                name = line.strip()
                if not name or name.startswith('#'):
                    continue
                img_path = osp.join(img_dir, name + self.img_suffix)
                seg_map_path = osp.join(ann_dir, name + self.seg_map_suffix)
                if self.check_files:
                    missing += [f'{self.ann_file}:{line_no}: entry {name!r}: {kind} {path} '
                                'does not exist'
                                for kind, path in (('image', img_path), ('label', seg_map_path))
                                if not osp.isfile(path)]
                data_list.append(dict(img_path=img_path, seg_map_path=seg_map_path,
                                      label_map=self.label_map, reduce_zero_label=False,
                                      seg_fields=[], source=self.source))
        if missing:
            shown = '\n  '.join(missing[:10])
            more = f'\n  ... and {len(missing) - 10} more' if len(missing) > 10 else ''
            raise FileNotFoundError(f'{len(missing)} file(s) listed in {self.ann_file} are '
                                    f'missing:\n  {shown}{more}')
        return data_list


@DATASETS.register_module()
class SOTADataset(SAMRSDataset):
    """SAMRS-SOTA: DOTA-v2.0 trainval tiles (1024 px, PNG), 18 classes.

    Arguments as for :class:`SAMRSDataset`.

    Examples:
        >>> import os, tempfile
        >>> import numpy as np
        >>> from PIL import Image
        >>> from mmseg.registry import DATASETS
        >>> root = tempfile.mkdtemp()
        >>> for folder in ('images', 'gray'):
        ...     os.makedirs(os.path.join(root, folder))
        ...     Image.fromarray(np.zeros((32, 32), np.uint8)).save(
        ...         os.path.join(root, folder, 'P0000_0.png'))
        >>> with open(os.path.join(root, 'train.txt'), 'w') as f:
        ...     _ = f.write('P0000_0\\n')
        >>> dataset = DATASETS.build(dict(type='SOTADataset', data_root=root,
        ...                               ann_file='train.txt'))
        >>> len(dataset), dataset[0]['source'], dataset.metainfo['classes'][0]
        (1, 'sota', 'large-vehicle')
    """

    SUBSET = 'sota'
    METAINFO = samrs_metainfo('sota')


@DATASETS.register_module()
class SIORDataset(SAMRSDataset):
    """SAMRS-SIOR: DIOR images (800 px, JPEG), 20 classes. See :class:`SAMRSDataset`.

    Arguments as for :class:`SAMRSDataset`; images are ``.jpg`` files.

    Examples:
        >>> from mmseg.registry import DATASETS
        >>> dataset = DATASETS.build(dict(type='SIORDataset', data_root='data/SAMRS/SIOR',
        ...                               ann_file='train.txt', lazy_init=True))
        >>> len(dataset.metainfo['classes']), dataset.img_suffix
        (20, '.jpg')
    """

    SUBSET = 'sior'
    DEFAULT_IMG_SUFFIX = '.jpg'
    METAINFO = samrs_metainfo('sior')


@DATASETS.register_module()
class FASTDataset(SAMRSDataset):
    """SAMRS-FAST: FAIR1M-2.0 train + val tiles (PNG), 37 classes. See :class:`SAMRSDataset`.

    Arguments as for :class:`SAMRSDataset`.

    Examples:
        >>> from mmseg.registry import DATASETS
        >>> dataset = DATASETS.build(dict(type='FASTDataset', data_root='data/SAMRS/FAST',
        ...                               ann_file='val.txt', lazy_init=True))
        >>> len(dataset.metainfo['classes']), dataset.source
        (37, 'fast')
    """

    SUBSET = 'fast'
    METAINFO = samrs_metainfo('fast')
