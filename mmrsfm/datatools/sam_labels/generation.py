"""SAMRS-style label generation for a folder of images with detection annotations.

For each image: read its annotation file, build one box prompt per object, run SAM once on the
image and decode the boxes in batches, then write (each file atomically)::

    OUT/gray/<stem>.png        uint8 class index, 255 where no mask covers (the training label)
    OUT/color/<stem>.png       RGB view of the same map
    OUT/instances/<stem>.json  COCO-RLE instances of the image (written last: marks it done)

and at the end ``OUT/instances.json`` (all images, COCO) and ``OUT/summary.json``. A rerun skips
images whose three outputs exist. Malformed annotation files are reported with file and line
and their image is skipped (rerun after fixing them); images without objects get an all-255
label and are listed in the summary.

Sharded (``num_shards > 1``): the generator labels only the images of its shard
(:func:`.sharding.shard_of`) into ``OUT/shards/shard-<k>-of-<N>/`` (the same per-image files,
``generation.json`` and ``summary.json``, no COCO file); :func:`.shard_merge.merge_shards`
assembles ``OUT`` once every shard is done.
"""
from __future__ import annotations

import glob
import json
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
from tqdm import tqdm

from mmrsfm.datasets.formats import AnnotationError, ClassMapper
from mmrsfm.utils import atomic_write_json

from .annotations import ANNOTATION_SUFFIX, load_objects
from .coco import build_coco, encode_mask, instance_annotation
from .label_maps import DEFAULT_OVERLAP_ORDER, colorize, render_semantic, write_png_atomic
from .prompts import build_box_prompts, prompt_kind
from .sam_labeler import SamBoxLabeler
from .sharding import shard_dir, shard_of

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp')
#: Settings that change the labels: a rerun into the same folder must use the same values.
LABEL_SETTINGS = ('format', 'classes', 'prompt', 'overlap_order', 'model_type', 'skip_difficult')


def pair_images(images_dir: str, ann_dir: str, fmt: str
                ) -> Tuple[List[Tuple[str, str, str]], List[dict]]:
    """``(stem, image path, annotation path)`` per image with an annotation file (sorted), and
    a problem entry for each image without one and each annotation file without an image.

    Args:
        images_dir (str): Folder of the images (``IMAGE_SUFFIXES``).
        ann_dir (str): Folder of the annotation files.
        fmt (str): Annotation format, ``'dota'``, ``'dior'`` or ``'fair1m'``; it sets the
            annotation suffix.

    Returns:
        Tuple[List[Tuple[str, str, str]], List[dict]]: The pairs, and the problems
        (``file``, ``line`` None, ``action``, ``message``) as the summary lists them.

    Raises:
        FileNotFoundError: If ``images_dir`` holds no image.
    """
    images: Dict[str, str] = {}
    for path in sorted(glob.glob(osp.join(images_dir, '*'))):
        stem, suffix = osp.splitext(osp.basename(path))
        if suffix.lower() in IMAGE_SUFFIXES:
            images.setdefault(stem, path)
    if not images:
        raise FileNotFoundError(f'no images ({", ".join(IMAGE_SUFFIXES)}) in {images_dir}')
    suffix = ANNOTATION_SUFFIX[fmt]
    annotations = {osp.splitext(osp.basename(p))[0]: p
                   for p in sorted(glob.glob(osp.join(ann_dir, f'*{suffix}')))}
    pairs, problems = [], []
    for stem, path in images.items():
        if stem in annotations:
            pairs.append((stem, path, annotations[stem]))
        else:
            problems.append(dict(file=path, line=None, action='image skipped',
                                 message=f'no annotation file {stem}{suffix} in {ann_dir}'))
    for stem in sorted(set(annotations) - set(images)):
        problems.append(dict(file=annotations[stem], line=None, action='annotation skipped',
                             message=f'no image named {stem}.* in {images_dir}'))
    return pairs, problems


def _stem(path: str) -> str:
    return osp.splitext(osp.basename(path))[0]


def read_records(out_dir: str) -> List[dict]:
    """The per-image records ``out_dir/instances/*.json``, in sorted file-name order.

    Args:
        out_dir (str): A label output folder.

    Returns:
        List[dict]: The records (``file_name``, ``height``, ``width``, ``annotations``, ...).
    """
    records = []
    for path in sorted(glob.glob(osp.join(out_dir, 'instances', '*.json'))):
        with open(path) as f:
            records.append(json.load(f))
    return records


def records_coco(records: List[dict], classes: Sequence[str], settings: dict) -> dict:
    """The COCO dict of an output folder's per-image records (what ``instances.json`` holds).

    Args:
        records (List[dict]): Per-image records in order (:func:`read_records`).
        classes (Sequence[str]): Class names in label order.
        settings (dict): The generation settings; ``prompt``, ``overlap_order`` and ``format``
            go into the COCO ``info``.

    Returns:
        dict: COCO ``info``, ``images``, ``annotations`` and ``categories``.
    """
    return build_coco(records, classes, info=dict(
        description='SAMRS-style instances generated with SAM', **{
            k: settings[k] for k in ('prompt', 'overlap_order', 'format')}))


def coco_summary(coco: dict) -> dict:
    """Summary entries of a label folder's COCO dict.

    Args:
        coco (dict): The COCO dict of all images labelled so far.

    Returns:
        dict: ``coco_images``, ``coco_annotations``, ``images_without_objects`` (stems) and
        ``prompt_types`` (instances per box prompt type, e.g. ``{'hbox': 120}``).
    """
    with_objects = {a['image_id'] for a in coco['annotations']}
    types: Dict[str, int] = {}
    for ann in coco['annotations']:
        types[ann.get('prompt', 'unknown')] = types.get(ann.get('prompt', 'unknown'), 0) + 1
    return dict(coco_images=len(coco['images']), coco_annotations=len(coco['annotations']),
                images_without_objects=[_stem(img['file_name']) for img in coco['images']
                                        if img['id'] not in with_objects],
                prompt_types=dict(sorted(types.items())))


class LabelGenerator:
    """Writes SAMRS labels for image / annotation pairs (see the module docstring).

    Args:
        out_dir (str): Output folder.
        mapper (ClassMapper): Class names -> indices of the target class list.
        fmt (str): Annotation format, ``'dota'``, ``'dior'`` or ``'fair1m'``.
        labeler_factory (Callable[[], SamBoxLabeler]): Builds the :class:`SamBoxLabeler` when
            the first image needs it (a rerun with nothing left to do never loads SAM).
        prompt (str): ``'hbox'``, ``'rhbox'`` or ``'auto'`` (see :mod:`.prompts`).
            Defaults to 'auto'.
        overlap_order (str): ``'larger-first'`` or ``'annotation'`` (see :mod:`.label_maps`).
            Defaults to ``DEFAULT_OVERLAP_ORDER`` ('larger-first').
        skip_difficult (bool): Leave out objects flagged ``difficult``. Defaults to False.
        settings (dict, optional): Extra settings recorded in ``OUT/generation.json`` (e.g. the
            SAM model type). Defaults to None.
        shard_id (int): The shard this generator labels, ``0 .. num_shards - 1``. Defaults to 0.
        num_shards (int): Number of shards; above 1 the outputs go to
            ``OUT/shards/shard-<k>-of-<N>/`` (see the module docstring). Defaults to 1.

    Raises:
        ValueError: ``prompt='hbox'`` with the ``fair1m`` format (rotated boxes only, no
            H-Box), or a shard id outside ``0 .. num_shards - 1``.
    """

    def __init__(self, out_dir: str, mapper: ClassMapper, fmt: str,
                 labeler_factory: Callable[[], SamBoxLabeler], prompt: str = 'auto',
                 overlap_order: str = DEFAULT_OVERLAP_ORDER, skip_difficult: bool = False,
                 settings: Optional[dict] = None, shard_id: int = 0,
                 num_shards: int = 1) -> None:
        if fmt == 'fair1m' and prompt == 'hbox':
            raise ValueError('FAIR1M annotations are rotated boxes without an H-Box: use the '
                             'rhbox prompt (the paper\'s FAST) or auto')
        if not 0 <= shard_id < num_shards:
            raise ValueError(f'shard id {shard_id} is outside 0..{num_shards - 1}')
        self.root = out_dir
        self.shard_id, self.num_shards = shard_id, num_shards
        self.out_dir = shard_dir(out_dir, shard_id, num_shards) if num_shards > 1 else out_dir
        self.mapper, self.fmt = mapper, fmt
        self.prompt, self.overlap_order, self.skip_difficult = prompt, overlap_order, skip_difficult
        self._labeler_factory = labeler_factory
        self._labeler: Optional[SamBoxLabeler] = None
        self.settings = dict(settings or {}, format=fmt, classes=list(mapper.classes),
                             prompt=prompt, overlap_order=overlap_order,
                             skip_difficult=skip_difficult)
        if num_shards > 1:
            self.settings.update(shard_id=shard_id, num_shards=num_shards)

    def in_shard(self, stem: str) -> bool:
        """Whether an image belongs to this generator's shard.

        Args:
            stem (str): Image name without suffix.

        Returns:
            bool: True for every image of an unsharded run, else ``shard_of(stem) == shard_id``.
        """
        return self.num_shards == 1 or shard_of(stem, self.num_shards) == self.shard_id

    def _path(self, kind: str, stem: str) -> str:
        suffix = '.json' if kind == 'instances' else '.png'
        return osp.join(self.out_dir, kind, stem + suffix)

    def is_done(self, stem: str) -> bool:
        """Whether the three outputs of an image exist (a rerun skips it).

        Args:
            stem (str): Image name without suffix.

        Returns:
            bool: True if ``gray/``, ``color/`` and ``instances/`` all hold the image's file.
        """
        return all(osp.isfile(self._path(k, stem)) for k in ('gray', 'color', 'instances'))

    def _check_settings(self) -> None:
        path = osp.join(self.out_dir, 'generation.json')
        if osp.isfile(path):
            with open(path) as f:
                previous = json.load(f)
            changed = [k for k in LABEL_SETTINGS
                       if k in previous and k in self.settings and previous[k] != self.settings[k]]
            if changed:
                raise ValueError(f'{self.out_dir} holds labels made with other settings '
                                 f'({", ".join(f"{k}={previous[k]!r}" for k in changed)}; '
                                 f'now {", ".join(f"{k}={self.settings[k]!r}" for k in changed)})'
                                 f': use another --out or the same settings to resume'
                                 + (f' (--prompt {previous["prompt"]})' if 'prompt' in changed
                                    else ''))
        os.makedirs(self.out_dir, exist_ok=True)
        atomic_write_json(path, self.settings)

    @property
    def labeler(self) -> SamBoxLabeler:
        """SamBoxLabeler: The labeler, built by ``labeler_factory`` on first use."""
        if self._labeler is None:
            self._labeler = self._labeler_factory()
        return self._labeler

    def process(self, stem: str, image_path: str, ann_path: str, summary: dict) -> None:
        """Label one image (raises :class:`AnnotationError` for a malformed annotation).

        Args:
            stem (str): Image name without suffix, the name of its output files.
            image_path (str): Image file.
            ann_path (str): Its annotation file.
            summary (dict): Run summary, updated in place: ``problems`` (objects without a
                usable prompt), ``instances`` and ``empty_masks`` counts.

        Raises:
            AnnotationError: Naming the file (and line) of a malformed annotation or an
                unreadable image.
        """
        objects = load_objects(ann_path, self.fmt, self.mapper)
        if self.skip_difficult:
            objects = [o for o in objects if not o.difficult]
        image = cv2.imread(image_path, cv2.IMREAD_COLOR)
        if image is None:
            raise AnnotationError(image_path, None, 'unreadable image')
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        height, width = image.shape[:2]
        boxes, kept, dropped = build_box_prompts(objects, self.prompt, width, height)
        for line, reason in dropped:
            summary['problems'].append(dict(file=ann_path, line=line, message=reason,
                                            action='object skipped'))
        kinds = [prompt_kind(objects[i], self.prompt) for i in kept]
        rles, scores = [], []
        if len(kept):
            self.labeler.set_image(image)
            for masks, batch_scores in self.labeler.predict_boxes(boxes):
                rles.extend(encode_mask(m) for m in masks)
                scores.extend(float(s) for s in batch_scores)
        labels = [objects[i].label for i in kept]
        annotations = [
            instance_annotation(rle, label, box, sam_score=score, prompt=kind,
                                source_line=objects[i].line)
            for rle, label, box, score, kind, i in zip(rles, labels, boxes, scores, kinds, kept)]
        label_map = render_semantic(rles, labels, height, width, self.overlap_order,
                                    areas=[a['area'] for a in annotations])
        for kind in ('gray', 'color', 'instances'):
            os.makedirs(osp.join(self.out_dir, kind), exist_ok=True)
        write_png_atomic(label_map, self._path('gray', stem))
        write_png_atomic(colorize(label_map, len(self.mapper.classes)), self._path('color', stem))
        record = dict(file_name=osp.basename(image_path), height=height, width=width,
                      image_file=osp.abspath(image_path), annotation_file=osp.abspath(ann_path),
                      annotations=annotations)
        atomic_write_json(self._path('instances', stem), record)
        summary['instances'] += len(annotations)
        summary['empty_masks'] += sum(a['area'] == 0 for a in annotations)

    def merge(self, coco_path: str) -> dict:
        """Merge every ``instances/<stem>.json`` of the output folder into one COCO file.

        Args:
            coco_path (str): Output COCO JSON file, written atomically.

        Returns:
            dict: The COCO dict written, images sorted by stem and numbered from 1.
        """
        coco = records_coco(read_records(self.out_dir), self.mapper.classes, self.settings)
        atomic_write_json(coco_path, coco)
        return coco

    def run(self, images_dir: str, ann_dir: str, progress: bool = True) -> dict:
        """Label every image of ``images_dir`` with an annotation in ``ann_dir``; returns (and
        writes to ``OUT/summary.json``) what was done, skipped and what went wrong.

        Sharded, only the images of this shard (and the problems of their files) are looked
        at, and no COCO file is written; the counts are those of the shard's folder.

        Args:
            images_dir (str): Folder of the images.
            ann_dir (str): Folder of the annotation files.
            progress (bool): Show a progress bar. Defaults to True.

        Returns:
            dict: The summary: ``images``, ``processed``, ``skipped_done``, ``instances``,
            ``empty_masks``, ``problems`` (``file``, ``line``, ``message``, ``action``),
            ``coco_images``, ``coco_annotations``, ``images_without_objects``, ``prompt`` (the
            prompt mode), ``prompt_types`` (instances per box prompt type), ``shard_id`` and
            ``num_shards``.

        Raises:
            ValueError: If the output folder holds labels made with other settings.
            FileNotFoundError: If ``images_dir`` holds no image.
        """
        self._check_settings()
        pairs, problems = pair_images(images_dir, ann_dir, self.fmt)
        pairs = [p for p in pairs if self.in_shard(p[0])]
        problems = [p for p in problems if self.in_shard(_stem(p['file']))]
        summary = dict(images=len(pairs), processed=0, skipped_done=0, instances=0,
                       empty_masks=0, problems=problems)
        bar = tqdm(pairs, desc='SAM labels', unit='img', disable=not progress)
        for stem, image_path, ann_path in bar:
            if self.is_done(stem):
                summary['skipped_done'] += 1
                continue
            try:
                self.process(stem, image_path, ann_path, summary)
            except AnnotationError as err:
                summary['problems'].append(dict(file=err.path, line=err.line,
                                                message=err.message, action='image skipped'))
                continue
            summary['processed'] += 1
            bar.set_postfix(done=summary['processed'], skipped=summary['skipped_done'],
                            problems=len(summary['problems']))
        if self.num_shards == 1:
            coco = self.merge(osp.join(self.out_dir, 'instances.json'))
        else:
            coco = records_coco(read_records(self.out_dir), self.mapper.classes, self.settings)
        # Over every image labelled so far (this run and earlier ones), not only this run's.
        summary.update(coco_summary(coco), prompt=self.prompt, shard_id=self.shard_id,
                       num_shards=self.num_shards)
        atomic_write_json(osp.join(self.out_dir, 'summary.json'), summary)
        return summary
