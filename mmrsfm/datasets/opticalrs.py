"""OpticalRS-13M (Wang et al., 2024): unlabelled optical remote-sensing images for pretraining.

Data card: about 13M RGB images (64-1024 px after curation) gathered from public RS datasets,
one sub-folder per source dataset::

    data/OpticalRS-13M/<source>/<image>.{jpg,png,tif,...}
    data/OpticalRS-13M/index.txt      # optional: one relative image path per line

With an index file the dataset starts without walking 13M files; without one it walks the folder
once (``OpticalRS13M.write_index`` saves that walk for next time).
"""
from __future__ import annotations

import os
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log
from mmpretrain.registry import DATASETS, TRANSFORMS

from mmrsfm.utils import atomic_write_text
from mmrsfm.utils.image_io import UNREADABLE_IMAGE_ERRORS, unreadable_reason

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


@DATASETS.register_module()
class OpticalRS13M(BaseDataset):
    """Unlabelled OpticalRS-13M images for self-supervised pretraining (mmpretrain).

    An image that cannot be read or decoded (missing, empty, truncated or not an image) is
    skipped with a warning naming the file, the reason and the running count of such images;
    mmengine's ``BaseDataset`` then serves another random image in its place, so the epoch keeps
    its length (the warning says so).

    Args:
        data_root (str): Dataset folder. Defaults to ``''``.
        index_file (str, optional): Text file (relative to ``data_root``) listing one image
            path per line, relative to ``data_root``. Lines starting with ``#`` are ignored.
            Defaults to None (walk ``data_root``).
        extensions (Sequence[str]): Image file suffixes (case-insensitive) considered when
            walking the folder. Defaults to :data:`IMG_EXTENSIONS`.
        pipeline (Sequence[dict | Callable]): Data transforms, e.g. ``LoadImageFromFile``,
            ``RandomResizedCrop``, ``PackInputs``; configs are built from mmpretrain's
            ``TRANSFORMS`` whatever the default scope. Defaults to ``()``.
        **kwargs: Other arguments of mmengine's ``BaseDataset`` (``lazy_init``,
            ``max_refetch``, ...).

    Examples:
        >>> import os, tempfile
        >>> from PIL import Image
        >>> from mmpretrain.registry import DATASETS
        >>> root = tempfile.mkdtemp()
        >>> os.makedirs(os.path.join(root, 'AID'))
        >>> Image.new('RGB', (64, 48)).save(os.path.join(root, 'AID', 'a.png'))
        >>> dataset = DATASETS.build(dict(
        ...     type='OpticalRS13M', data_root=root,
        ...     pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')]))
        >>> len(dataset), tuple(dataset[0]['inputs'].shape)
        (1, (3, 48, 64))
    """

    METAINFO = {'classes': ()}

    def __init__(self,
                 data_root: str = '',
                 index_file: Optional[str] = None,
                 extensions: Sequence[str] = IMG_EXTENSIONS,
                 pipeline: Sequence = (),
                 **kwargs) -> None:
        self.index_file = index_file
        self.extensions = tuple(e.lower() for e in extensions)
        self.num_unreadable = 0
        # Build transforms from mmpretrain's registry whatever the current default scope.
        transforms = [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline]
        super().__init__(data_root=data_root, ann_file='', pipeline=transforms, **kwargs)

    @staticmethod
    def walk(data_root: str, extensions: Sequence[str] = IMG_EXTENSIONS) -> List[str]:
        """Relative paths of every image under ``data_root``, sorted.

        Args:
            data_root (str): The folder to walk (recursively).
            extensions (Sequence[str]): Lower-case file suffixes of images. Defaults to
                :data:`IMG_EXTENSIONS`.

        Returns:
            list[str]: Image paths relative to ``data_root``, sorted.

        Raises:
            FileNotFoundError: If ``data_root`` is not a folder.
        """
        if not osp.isdir(data_root):
            raise FileNotFoundError(f'OpticalRS-13M folder {data_root} does not exist')
        found = []
        for folder, _, files in os.walk(data_root):
            for name in files:
                if name.lower().endswith(tuple(extensions)):
                    found.append(osp.relpath(osp.join(folder, name), data_root))
        return sorted(found)

    @classmethod
    def write_index(cls, data_root: str, index_file: str,
                    extensions: Sequence[str] = IMG_EXTENSIONS) -> int:
        """Walk ``data_root`` and write its index atomically; returns the number of images.

        Args:
            data_root (str): The dataset folder.
            index_file (str): The index file to write, one path relative to ``data_root`` per
                line; written to ``osp.join(data_root, 'index.txt')`` it is the dataset's
                ``index_file='index.txt'``.
            extensions (Sequence[str]): Lower-case file suffixes of images. Defaults to
                :data:`IMG_EXTENSIONS`.

        Returns:
            int: The number of images written to the index.
        """
        paths = cls.walk(data_root, extensions)
        atomic_write_text(index_file, '\n'.join(paths) + '\n')
        return len(paths)

    def load_data_list(self) -> List[dict]:
        """List the images from the index file, or by walking ``data_root``.

        Returns:
            list[dict]: One ``dict(img_path=...)`` per image.

        Raises:
            FileNotFoundError: If ``index_file`` is given but missing, or ``data_root`` is not
                a folder.
            ValueError: If no image is found.
        """
        if self.index_file:
            index = osp.join(self.data_root, self.index_file)
            if not osp.isfile(index):
                raise FileNotFoundError(f'OpticalRS-13M index file {index} does not exist')
            with open(index) as f:
                paths = [ln.strip() for ln in f if ln.strip() and not ln.startswith('#')]
            source = index
        else:
            paths = self.walk(self.data_root, self.extensions)
            source = self.data_root
        if not paths:
            raise ValueError(f'no image found in {source}')
        return [dict(img_path=osp.join(self.data_root, p)) for p in paths]

    def prepare_data(self, idx: int):
        """Run the pipeline on sample ``idx``, or return None for an unreadable image.

        Args:
            idx (int): The sample index.

        Returns:
            dict | None: The pipeline's output, or None (with a warning) when the image cannot
            be read, in which case ``BaseDataset.__getitem__`` draws another index.
        """
        try:
            return super().prepare_data(idx)
        except UNREADABLE_IMAGE_ERRORS as err:  # cv2.error included: OpenCV on empty files
            self.num_unreadable += 1
            path = self.get_data_info(idx)['img_path']
            print_log(f'OpticalRS-13M: skipping unreadable image {path} '
                      f'({unreadable_reason(path, err)}); another image is served in its place, '
                      f'{self.num_unreadable} unreadable so far in this process',
                      logger='current', level=30)
            return None  # BaseDataset.__getitem__ then draws another index
