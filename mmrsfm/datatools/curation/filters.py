"""What OpticalRS-13M keeps: visible 8-bit RGB images with both sides within the size limits.

"Visible RGB" here means a Pillow image of mode ``RGB`` decoded from 8-bit samples, or ``RGBA``
whose alpha is fully opaque (converted to RGB). Everything else goes to the quarantine list
with one of these reasons:

====================  ==========================================================================
``unreadable``        Pillow (and tifffile for TIFF) cannot open or fully decode it (corrupt,
                      truncated, unsupported codec); the detail gives the error.
``grayscale``         one band (``1``, ``L``, ``LA``, ``I;16``, ``I``, ``F``): panchromatic/SAR.
``grayscale_rgb``     three bands that are equal to within ``gray_tolerance`` grey levels at every
                      pixel (panchromatic or SAR saved as RGB).
``palette``           palette image (``P``/``PA``): in RS folders these are label maps.
``multiband``         more than three bands not being an alpha channel (RGB+NIR, multispectral).
``alpha_not_opaque``  RGBA with a non-opaque pixel (no-data areas or a mislabelled 4th band).
``high_bit_depth``    16/32-bit or float colour samples (Pillow would silently cut them to 8 bit).
``other_mode``        another colour space (``CMYK``, ``LAB``, ``HSV``, ``YCbCr``).
``too_small``         a side below ``min_side`` pixels (slicing cannot help).
``too_large``         a side above ``max_side`` pixels and not sliced.
====================  ==========================================================================
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np
from PIL import Image, ImageChops

from mmrsfm.utils.extras import import_from_extra

QUARANTINE_REASONS = ('unreadable', 'grayscale', 'grayscale_rgb', 'palette', 'multiband',
                      'alpha_not_opaque', 'high_bit_depth', 'other_mode', 'too_small',
                      'too_large', 'outside_source_folder')
_GREY_MODES = ('1', 'L', 'LA', 'La', 'I', 'I;16', 'I;16B', 'I;16L', 'I;16N', 'F')


def _rawmode(image: Image.Image) -> str:
    """Pillow's raw (on-disk) sample layout of the first tile, e.g. ``'RGB;16B'`` or ``'RGBX'``."""
    if not image.tile:
        return image.mode
    args = image.tile[0][3]
    return args[0] if isinstance(args, tuple) else str(args)


def _tiff_reason(path: str) -> Optional[Tuple[str, str]]:
    """Classify a TIFF that Pillow cannot open from its header (tifffile)."""
    try:
        tifffile = import_from_extra('tifffile', 'curation', 'OpticalRS-13M curation')
        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            bands, dtype = page.samplesperpixel, page.dtype
    except Exception:  # noqa: BLE001 - any failure here just means "not a readable TIFF"
        return None
    detail = f'{bands} band(s) of {dtype}'
    if bands == 1:
        return 'grayscale', detail
    if bands > 3:
        return 'multiband', detail
    if dtype is not None and np.dtype(dtype).itemsize > 1:
        return 'high_bit_depth', detail
    return None


def header_reason(image: Image.Image) -> Optional[Tuple[str, str]]:
    """Reason to drop an opened (not yet decoded) image from its mode alone, or None.

    Args:
        image (Image.Image): Image opened by :func:`open_image`, not yet decoded.

    Returns:
        Tuple[str, str] | None: ``(reason, detail)`` with a reason of ``grayscale``,
        ``palette``, ``multiband``, ``other_mode`` or ``high_bit_depth``, or ``None`` when the
        mode is 8-bit ``RGB``/``RGBA``.
    """
    mode, raw = image.mode, _rawmode(image)
    if mode in _GREY_MODES:
        return 'grayscale', f'mode {mode}'
    if mode in ('P', 'PA'):
        return 'palette', f'mode {mode}'
    if mode not in ('RGB', 'RGBA'):
        return ('multiband' if len(image.getbands()) > 4 else 'other_mode'), f'mode {mode}'
    if raw.startswith(('RGBX', 'RGBx')):
        return 'multiband', f'mode {mode} read from {raw}: a fourth band is dropped'
    if any(tag in raw for tag in (';16', ';32', 'F;')):
        return 'high_bit_depth', f'mode {mode} read from {raw}'
    return None


def size_reason(width: int, height: int, min_side: int, max_side: int
                ) -> Optional[Tuple[str, str]]:
    """``too_small`` / ``too_large`` for a ``width`` x ``height`` (pixels) image, or None.

    Args:
        width (int): Image width in pixels.
        height (int): Image height in pixels.
        min_side (int): Smallest side allowed, in pixels.
        max_side (int): Largest side allowed, in pixels.

    Returns:
        Tuple[str, str] | None: ``('too_small', detail)`` or ``('too_large', detail)``, or
        ``None`` when both sides are within the limits.
    """
    if min(width, height) < min_side:
        return 'too_small', f'{width}x{height} px, a side < {min_side}'
    if max(width, height) > max_side:
        return 'too_large', f'{width}x{height} px, a side > {max_side}'
    return None


def open_image(path: str) -> Tuple[Optional[Image.Image], Optional[Tuple[str, str]]]:
    """Open ``path`` lazily; returns ``(image, None)`` or ``(None, (reason, detail))``.

    Args:
        path (str): Image file.

    Returns:
        Tuple[Image.Image | None, Tuple[str, str] | None]: The opened (not decoded) image and
        ``None``, or ``None`` and ``(reason, detail)``: ``unreadable``, or for a TIFF that
        Pillow cannot open the band count or depth read by tifffile (``grayscale``,
        ``multiband``, ``high_bit_depth``).
    """
    try:
        return Image.open(path), None
    except Exception as err:  # noqa: BLE001 - Pillow raises many types on bad files
        if path.lower().endswith(('.tif', '.tiff')):
            reason = _tiff_reason(path)
            if reason is not None:
                return None, reason
        return None, ('unreadable', f'{type(err).__name__}: {err}')


def decode_rgb(image: Image.Image, gray_tolerance: int = 2
               ) -> Tuple[Optional[Image.Image], Optional[Tuple[str, str]]]:
    """Fully decode a header-checked image to RGB; ``(rgb, None)`` or ``(None, reason)``.

    Args:
        image (Image.Image): Opened image that passed :func:`header_reason`.
        gray_tolerance (int): Largest per-pixel channel spread (grey levels) of an image still
            called grey; negative disables the check. Defaults to 2.

    Returns:
        Tuple[Image.Image | None, Tuple[str, str] | None]: The decoded ``RGB`` image and
        ``None``, or ``None`` and ``(reason, detail)`` (``unreadable``, ``alpha_not_opaque``
        or ``grayscale_rgb``).
    """
    try:
        image.load()
    except Exception as err:  # noqa: BLE001 - truncated/corrupt data surfaces only here
        return None, ('unreadable', f'{type(err).__name__}: {err}')
    if image.mode != 'RGB':
        alpha = np.asarray(image.getchannel('A'))
        if alpha.min() < 255:
            return None, ('alpha_not_opaque',
                          f'{int((alpha < 255).mean() * 100)}% of pixels not opaque')
        image = image.convert('RGB')
    if gray_tolerance >= 0:
        # max(R, G, B) - min(R, G, B) is the largest pairwise difference; Pillow computes those
        # in C, far faster than numpy reductions over a length-3 axis
        red, green, blue = image.split()
        spread = max(ImageChops.difference(a, b).getextrema()[1]
                     for a, b in ((red, green), (green, blue), (red, blue)))
        if spread <= gray_tolerance:
            return None, ('grayscale_rgb', f'channels differ by at most {spread} levels')
    return image, None
