"""Offline dataset conversion: the library behind ``tools/dataset_converters/``.

One concept per module: DOTA patch splitting, FAIR1M tiling (the same rule, FAIR1M XML),
DOTA-LT object crops, DIOR XML -> COCO,
stratified scene-classification splits, SpaceNet v1 footprint rasterisation, colour label
conversion and sliding-window cropping (Potsdam, iSAID), image writes and resume markers.
Annotation files are read through :mod:`mmrsfm.datasets.formats`; the DOTA patch merge lives
with the metric that needs it, in :mod:`mmrsfm.evaluation.functional`.
"""
from .dior_coco import dior_to_coco, split_image_ids
from .dota_lt import (DOTA_LT_CLASSES, DOTA_LT_GROUPS, crop_box, dota_lt_stats, hold_out,
                      plan_dota_lt, write_image_crops)
from .dota_split import (clip_object, cut_patches, patch_name, sliding_windows, split_image,
                         split_image_file, split_to_folder)
from .fair1m_split import FAIR1M_GAP, FAIR1M_TILE_SIZE, split_fair1m_file
from .isaid import ISAID_LABEL_SUFFIX, ISAID_PALETTE, isaid_patch_names
from .potsdam import (POTSDAM_PALETTE, POTSDAM_TRAIN_TILES, POTSDAM_VAL_TILES, potsdam_split,
                      potsdam_tile)
from .resumable import (DoneMarkers, atomic_write_bytes, atomic_write_image, atomic_write_json,
                        atomic_write_text, read_image)
from .rgb_labels import rgb_to_index
from .scene_split import scan_scene_folder, split_dir_name, stratified_split
from .seg_patches import crop_patches, window_starts, write_patches
from .spacenet import (geo_to_pixel, rasterize_footprints, read_geojson, read_geotransform,
                       spacenet_tile_id)

__all__ = [
    'dior_to_coco', 'split_image_ids', 'DOTA_LT_CLASSES', 'DOTA_LT_GROUPS', 'crop_box',
    'dota_lt_stats', 'hold_out', 'plan_dota_lt', 'write_image_crops', 'clip_object', 'cut_patches',
    'patch_name', 'sliding_windows', 'split_image', 'split_image_file', 'split_to_folder',
    'FAIR1M_GAP', 'FAIR1M_TILE_SIZE', 'split_fair1m_file', 'ISAID_LABEL_SUFFIX', 'ISAID_PALETTE',
    'isaid_patch_names', 'POTSDAM_PALETTE', 'POTSDAM_TRAIN_TILES', 'POTSDAM_VAL_TILES',
    'potsdam_split', 'potsdam_tile', 'DoneMarkers', 'atomic_write_bytes', 'atomic_write_image',
    'atomic_write_json', 'atomic_write_text', 'read_image', 'rgb_to_index', 'scan_scene_folder',
    'split_dir_name', 'stratified_split', 'crop_patches', 'window_starts', 'write_patches',
    'geo_to_pixel', 'rasterize_footprints', 'read_geojson', 'read_geotransform', 'spacenet_tile_id'
]
