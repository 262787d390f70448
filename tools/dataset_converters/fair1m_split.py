"""Cut FAIR1M images into square tiles (600 px, overlap 117 px by default) with their FAIR1M XML
annotations clipped to each tile: the FAST subset of SAMRS (FAIR1M-2.0 train + val, 600 px).

Input: one or more FAIR1M folders, each holding ``images/`` (``*.tif`` as released, or any
image format OpenCV reads) and ``labelXml/`` (one XML per image; a folder without it, e.g. the
test set, gives tiles only)::

    data/FAIR1M2.0/train/images/0.tif        data/FAIR1M2.0/train/labelXml/0.xml
    data/FAIR1M2.0/validation/images/...     data/FAIR1M2.0/validation/labelXml/...

Output: all tiles in one folder, what ``tools/samrs/generate_labels.py --format fair1m`` reads::

    OUT/images/<id>__1.0__<x>___<y>.png      OUT/labelXml/<same>.xml

Examples:
    python tools/dataset_converters/fair1m_split.py data/FAIR1M2.0/train \
        data/FAIR1M2.0/validation --out data/fair1m_600 --nproc 8

Objects are clipped as the DOTA devkit clips them (mmrsfm/datatools/conversion/fair1m_split.py
states the rule); objects with at most ``--iof-thr`` of their area inside a tile are kept with
``<difficult>2</difficult>``. Images of the same name in two source folders stop the run before
anything is written, unless ``--prefix-source`` names the tiles ``<folder>_<id>__...``.
Re-running skips images already cut; every file is written atomically; a malformed XML file or an
unknown class stops the run (also with ``--nproc`` > 1) with exit code 1 and the file and line.
"""
import argparse
import os
import os.path as osp
import sys
from functools import partial
from typing import Dict, List, Optional, Tuple

from tqdm import tqdm

from mmrsfm.datasets.formats import ClassMapper
from mmrsfm.datatools.conversion import FAIR1M_GAP, FAIR1M_TILE_SIZE, split_fair1m_file
from mmrsfm.utils.parallel import starmap_unordered

IMAGE_SUFFIXES = ('.tif', '.tiff', '.png', '.jpg', '.jpeg', '.bmp')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('sources', nargs='+',
                        help='FAIR1M folders holding images/ (and labelXml/)')
    parser.add_argument('--out', required=True, help='output folder, e.g. data/fair1m_600')
    parser.add_argument('--size', type=int, default=FAIR1M_TILE_SIZE,
                        help='tile side in px (SAMRS Sec. 2.4: 600)')
    parser.add_argument('--gap', type=int, default=FAIR1M_GAP,
                        help='overlap of adjacent tiles in px (our choice, the authors\' is '
                        f'unknown: DOTA\'s 200 px of 1,024 scaled to 600 = {FAIR1M_GAP})')
    parser.add_argument('--rates', type=float, nargs='+', default=[1.0],
                        help='image scales to cut at (SAMRS: 1.0 only)')
    parser.add_argument('--iof-thr', type=float, default=0.7,
                        help='objects with at most this fraction of their area inside a tile '
                        'get <difficult>2</difficult>')
    parser.add_argument('--classes', default='fast',
                        help='allowed classes: sota, sior, fast (default; the 37 FAIR1M-2.0 '
                        'classes) or a class-map JSON as for generate_labels.py')
    parser.add_argument('--ann-subdir', default='labelXml',
                        help='annotation folder name inside each source folder')
    parser.add_argument('--img-ext', default='.png', help='suffix (format) of the tiles')
    parser.add_argument('--prefix-source', action='store_true',
                        help='name tiles <source folder name>_<id>__..., for sources whose '
                        'image names collide')
    parser.add_argument('--nproc', type=int, default=1, help='worker processes')
    return parser.parse_args(argv)


def list_jobs(sources: List[str], ann_subdir: str,
              prefix_source: bool) -> List[Tuple[str, str, List[Tuple[str, Optional[str]]]]]:
    """The images (and XML files) of every source folder.

    Args:
        sources (List[str]): Folders holding ``images/`` (and ``ann_subdir``).
        ann_subdir (str): Annotation folder name inside each source.
        prefix_source (bool): Whether tile names start with the source folder's name + ``_``.

    Returns:
        list[tuple[str, str, list[tuple[str, str | None]]]]: Per source its folder, the tile
        name prefix and ``(image, XML file or None)`` per image.

    Raises:
        FileNotFoundError: for a missing image folder, an empty one or a missing XML file.
        ValueError: naming both images when two give the same image id.
    """
    listed = []
    seen: Dict[str, str] = {}
    for src in sources:
        img_dir = osp.join(src, 'images')
        if not osp.isdir(img_dir):
            raise FileNotFoundError(f'{img_dir}: image folder not found')
        labelled = osp.isdir(osp.join(src, ann_subdir))
        prefix = osp.basename(osp.normpath(src)) + '_' if prefix_source else ''
        names = [n for n in sorted(os.listdir(img_dir)) if n.lower().endswith(IMAGE_SUFFIXES)]
        if not names:
            raise FileNotFoundError(f'{img_dir}: no images ({", ".join(IMAGE_SUFFIXES)})')
        jobs = []
        for name in names:
            img_id = prefix + osp.splitext(name)[0]
            img_path = osp.join(img_dir, name)
            if img_id in seen:
                raise ValueError(f'{img_path}: image id {img_id!r} also comes from '
                                 f'{seen[img_id]}; their tiles would overwrite each other '
                                 '(use --prefix-source, or one --out per source)')
            seen[img_id] = img_path
            xml = None
            if labelled:
                xml = osp.join(src, ann_subdir, osp.splitext(name)[0] + '.xml')
                if not osp.isfile(xml):
                    raise FileNotFoundError(f'{xml}: annotation of image {img_path} not found')
            jobs.append((img_path, xml))
        listed.append((src, prefix, jobs))
    return listed


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    written = images = 0
    try:
        mapper = ClassMapper.from_spec(args.classes)
        for src, prefix, jobs in list_jobs(args.sources, args.ann_subdir, args.prefix_source):
            worker = partial(split_fair1m_file, out_dir=args.out, rates=args.rates,
                             size=args.size, gap=args.gap, iof_thr=args.iof_thr, classes=mapper,
                             img_ext=args.img_ext, prefix=prefix)
            # Worker errors (a malformed XML: file:line) are raised here; the pool stops.
            with tqdm(total=len(jobs), desc=f'tile {src}', unit='img') as bar:
                for count in starmap_unordered(worker, jobs, args.nproc):
                    written += count
                    bar.update()
            images += len(jobs)
    except (FileNotFoundError, ValueError) as err:
        sys.exit(f'error: {err}')
    print(f'{images} images: {written} new tiles in {osp.join(args.out, "images")}')


if __name__ == '__main__':
    main()
