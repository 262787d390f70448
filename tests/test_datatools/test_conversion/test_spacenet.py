"""SpaceNet v1 footprint rasterisation against hand-computed masks."""
import numpy as np
import pytest

from mmrsfm.datatools.conversion import (geo_to_pixel, rasterize_footprints, read_geotransform,
                                         spacenet_tile_id)
from mmrsfm.testing.rs_formats import write_spacenet_v1_release


def _collection(*rings):
    return {'type': 'FeatureCollection', 'features': [
        {'type': 'Feature', 'properties': {}, 'geometry': {'type': 'Polygon', 'coordinates': r}}
        for r in rings]}


def test_rectangle_and_hole_in_pixel_coordinates():
    # Rectangle x in [2, 6], y in [1, 4] covers pixel centres x = 2.5..5.5, y = 1.5..3.5.
    outer = [[2, 1], [6, 1], [6, 4], [2, 4], [2, 1]]
    mask = rasterize_footprints(_collection([outer]), (6, 8))
    expected = np.zeros((6, 8), np.uint8)
    expected[1:4, 2:6] = 1
    np.testing.assert_array_equal(mask, expected)
    # A hole around the centre of pixel (row 2, col 3) only; a triangle above the line
    # y = x - 4.2 burns the pixels whose centres (col + 0.5, row + 0.5) are inside it.
    hole = [[3.2, 2.2], [3.8, 2.2], [3.8, 2.8], [3.2, 2.8], [3.2, 2.2]]
    triangle = [[4.2, 0], [8, 0], [8, 3.8], [4.2, 0]]
    mask = rasterize_footprints(_collection([outer, hole], [triangle]), (6, 8))
    expected[2, 3] = 0
    for row in range(6):
        for col in range(8):
            if row < col - 4.2:
                expected[row, col] = 1
    np.testing.assert_array_equal(mask, expected)


def test_geotiff_georeferencing_maps_lon_lat_to_pixels(tmp_path):
    boxes = write_spacenet_v1_release(str(tmp_path), num_tiles=3, size=(30, 40), seed=2)
    tif = tmp_path / '3band' / '3band_AOI_1_RIO_img2.tif'
    transform = read_geotransform(str(tif))
    assert transform is not None
    lon0, lat0 = -43.7 + 0.002, -22.9
    np.testing.assert_allclose(geo_to_pixel(np.array([[lon0, lat0],
                                                      [lon0 + 4.5e-6 * 7, lat0 - 4.5e-6 * 3]]),
                                            transform), [[0, 0], [7, 3]], atol=1e-6)
    import json
    geojson = json.loads((tmp_path / 'vectordata' / 'geojson' /
                          'Geo_AOI_1_RIO_img2.geojson').read_text())
    mask = rasterize_footprints(geojson, (30, 40), transform)
    expected = np.zeros((30, 40), np.uint8)
    for c0, r0, c1, r1 in boxes['img2']:
        expected[r0:r1, c0:c1] = 1
    np.testing.assert_array_equal(mask, expected)
    assert spacenet_tile_id('3band_AOI_1_RIO_img2.tif') == 'img2'


def test_bad_geojson_is_named():
    with pytest.raises(ValueError, match='tile.geojson: expected a GeoJSON FeatureCollection'):
        rasterize_footprints({'type': 'Feature'}, (4, 4), source='tile.geojson')
    bad = {'type': 'FeatureCollection', 'features': [
        {'type': 'Feature', 'geometry': {'type': 'Polygon', 'coordinates': [[[0, 0], [1]]]}}]}
    with pytest.raises(ValueError, match='tile.geojson: feature 0 has an unreadable geometry'):
        rasterize_footprints(bad, (4, 4), source='tile.geojson')
