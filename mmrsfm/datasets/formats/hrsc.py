"""Reading HRSC2016 annotations: one XML file per image, horizontal and rotated boxes of each ship.

::

    <HRSC_Image>
      <Img_FileName>100000624</Img_FileName>
      <Img_FileFmt>bmp</Img_FileFmt>
      <Img_SizeWidth>1166</Img_SizeWidth>
      <Img_SizeHeight>753</Img_SizeHeight>
      <segmented>1</segmented>
      ...
      <HRSC_Objects>
        <HRSC_Object>
          <Class_ID>100000013</Class_ID>
          <difficult>0</difficult>
          <box_xmin>194</box_xmin> <box_ymin>243</box_ymin>            H-Box
          <box_xmax>972</box_xmax> <box_ymax>507</box_ymax>
          <mbox_cx>582.93</mbox_cx> <mbox_cy>353.20</mbox_cy>          R-Box: centre,
          <mbox_w>778.13</mbox_w> <mbox_h>174.25</mbox_h>              size and angle
          <mbox_ang>-0.2144</mbox_ang>                                 (radians)
          <segmented>1</segmented>
          <seg_color>255,0,0</seg_color>                               colour in the mask PNG
          <header_x>964</header_x> <header_y>290</header_y>            bow
        </HRSC_Object>
      </HRSC_Objects>
    </HRSC_Image>

Every ship has both boxes. The H-Box is read as written (``box_xmin, box_ymin, box_xmax,
box_ymax`` in pixels), as the SAMRS authors prompt SAM with it. The R-Box corners follow the
convention of mmrotate's HRSC reader (``le90`` boxes): with ``c = cos(mbox_ang)`` and
``s = sin(mbox_ang)`` in image coordinates (``x`` right, ``y`` down), the width axis points along
``(c, s)`` and the height axis along ``(-s, c)``; corner ``k`` is
``centre + a_k * w / 2 * (c, s) + b_k * h / 2 * (-s, c)`` for ``(a_k, b_k)`` =
``(-1, -1), (1, -1), (1, 1), (-1, 1)``. (Checked on a released file: its bow point
``header_x/y`` lies inside the R-Box at one end of the width axis under this convention, and
far outside it under the mirrored one.)

The test images that carry segmentation labels give each segmented ship a ``seg_color``
(``R,G,B``): the ship's pixels in the image's colour-coded segmentation PNG have exactly that
colour (see :func:`instance_masks_from_colors`). Ships without labels leave ``seg_color`` empty.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .annotation_error import AnnotationError
from .objects import DetObject
from .xml_lines import LineMap, child_floats, parse_xml_with_lines

_HBOX_TAGS = ('box_xmin', 'box_ymin', 'box_xmax', 'box_ymax')
_RBOX_TAGS = ('mbox_cx', 'mbox_cy', 'mbox_w', 'mbox_h', 'mbox_ang')
#: ``(a_k, b_k)`` of the four corners, see the module docstring.
_CORNER_SIGNS = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=np.float64)


@dataclass
class HRSCObject:
    """One ship of an HRSC2016 annotation file.

    Attributes:
        class_id (str): ``<Class_ID>`` as written (the HRSC class hierarchy's id).
        hbox (np.ndarray): H-Box of shape (4,), ``x1, y1, x2, y2`` in pixels, as written.
        rbox (np.ndarray): R-Box of shape (5,), ``cx, cy, w, h`` in pixels and the angle in
            radians, as written.
        poly (np.ndarray): Corners of the R-Box, shape (4, 2), ``x, y`` in pixels.
        difficult (bool): The ``<difficult>`` flag.
        seg_color (Tuple[int, int, int], optional): ``R, G, B`` of the ship in the image's
            segmentation PNG; ``None`` when the ship has no segmentation label.
        header (np.ndarray, optional): Bow point of shape (2,) in pixels, when given.
        line (int, optional): 1-based line of the ``<HRSC_Object>`` element.
    """
    class_id: str
    hbox: np.ndarray
    rbox: np.ndarray
    poly: np.ndarray
    difficult: bool = False
    seg_color: Optional[Tuple[int, int, int]] = None
    header: Optional[np.ndarray] = None
    line: Optional[int] = None

    @property
    def center(self) -> np.ndarray:
        """np.ndarray: The R-Box centre ``(2,)`` in pixels (the CP prompt of SAMRS)."""
        return self.rbox[:2].copy()


@dataclass
class HRSCAnnotation:
    """The image fields and ships of one HRSC2016 annotation file.

    Attributes:
        path (str): The XML file.
        image_name (str): ``<Img_FileName>`` (the image stem; the file stem when absent).
        image_format (str): ``<Img_FileFmt>`` (``'bmp'`` in the release; ``'bmp'`` when
            absent).
        width (int, optional): ``<Img_SizeWidth>`` in pixels; ``None`` when absent.
        height (int, optional): ``<Img_SizeHeight>`` in pixels; ``None`` when absent.
        segmented (bool): The image-level ``<segmented>`` flag.
        objects (List[HRSCObject]): The ships, in file order.
    """
    path: str
    image_name: str
    image_format: str = 'bmp'
    width: Optional[int] = None
    height: Optional[int] = None
    segmented: bool = False
    objects: List[HRSCObject] = field(default_factory=list)

    @property
    def image_file(self) -> str:
        """str: The image file name, ``image_name.image_format``."""
        return f'{self.image_name}.{self.image_format}'

    @property
    def fully_segmented(self) -> bool:
        """bool: Whether the image has ships and every ship has a ``seg_color``, the rule by
        which the SAMRS authors' script picks the test images of the prompt study."""
        return bool(self.objects) and all(o.seg_color is not None for o in self.objects)

    def det_objects(self, label: int = 0, name: str = 'ship') -> List[DetObject]:
        """The ships as :class:`DetObject` (H-Box and R-Box corners), all of one class.

        Args:
            label (int): Class index given to every ship. Defaults to 0.
            name (str): Class name given to every ship. Defaults to ``'ship'``.

        Returns:
            List[DetObject]: One object per ship, in file order.
        """
        return [DetObject(label=label, name=name, hbox=o.hbox.copy(), poly=o.poly.copy(),
                          difficult=o.difficult, line=o.line) for o in self.objects]


def rbox_corners(cx: float, cy: float, w: float, h: float, angle: float) -> np.ndarray:
    """Corners ``(4, 2)`` of an HRSC R-Box (the convention of the module docstring).

    Args:
        cx (float): Centre ``x`` in pixels.
        cy (float): Centre ``y`` in pixels.
        w (float): Size along the width axis ``(cos a, sin a)`` in pixels.
        h (float): Size along the height axis ``(-sin a, cos a)`` in pixels.
        angle (float): ``a``, in radians.

    Returns:
        np.ndarray: Float64 corners ``x, y`` in pixels, shape (4, 2).
    """
    c, s = math.cos(angle), math.sin(angle)
    axes = np.array([[w / 2 * c, w / 2 * s], [-h / 2 * s, h / 2 * c]])
    return np.array([cx, cy]) + _CORNER_SIGNS @ axes


def _text(node: ET.Element, tag: str) -> str:
    child = node.find(tag)
    return (child.text or '').strip() if child is not None else ''


def _flag(node: ET.Element, tag: str, path: str, lines: LineMap, line: Optional[int]) -> bool:
    text = _text(node, tag)
    if not text:
        return False
    try:
        return int(text) != 0
    except ValueError:
        raise AnnotationError(path, lines.get(node.find(tag), line),
                              f'<{tag}> must be an integer, found {text!r}') from None


def _size(root: ET.Element, tag: str, path: str, lines: LineMap) -> Optional[int]:
    text = _text(root, tag)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = float('nan')
    if not value.is_integer() or value <= 0:
        raise AnnotationError(path, lines.get(root.find(tag)),
                              f'<{tag}> must be a positive whole number of pixels, '
                              f'found {text!r}')
    return int(value)


def _seg_color(node: ET.Element, path: str, lines: LineMap,
               line: Optional[int]) -> Optional[Tuple[int, int, int]]:
    text = _text(node, 'seg_color')
    if not text:
        return None
    parts = [p.strip() for p in text.split(',')]
    try:
        rgb = tuple(int(p) for p in parts)
    except ValueError:
        rgb = ()
    if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
        raise AnnotationError(path, lines.get(node.find('seg_color'), line),
                              f'<seg_color> must be "R,G,B" with three integers in 0..255, '
                              f'found {text!r}')
    return rgb  # type: ignore[return-value]


def _read_object(node: ET.Element, path: str, lines: LineMap) -> HRSCObject:
    line = lines.get(node)
    hbox = child_floats(node, _HBOX_TAGS, path, line)
    rbox = child_floats(node, _RBOX_TAGS, path, line)
    if not (np.all(np.isfinite(hbox)) and np.all(np.isfinite(rbox))):
        raise AnnotationError(path, line, 'non-finite coordinate')
    if hbox[2] < hbox[0] or hbox[3] < hbox[1]:
        raise AnnotationError(path, line, f'H-Box has box_xmax < box_xmin or box_ymax < '
                              f'box_ymin: {hbox.tolist()}')
    if rbox[2] < 0 or rbox[3] < 0:
        raise AnnotationError(path, line, f'R-Box has a negative size: mbox_w={rbox[2]}, '
                              f'mbox_h={rbox[3]}')
    header = None
    if _text(node, 'header_x') and _text(node, 'header_y'):
        header = child_floats(node, ('header_x', 'header_y'), path, line)
    return HRSCObject(class_id=_text(node, 'Class_ID'), hbox=hbox, rbox=rbox,
                      poly=rbox_corners(*rbox), difficult=_flag(node, 'difficult', path,
                                                                lines, line),
                      seg_color=_seg_color(node, path, lines, line), header=header, line=line)


def read_hrsc_xml(path: str) -> HRSCAnnotation:
    """Read an HRSC2016 XML annotation file.

    Args:
        path (str): The ``.xml`` file (``Annotations/<Img_FileName>.xml`` in the release).

    Returns:
        HRSCAnnotation: The image fields and the ships, each with its H-Box, R-Box (and its
        corners) and segmentation colour.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        AnnotationError: (a ``ValueError``) naming ``path`` and the line of the fault: malformed
            XML, a root other than ``<HRSC_Image>``, a ship without one of the ``box_*`` /
            ``mbox_*`` coordinates or with a non-numeric one, an inverted H-Box, a negative
            R-Box size, a ``<seg_color>`` that is not ``R,G,B``, a flag that is not an integer
            or an image size that is not a positive whole number.
    """
    root, lines = parse_xml_with_lines(path)
    if root.tag != 'HRSC_Image':
        raise AnnotationError(path, lines.get(root),
                              f'expected an <HRSC_Image> root element, found <{root.tag}>')
    stem = path.replace('\\', '/').rsplit('/', 1)[-1].rsplit('.', 1)[0]
    objects = [_read_object(node, path, lines)
               for node in root.findall('HRSC_Objects/HRSC_Object')]
    return HRSCAnnotation(path=path, image_name=_text(root, 'Img_FileName') or stem,
                          image_format=_text(root, 'Img_FileFmt') or 'bmp',
                          width=_size(root, 'Img_SizeWidth', path, lines),
                          height=_size(root, 'Img_SizeHeight', path, lines),
                          segmented=_flag(root, 'segmented', path, lines, lines.get(root)),
                          objects=objects)


def instance_masks_from_colors(label_rgb: np.ndarray,
                               colors: Sequence[Tuple[int, int, int]]) -> np.ndarray:
    """Instance masks from a colour-coded segmentation image: pixels equal to each colour.

    Args:
        label_rgb (np.ndarray): ``(H, W, 3)`` uint8 segmentation image in ``R, G, B`` order.
        colors (Sequence[Tuple[int, int, int]]): ``R, G, B`` of each instance
            (:attr:`HRSCObject.seg_color`).

    Returns:
        np.ndarray: ``(N, H, W)`` bool masks, one per colour, in the order of ``colors``.

    Raises:
        ValueError: If ``label_rgb`` is not ``(H, W, 3)``.
    """
    label_rgb = np.asarray(label_rgb)
    if label_rgb.ndim != 3 or label_rgb.shape[2] != 3:
        raise ValueError(f'expected an (H, W, 3) RGB segmentation image, got {label_rgb.shape}')
    masks = np.zeros((len(colors), *label_rgb.shape[:2]), dtype=bool)
    for i, rgb in enumerate(colors):
        masks[i] = np.all(label_rgb == np.asarray(rgb, dtype=label_rgb.dtype), axis=2)
    return masks
