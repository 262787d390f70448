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
"""
from __future__ import annotations

import glob
import json
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Tuple

import cv2
from tqdm import tqdm

from mmrsfm.datasets.formats import AnnotationError, ClassMapper
from mmrsfm.utils import atomic_write_json

from .annotations import ANNOTATION_SUFFIX, load_objects
from .coco import build_coco, encode_mask, instance_annotation
from .label_maps import DEFAULT_OVERLAP_ORDER, colorize, render_semantic, write_png_atomic
from .prompts import build_box_prompts
from .sam_labeler import SamBoxLabeler

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
    """

    def __init__(self, out_dir: str, mapper: ClassMapper, fmt: str,
                 labeler_factory: Callable[[], SamBoxLabeler], prompt: str = 'auto',
                 overlap_order: str = DEFAULT_OVERLAP_ORDER, skip_difficult: bool = False,
                 settings: Optional[dict] = None) -> None:
        self.out_dir, self.mapper, self.fmt = out_dir, mapper, fmt
        self.prompt, self.overlap_order, self.skip_difficult = prompt, overlap_order, skip_difficult
        self._labeler_factory = labeler_factory
        self._labeler: Optional[SamBoxLabeler] = None
        self.settings = dict(settings or {}, format=fmt, classes=list(mapper.classes),
                             prompt=prompt, overlap_order=overlap_order,
                             skip_difficult=skip_difficult)

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
                                 f'({", ".join(f"{k}={previous[k]!r}" for k in changed)}); '
                                 f'use another --out or the same settings to resume')
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
        rles, scores = [], []
        if len(kept):
            self.labeler.set_image(image)
            for masks, batch_scores in self.labeler.predict_boxes(boxes):
                rles.extend(encode_mask(m) for m in masks)
                scores.extend(float(s) for s in batch_scores)
        labels = [objects[i].label for i in kept]
        annotations = [
            instance_annotation(rle, label, box, sam_score=score, prompt=self.prompt,
                                source_line=objects[i].line)
            for rle, label, box, score, i in zip(rles, labels, boxes, scores, kept)]
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
        paths = sorted(glob.glob(osp.join(self.out_dir, 'instances', '*.json')))
        records = []
        for path in paths:
            with open(path) as f:
                records.append(json.load(f))
        coco = build_coco(records, self.mapper.classes, info=dict(
            description='SAMRS-style instances generated with SAM', **{
                k: self.settings[k] for k in ('prompt', 'overlap_order', 'format')}))
        atomic_write_json(coco_path, coco)
        return coco

    def run(self, images_dir: str, ann_dir: str, progress: bool = True) -> dict:
        """Label every image of ``images_dir`` with an annotation in ``ann_dir``; returns (and
        writes to ``OUT/summary.json``) what was done, skipped and what went wrong.

        Args:
            images_dir (str): Folder of the images.
            ann_dir (str): Folder of the annotation files.
            progress (bool): Show a progress bar. Defaults to True.

        Returns:
            dict: The summary: ``images``, ``processed``, ``skipped_done``, ``instances``,
            ``empty_masks``, ``problems`` (``file``, ``line``, ``message``, ``action``),
            ``coco_images``, ``coco_annotations`` and ``images_without_objects``.

        Raises:
            ValueError: If the output folder holds labels made with other settings.
            FileNotFoundError: If ``images_dir`` holds no image.
        """
        self._check_settings()
        pairs, problems = pair_images(images_dir, ann_dir, self.fmt)
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
        coco = self.merge(osp.join(self.out_dir, 'instances.json'))
        summary['coco_images'] = len(coco['images'])
        summary['coco_annotations'] = len(coco['annotations'])
        # Over every image labelled so far (this run and earlier ones), not only this run's.
        with_objects = {a['image_id'] for a in coco['annotations']}
        summary['images_without_objects'] = [
            osp.splitext(img['file_name'])[0] for img in coco['images']
            if img['id'] not in with_objects]
        atomic_write_json(osp.join(self.out_dir, 'summary.json'), summary)
        return summary
