"""Dataset preparation: the library behind ``tools/dataset_converters/``.

One concept per module: DOTA annotation files, DOTA patch splitting and merging, DIOR XML ->
COCO, stratified scene-classification splits, SpaceNet v1 footprint rasterisation, colour label
conversion and sliding-window cropping (Potsdam, iSAID), atomic writes and resume markers.
"""
from .dior_coco import dior_to_coco, parse_dior_xml, split_image_ids
from .dota_annotations import (DOTA_V1_CLASSES, DOTAAnnotation, DOTAObject, format_dota_object,
                               parse_dota_lines, read_dota_txt)
from .dota_merge import (RESULTS_GLOBALS, detections_from_results, load_results,
                         merge_patch_detections, parse_patch_name, patch_boxes_to_image,
                         to_quadrilaterals, write_task1_files)
from .dota_split import clip_object, patch_name, sliding_windows, split_image, split_image_file
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
    'dior_to_coco', 'parse_dior_xml', 'split_image_ids', 'DOTA_V1_CLASSES', 'DOTAAnnotation',
    'DOTAObject', 'format_dota_object', 'parse_dota_lines', 'read_dota_txt', 'RESULTS_GLOBALS',
    'detections_from_results', 'load_results', 'merge_patch_detections', 'parse_patch_name',
    'patch_boxes_to_image', 'to_quadrilaterals', 'write_task1_files', 'clip_object', 'patch_name',
    'sliding_windows', 'split_image', 'split_image_file', 'ISAID_LABEL_SUFFIX', 'ISAID_PALETTE',
    'isaid_patch_names', 'POTSDAM_PALETTE', 'POTSDAM_TRAIN_TILES', 'POTSDAM_VAL_TILES',
    'potsdam_split', 'potsdam_tile', 'DoneMarkers', 'atomic_write_bytes', 'atomic_write_image',
    'atomic_write_json', 'atomic_write_text', 'read_image', 'rgb_to_index', 'scan_scene_folder',
    'split_dir_name', 'stratified_split', 'crop_patches', 'window_starts', 'write_patches',
    'geo_to_pixel', 'rasterize_footprints', 'read_geojson', 'read_geotransform', 'spacenet_tile_id'
]
