"""SpaceNet v1 building footprints (GeoJSON) -> binary masks aligned with the image tiles.

Geometry is read with shapely and filled with scikit-image: a pixel is ``1`` (building) when its
centre lies inside a footprint (holes excluded), the rule of ``rasterio.features.rasterize``
without ``all_touched``. Pixel ``(row, col)`` covers ``[col, col + 1) x [row, row + 1)`` in
continuous image coordinates.

Geo-coordinates map to pixels through the tile's GeoTIFF georeferencing, read from its TIFF
tags with Pillow (no GDAL / rasterio needed): ``ModelPixelScale`` + ``ModelTiepoint`` or
``ModelTransformation``, north-up, no rotation. Assumption: the GeoJSON is in the CRS of the
tile (true for SpaceNet v1, both WGS84 longitude/latitude). GeoJSON already in pixel
coordinates is used as is (``pixel_coords=True``).
"""
from __future__ import annotations

import json
import re
from typing import List, Optional, Tuple

import numpy as np
from PIL import Image
from shapely.geometry import MultiPolygon, Polygon, shape

from mmrsfm.utils.extras import import_from_extra

_MODEL_PIXEL_SCALE = 33550
_MODEL_TIEPOINT = 33922
_MODEL_TRANSFORMATION = 34264

#: (a, b, c, d, e, f): x_geo = a + b * col + c * row, y_geo = d + e * col + f * row
GeoTransform = Tuple[float, float, float, float, float, float]


def read_geotransform(tif_path: str) -> Optional[GeoTransform]:
    """Affine pixel -> geo transform of a GeoTIFF (``None`` when it has no georeferencing).

    Args:
        tif_path (str): GeoTIFF file.

    Returns:
        GeoTransform | None: ``(a, b, c, d, e, f)`` with ``x_geo = a + b * col + c * row`` and
        ``y_geo = d + e * col + f * row`` (pixel corner coordinates), or ``None`` when the
        file has neither ``ModelPixelScale`` + ``ModelTiepoint`` nor ``ModelTransformation``.
    """
    with Image.open(tif_path) as image:
        tags = getattr(image, 'tag_v2', {})
        scale, tie = tags.get(_MODEL_PIXEL_SCALE), tags.get(_MODEL_TIEPOINT)
        matrix = tags.get(_MODEL_TRANSFORMATION)
    if scale is not None and tie is not None:
        i, j, _, x, y, _ = (float(v) for v in tie[:6])
        sx, sy = float(scale[0]), float(scale[1])
        return (x - i * sx, sx, 0.0, y + j * sy, 0.0, -sy)
    if matrix is not None and len(matrix) >= 8:
        m = [float(v) for v in matrix]
        return (m[3], m[0], m[1], m[7], m[4], m[5])
    return None


def geo_to_pixel(coords: np.ndarray, transform: GeoTransform) -> np.ndarray:
    """(N, 2) geo ``x, y`` -> (N, 2) continuous pixel ``col, row`` by inverting ``transform``.

    Args:
        coords (np.ndarray): ``(N, 2)`` (or ``(N, 3)``, the third column ignored) geo
            coordinates ``x, y`` in the CRS of ``transform``.
        transform (GeoTransform): Pixel -> geo transform, as :func:`read_geotransform`
            returns it.

    Returns:
        np.ndarray: ``(N, 2)`` float64 continuous pixel coordinates ``col, row``.
    """
    a, b, c, d, e, f = transform
    inv = np.linalg.inv(np.array([[b, c], [e, f]]))
    return (np.asarray(coords, dtype=np.float64)[:, :2] - [a, d]) @ inv.T


def _polygons(geometry) -> List[Polygon]:
    if isinstance(geometry, Polygon):
        return [geometry]
    if isinstance(geometry, MultiPolygon):
        return list(geometry.geoms)
    return [g for part in getattr(geometry, 'geoms', []) for g in _polygons(part)]


def rasterize_footprints(geojson: dict,
                         shape_hw: Tuple[int, int],
                         transform: Optional[GeoTransform] = None,
                         source: str = '<geojson>') -> np.ndarray:
    """Burn a FeatureCollection's polygons into a ``uint8`` mask of ``shape_hw``.

    Args:
        geojson (dict): Parsed GeoJSON (``FeatureCollection``).
        shape_hw (Tuple[int, int]): ``(height, width)`` of the tile in pixels.
        transform (GeoTransform, optional): Pixel -> geo transform; ``None`` means
            coordinates are pixels already. Defaults to None.
        source (str): Name used in errors (e.g. the GeoJSON path). Defaults to '<geojson>'.

    Returns:
        np.ndarray: ``(H, W)`` uint8 mask, 1 inside footprints, 0 elsewhere.

    Raises:
        ValueError: naming ``source`` if ``geojson`` is not a FeatureCollection, or naming
            ``source`` and the feature index of an unreadable geometry.
        MissingExtraError: If scikit-image (the ``conversion`` extra) is not installed.
    """
    if geojson.get('type') != 'FeatureCollection':
        raise ValueError(f'{source}: expected a GeoJSON FeatureCollection, got '
                         f'{geojson.get("type")!r}')
    fill_polygon = import_from_extra('skimage.draw', 'conversion',
                                     'SpaceNet footprint rasterisation').polygon
    mask = np.zeros(shape_hw, dtype=np.uint8)
    for index, feature in enumerate(geojson.get('features', [])):
        geom = (feature or {}).get('geometry')
        if not geom or not geom.get('coordinates'):
            continue  # SpaceNet writes tiles without buildings as empty features
        try:
            polygons = _polygons(shape(geom))
        except Exception as err:  # shapely raises several types for bad geometry
            raise ValueError(f'{source}: feature {index} has an unreadable geometry '
                             f'({err})') from err
        for poly in polygons:
            # Holes are cleared per polygon so they never erase a neighbouring footprint.
            burnt = np.zeros(shape_hw, dtype=bool)
            rings = [(np.array(poly.exterior.coords), True)]
            rings += [(np.array(r.coords), False) for r in poly.interiors]
            for ring, value in rings:
                pix = geo_to_pixel(ring, transform) if transform is not None else ring[:, :2]
                # Pixel centres sit at integer + 0.5 in continuous coordinates.
                rr, cc = fill_polygon(pix[:, 1] - 0.5, pix[:, 0] - 0.5, shape=shape_hw)
                burnt[rr, cc] = value
            mask[burnt] = 1
    return mask


def read_geojson(path: str) -> dict:
    """Load a GeoJSON file; malformed JSON raises an error naming the file and line.

    Args:
        path (str): GeoJSON file (UTF-8).

    Returns:
        dict: The parsed JSON document.

    Raises:
        ValueError: Naming the file and line of malformed JSON.
    """
    with open(path, encoding='utf-8') as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as err:
            raise ValueError(f'{path}:{err.lineno}: malformed GeoJSON ({err.msg})') from err


def spacenet_tile_id(filename: str) -> str:
    """``3band_AOI_1_RIO_img123.tif`` / ``Geo_AOI_1_RIO_img123.geojson`` -> ``img123``.

    Args:
        filename (str): File name (or path) of a SpaceNet image or GeoJSON file.

    Returns:
        str: The tile id ``img<N>``, shared by a tile's image and footprints.

    Raises:
        ValueError: Naming the file if it has no ``img<N>`` in its name.
    """
    match = re.search(r'(img\d+)', filename)
    if match is None:
        raise ValueError(f'{filename}: no SpaceNet tile id (img<N>) in the file name')
    return match.group(1)
