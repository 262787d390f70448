"""The SAMRS prompt study (Table 1 of the paper): SAM masks from every prompt setting of the
paper compared with ground-truth instance masks by mIoU_I / mIoU_P.

Basic prompts of one instance (Sec. 2.3 of the paper):

* ``CP``: the centre of the R-Box, one foreground point;
* ``H-Box``: the horizontal box; ``RH-Box``: the horizontal box enclosing the R-Box;
* ``H-Box-M``, ``R-Box-M``, ``RH-Box-M``: mask prompts, the region enclosed by the H-Box, the
  R-Box or the RH-Box as SAM's mask input, +1000 inside and -1000 outside
  (:func:`~mmrsfm.datatools.sam_labels.sam_labeler.region_mask_input`).

A *setting* is one row of Table 1: one basic prompt or a combination given to SAM together
(:data:`TABLE1`). The paper's table has 15 rows in four groups; the PDF and HTML conversions of
the paper lose the check-mark columns, so the rows were reconstructed as follows:

* numbers and group sizes (Point 1, H-Box 6, R-Box 2, RH-Box 6 rows) agree in both conversions;
* the H-Box and RH-Box groups are the six combinations of {CP, box, box mask} that contain the
  group's box or mask, and R-Box the two containing R-Box-M (SAM takes no rotated box);
* the PDF conversion keeps one cell per column but puts some check marks one column off (its
  R-Box-M row has the mark under RH-Box) or doubles them (two RH-Box rows with three marks);
  the cells it gets right fix the box alone (89.97, 88.85), the mask alone (40.54, 34.63),
  CP + box (86.67, 83.55; marks under CP and the box), RH-Box + RH-Box-M (66.23) and all three
  (59.71); the R-Box rows are R-Box-M alone and CP + R-Box-M (mark under CP, 26.49);
* the remaining pairs follow by elimination and by the parallel order of the two box groups:
  H-Box + H-Box-M is 74.21, and CP + mask is 24.54 (H-Box-M) / 23.71 (RH-Box-M), whose
  mIoU_P near CP alone (2.72) matches CP + R-Box-M (4.97); CP + RH-Box + RH-Box-M is 49.24;
* the text's "highest accuracy achieved by a mask prompt is approximately 60%" is R-Box-M alone
  (65.54 / 59.78), and "the point prompt ... negatively affects the accuracy of any prompt
  combinations" holds for every row with CP.

Ground truth comes from a COCO instances file (:class:`COCOStudySet`) or from HRSC2016 itself
(:class:`HRSCStudySet`: XML annotations with both boxes plus the colour-coded segmentation PNGs).
"""
from __future__ import annotations

import math
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from pycocotools.coco import COCO
from tqdm import tqdm

from mmrsfm.datasets.formats.annotation_error import AnnotationError
from mmrsfm.datasets.formats.hrsc import HRSCAnnotation, instance_masks_from_colors, read_hrsc_xml

from .metrics import InstanceIoU
from .prompts import rhbox_from_polygon
from .sam_labeler import SamBoxLabeler, box_corners

#: The basic prompts, in the column order of Table 1.
BASIC_PROMPTS = ('CP', 'H-Box', 'H-Box-M', 'R-Box-M', 'RH-Box', 'RH-Box-M')
#: The row groups of Table 1, in order.
GROUPS = ('Point', 'H-Box', 'R-Box', 'RH-Box')
#: The old ``--prompts`` names and the settings they stand for.
LEGACY_PROMPTS = {'hbox': 'H-Box', 'rhbox': 'RH-Box', 'point': 'CP'}
STUDY_PROMPTS = tuple(LEGACY_PROMPTS)


@dataclass(frozen=True)
class PromptSetting:
    """One row of Table 1: the prompts given to SAM together, and the paper's result.

    Args:
        group (str): Row group, one of :data:`GROUPS`.
        prompts (Tuple[str, ...]): Basic prompts of :data:`BASIC_PROMPTS`, in column order.
        paper_miou_i (float): mIoU_I of the paper (percent, SAM ViT-H, 124 HRSC2016 images).
        paper_miou_p (float): mIoU_P of the paper (percent).
    """
    group: str
    prompts: Tuple[str, ...]
    paper_miou_i: float
    paper_miou_p: float

    @property
    def name(self) -> str:
        """str: The prompts joined by ``+``, e.g. ``'CP+H-Box'``."""
        return '+'.join(self.prompts)


#: The 15 rows of Table 1 of the SAMRS paper, in the paper's order (see the module docstring
#: for how the rows were reconstructed from the garbled conversions).
TABLE1 = (
    PromptSetting('Point', ('CP',), 16.14, 2.72),
    PromptSetting('H-Box', ('H-Box',), 89.97, 79.40),
    PromptSetting('H-Box', ('H-Box-M',), 40.54, 36.71),
    PromptSetting('H-Box', ('CP', 'H-Box'), 86.67, 77.35),
    PromptSetting('H-Box', ('H-Box', 'H-Box-M'), 74.21, 62.25),
    PromptSetting('H-Box', ('CP', 'H-Box-M'), 24.54, 5.41),
    PromptSetting('H-Box', ('CP', 'H-Box', 'H-Box-M'), 59.71, 49.30),
    PromptSetting('R-Box', ('R-Box-M',), 65.54, 59.78),
    PromptSetting('R-Box', ('CP', 'R-Box-M'), 26.49, 4.97),
    PromptSetting('RH-Box', ('RH-Box',), 88.85, 76.42),
    PromptSetting('RH-Box', ('RH-Box-M',), 34.63, 31.81),
    PromptSetting('RH-Box', ('CP', 'RH-Box'), 83.55, 72.67),
    PromptSetting('RH-Box', ('RH-Box', 'RH-Box-M'), 66.23, 52.75),
    PromptSetting('RH-Box', ('CP', 'RH-Box-M'), 23.71, 5.10),
    PromptSetting('RH-Box', ('CP', 'RH-Box', 'RH-Box-M'), 49.24, 39.03),
)
#: Setting name -> setting, for the rows of :data:`TABLE1`.
SETTINGS: Dict[str, PromptSetting] = {s.name: s for s in TABLE1}


def resolve_settings(names: Optional[Sequence[str]] = None) -> List[PromptSetting]:
    """The settings named ``names`` (setting names or the old ``hbox``/``rhbox``/``point``).

    Args:
        names (Sequence[str], optional): Names of :data:`SETTINGS` or :data:`LEGACY_PROMPTS`.
            Defaults to None (all of :data:`TABLE1`).

    Returns:
        List[PromptSetting]: The settings, in the order of ``names``.

    Raises:
        ValueError: Naming the unknown names.
    """
    if names is None:
        return list(TABLE1)
    unknown = [n for n in names if n not in SETTINGS and n not in LEGACY_PROMPTS]
    if unknown:
        raise ValueError(f'unknown prompt settings {unknown}; expected Table-1 rows '
                         f'{list(SETTINGS)} (or {list(LEGACY_PROMPTS)})')
    return [SETTINGS[LEGACY_PROMPTS.get(n, n)] for n in names]


@dataclass
class StudyInstance:
    """One ground-truth instance: its boxes and mask.

    Args:
        hbox (np.ndarray): H-Box ``(4,)`` ``x1, y1, x2, y2`` in pixels.
        rbox (np.ndarray): R-Box corners ``(4, 2)`` ``x, y`` in pixels.
        mask (np.ndarray): ``(H, W)`` bool ground-truth mask.
        label (int): Class id, for the per-class scores. Defaults to 0.
    """
    hbox: np.ndarray
    rbox: np.ndarray
    mask: np.ndarray
    label: int = 0

    def prompt(self, name: str) -> np.ndarray:
        """The geometry of basic prompt ``name``: the point ``(2,)`` of ``CP``, the box
        ``(4,)`` of ``H-Box``/``RH-Box``, the region corners ``(4, 2)`` of a mask prompt.

        Args:
            name (str): One of :data:`BASIC_PROMPTS`.

        Returns:
            np.ndarray: The point, box or corners in pixels.
        """
        rhbox = rhbox_from_polygon(self.rbox)
        return {'CP': lambda: self.rbox.mean(axis=0), 'H-Box': lambda: self.hbox,
                'RH-Box': lambda: rhbox, 'H-Box-M': lambda: box_corners(self.hbox),
                'R-Box-M': lambda: self.rbox, 'RH-Box-M': lambda: box_corners(rhbox)}[name]()


@dataclass
class StudyImage:
    """One image of the study and its instances.

    Args:
        name (str): Image name (for messages).
        image (np.ndarray): ``(H, W, 3)`` uint8 RGB image.
        instances (List[StudyInstance]): Its ground-truth instances.
    """
    name: str
    image: np.ndarray
    instances: List[StudyInstance] = field(default_factory=list)


def _read_rgb(path: str, what: str) -> np.ndarray:
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f'{path}: missing or unreadable {what}')
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def rotated_box_of(ann: dict, gt_mask: np.ndarray) -> np.ndarray:
    """Rotated-box corners ``(4, 2)``: the annotation's ``rbox`` or the mask's min-area rect.

    Args:
        ann (dict): COCO annotation (``bbox`` ``[x, y, w, h]``, optional ``rbox``).
        gt_mask (np.ndarray): ``(H, W)`` bool ground-truth mask; when empty, the corners of
            ``bbox`` are used.

    Returns:
        np.ndarray: ``(4, 2)`` float64 corners ``x, y`` in pixels.
    """
    if 'rbox' in ann:
        return np.asarray(ann['rbox'], dtype=np.float64).reshape(4, 2)
    ys, xs = np.nonzero(gt_mask)
    if xs.size == 0:
        x, y, w, h = ann['bbox']
        return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=np.float64)
    # Pixel centres +/- 0.5 so a one-pixel-wide mask still has an area.
    pts = np.concatenate([np.stack([xs + dx, ys + dy], axis=1)
                          for dx in (0, 1) for dy in (0, 1)]).astype(np.float32)
    return cv2.boxPoints(cv2.minAreaRect(pts)).astype(np.float64)


def instance_prompts(ann: dict, gt_mask: np.ndarray) -> Dict[str, np.ndarray]:
    """The box and point prompts of a COCO instance: boxes ``(4,)`` xyxy, point ``(2,)``.

    Args:
        ann (dict): COCO annotation (``bbox`` ``[x, y, w, h]``, optional ``rbox``).
        gt_mask (np.ndarray): ``(H, W)`` bool ground-truth mask.

    Returns:
        Dict[str, np.ndarray]: ``hbox`` and ``rhbox`` ``(4,)`` ``x1, y1, x2, y2``, ``point``
        ``(2,)`` ``x, y`` and ``rbox`` ``(4, 2)`` corners, in pixels.
    """
    x, y, w, h = (float(v) for v in ann['bbox'])
    poly = rotated_box_of(ann, gt_mask)
    return dict(hbox=np.array([x, y, x + w, y + h]), rhbox=rhbox_from_polygon(poly),
                point=poly.mean(axis=0), rbox=poly)


class COCOStudySet:
    """Study images from a COCO instances file: ``segmentation`` (polygons or RLE) is the
    ground truth, ``bbox`` the H-Box, ``rbox`` (8 numbers, optional) the R-Box, else the
    minimum-area rectangle of the mask. Crowd annotations and images without instances are
    left out.

    Args:
        coco (COCO): The ground truth.
        image_dir (str): Folder of the images (``file_name`` is relative to it).
    """

    def __init__(self, coco: COCO, image_dir: str) -> None:
        self.coco, self.image_dir = coco, image_dir
        self.image_ids = [i for i in sorted(coco.getImgIds())
                          if any(not a.get('iscrowd', 0)
                                 for a in coco.loadAnns(coco.getAnnIds(imgIds=i)))]

    def __len__(self) -> int:
        return len(self.image_ids)

    def __iter__(self) -> Iterator[StudyImage]:
        for image_id in self.image_ids:
            info = self.coco.loadImgs(image_id)[0]
            anns = [a for a in self.coco.loadAnns(self.coco.getAnnIds(imgIds=image_id))
                    if not a.get('iscrowd', 0)]
            path = osp.join(self.image_dir, info['file_name'])
            if not osp.isfile(path):
                raise FileNotFoundError(f'{path}: missing image (listed in the ground truth '
                                        f'as image {image_id})')
            image = _read_rgb(path, f'image (image {image_id} of the ground truth)')
            instances = []
            for ann in anns:
                mask = self.coco.annToMask(ann).astype(bool)
                p = instance_prompts(ann, mask)
                instances.append(StudyInstance(p['hbox'], p['rbox'], mask,
                                               int(ann['category_id'])))
            yield StudyImage(info['file_name'], image, instances)


def read_id_list(path: str) -> List[str]:
    """Image ids of a split file, one per line (blank lines ignored).

    Args:
        path (str): The split file (e.g. HRSC2016's ``ImageSets/test.txt``).

    Returns:
        List[str]: The ids, in file order.
    """
    with open(path) as f:
        return [ln.strip() for ln in f if ln.strip()]


class HRSCStudySet:
    """Study images from HRSC2016: each ship's H-Box and R-Box from the XML annotations, its
    ground-truth mask from the image's colour-coded segmentation PNG (the pixels of the ship's
    ``seg_color``).

    As in the SAMRS authors' script, an image takes part when it has ships and every ship has
    a ``seg_color`` (124 of the test images in the paper); the other images are listed in
    :attr:`skipped`. A ship whose colour has no pixel in the PNG keeps an empty ground truth
    (it scores 0 unless SAM's mask is empty too); such ships are listed in
    :attr:`empty_instances` after iterating.

    Args:
        ann_dir (str): Folder of the XML files (``Test/Annotations``).
        seg_dir (str): Folder of the segmentation PNGs, ``<Img_FileName>.png``.
        image_dir (str): Folder of the images, ``<Img_FileName>.<Img_FileFmt>``
            (``Test/AllImages``).
        image_ids (Sequence[str], optional): Image ids (XML stems) to use. Defaults to None
            (every ``.xml`` of ``ann_dir``).

    Raises:
        FileNotFoundError: If ``ann_dir`` is not a folder or an XML of ``image_ids`` is
            missing.
        AnnotationError: From :func:`read_hrsc_xml` for a malformed XML file.
    """

    def __init__(self, ann_dir: str, seg_dir: str, image_dir: str,
                 image_ids: Optional[Sequence[str]] = None) -> None:
        if not osp.isdir(ann_dir):
            raise FileNotFoundError(f'HRSC annotation folder {ann_dir} does not exist')
        if image_ids is None:
            image_ids = sorted(f[:-4] for f in os.listdir(ann_dir) if f.endswith('.xml'))
        self.seg_dir, self.image_dir = seg_dir, image_dir
        self.annotations: List[HRSCAnnotation] = []
        self.skipped: List[str] = []
        self.empty_instances: List[Tuple[str, Optional[int]]] = []
        for stem in image_ids:
            path = osp.join(ann_dir, f'{stem}.xml')
            if not osp.isfile(path):
                raise FileNotFoundError(f'{path}: missing annotation of image {stem}')
            ann = read_hrsc_xml(path)
            if ann.fully_segmented:
                self.annotations.append(ann)
            else:
                self.skipped.append(stem)

    def __len__(self) -> int:
        return len(self.annotations)

    def __iter__(self) -> Iterator[StudyImage]:
        self.empty_instances = []
        for ann in self.annotations:
            image = _read_rgb(osp.join(self.image_dir, ann.image_file), f'image of {ann.path}')
            seg_path = osp.join(self.seg_dir, f'{ann.image_name}.png')
            label = _read_rgb(seg_path, f'segmentation PNG of {ann.path}')
            if label.shape != image.shape:
                raise AnnotationError(seg_path, None, f'segmentation is {label.shape[1]}x'
                                      f'{label.shape[0]} but the image is {image.shape[1]}x'
                                      f'{image.shape[0]}')
            masks = instance_masks_from_colors(label, [o.seg_color for o in ann.objects])
            instances = []
            for obj, mask in zip(ann.objects, masks):
                if not mask.any():
                    self.empty_instances.append((ann.path, obj.line))
                instances.append(StudyInstance(obj.hbox, obj.poly, mask, 0))
            yield StudyImage(ann.image_name, image, instances)


def setting_inputs(labeler: SamBoxLabeler, setting: PromptSetting,
                   instances: Sequence[StudyInstance],
                   cache: Optional[Dict[str, np.ndarray]] = None) -> Dict[str, np.ndarray]:
    """The ``points`` / ``boxes`` / ``mask_inputs`` arrays of :meth:`SamBoxLabeler.predict`
    for ``setting`` on the instances of the image set on ``labeler``.

    Args:
        labeler (SamBoxLabeler): The labeler, its image set.
        setting (PromptSetting): The Table-1 row.
        instances (Sequence[StudyInstance]): The image's instances.
        cache (Dict[str, np.ndarray], optional): Mask inputs per basic prompt already made for
            this image (filled as a side effect). Defaults to None.

    Returns:
        Dict[str, np.ndarray]: ``points (N, 2)``, ``boxes (N, 4)`` and / or
        ``mask_inputs (N, h, w)``, as the setting needs.
    """
    cache = {} if cache is None else cache
    inputs: Dict[str, np.ndarray] = {}
    for name in setting.prompts:
        if name == 'CP':
            inputs['points'] = np.stack([i.prompt(name) for i in instances])
        elif name.endswith('-M'):
            if name not in cache:
                cache[name] = labeler.region_masks([i.prompt(name) for i in instances])
            inputs['mask_inputs'] = cache[name]
        else:
            inputs['boxes'] = np.stack([i.prompt(name) for i in instances])
    return inputs


def run_prompt_study(labeler: SamBoxLabeler, images: Iterable[StudyImage],
                     settings: Optional[Sequence[PromptSetting]] = None,
                     progress: bool = True) -> Dict[str, dict]:
    """mIoU_I / mIoU_P of each setting over every instance of ``images``.

    The image embedding is computed once per image; each setting's prompts are decoded in
    batches of ``labeler.batch_size``.

    Args:
        labeler (SamBoxLabeler): SAM wrapper that decodes the prompts.
        images (Iterable[StudyImage]): The study images (:class:`COCOStudySet`,
            :class:`HRSCStudySet` or a list).
        settings (Sequence[PromptSetting], optional): Rows to evaluate. Defaults to None (all
            of :data:`TABLE1`).
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        Dict[str, dict]: Per setting name, the :meth:`InstanceIoU.compute` result plus
        ``num_images``.
    """
    settings = list(TABLE1) if settings is None else list(settings)
    metrics = {s.name: InstanceIoU() for s in settings}
    total = len(images) if hasattr(images, '__len__') else None  # type: ignore[arg-type]
    num_images = 0
    for sample in tqdm(images, total=total, desc='prompt study', disable=not progress):
        if not sample.instances:
            continue
        num_images += 1
        labeler.set_image(sample.image)
        cache: Dict[str, np.ndarray] = {}
        for setting in settings:
            preds: List[np.ndarray] = []
            for masks, _ in labeler.predict(**setting_inputs(labeler, setting,
                                                             sample.instances, cache)):
                preds.extend(masks)
            for pred, inst in zip(preds, sample.instances):
                metrics[setting.name].add(pred, inst.mask, label=inst.label)
    results = {}
    for name, metric in metrics.items():
        results[name] = metric.compute()
        results[name]['num_images'] = num_images
    return results


def evaluate_prompts(labeler: SamBoxLabeler, coco: COCO, image_dir: str,
                     prompts: Optional[Sequence[str]] = None, progress: bool = True) -> dict:
    """:func:`run_prompt_study` on a COCO ground truth, keyed by the names asked for.

    Args:
        labeler (SamBoxLabeler): SAM wrapper that decodes the prompts.
        coco (COCO): Ground truth (see :class:`COCOStudySet`).
        image_dir (str): Folder of the images (``file_name`` is relative to it).
        prompts (Sequence[str], optional): Setting names of :data:`SETTINGS` or the old names
            ``hbox``/``rhbox``/``point``. Defaults to None (all of :data:`TABLE1`).
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        dict: Per name of ``prompts``, the :meth:`InstanceIoU.compute` result plus
        ``num_images``.

    Raises:
        ValueError: If ``prompts`` names an unknown setting.
        FileNotFoundError: Naming an image of the ground truth that is missing or unreadable.
    """
    settings = resolve_settings(prompts)
    results = run_prompt_study(labeler, COCOStudySet(coco, image_dir), settings, progress)
    names = [s.name for s in settings] if prompts is None else list(prompts)
    return {name: results[s.name] for name, s in zip(names, settings)}


def _fmt(value: float) -> str:
    return 'nan' if value is None or math.isnan(value) else f'{value:.2f}'


def format_table(results: Dict[str, dict], paper: bool = False, mark: str = '✓') -> str:
    """Table 1 in the paper's layout: a check-mark column per basic prompt, then mIoU_I and
    mIoU_P, the rows grouped under Point / H-Box / R-Box / RH-Box in the paper's order.

    Args:
        results (Dict[str, dict]): The result of :func:`run_prompt_study` (settings missing
            from it are left out).
        paper (bool): Add the paper's mIoU_I / mIoU_P beside ours. Defaults to False.
        mark (str): The check mark. Defaults to ``'✓'``.

    Returns:
        str: The table, without a trailing newline.
    """
    widths = [max(len(p), 2) + 2 for p in BASIC_PROMPTS]
    cols = [('mIoU_I', 9), ('mIoU_P', 9)]
    if paper:
        cols += [('paper_I', 10), ('paper_P', 9)]
    head = ''.join(p.center(w) for p, w in zip(BASIC_PROMPTS, widths))
    lines = [head + ''.join(c.rjust(w) for c, w in cols)]
    for group in GROUPS:
        rows = [s for s in TABLE1 if s.group == group and s.name in results]
        if not rows:
            continue
        lines.append(group)
        for s in rows:
            r = results[s.name]
            cells = ''.join((mark if p in s.prompts else '').center(w)
                            for p, w in zip(BASIC_PROMPTS, widths))
            values = [_fmt(r['mIoU_I']), _fmt(r['mIoU_P'])]
            if paper:
                values += [_fmt(s.paper_miou_i), _fmt(s.paper_miou_p)]
            lines.append(cells + ''.join(v.rjust(w) for v, (_, w) in zip(values, cols)))
    return '\n'.join(lines)


def format_summary(results: Dict[str, dict]) -> str:
    """One line per setting: its name, mIoU_I, mIoU_P and the instance count.

    Args:
        results (Dict[str, dict]): Results keyed by setting name (or an old prompt name).

    Returns:
        str: A header line and one line per setting, without a trailing newline.
    """
    rows = [f'{"prompt":<20}{"mIoU_I":>8}{"mIoU_P":>8}{"instances":>11}']
    for name, r in results.items():
        label = LEGACY_PROMPTS.get(name, name)
        rows.append(f'{label:<20}{_fmt(r["mIoU_I"]):>8}{_fmt(r["mIoU_P"]):>8}'
                    f'{r["num_instances"]:>11d}')
    return '\n'.join(rows)
