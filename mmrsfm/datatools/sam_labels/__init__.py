"""SAMRS label generation: detection annotations -> SAM box prompts -> semantic PNGs and COCO-RLE
instances (sharded over processes if wanted), plus the prompt-study metrics and a reader of the
authors' instance pickles.

See ``docs/samrs_label_generation.md`` and ``tools/samrs/generate_labels.py``.
"""
from mmrsfm.utils.extras import require_extra

require_extra('samrs', 'SAMRS label generation (mmrsfm.datatools.sam_labels)')

from mmrsfm.datasets.formats import AnnotationError, ClassMapper, DetObject  # noqa: E402

from .annotations import ANNOTATION_FORMATS, load_objects  # noqa: E402
from .authors_pickle import PickleLayoutError, read_instance_pickle  # noqa: E402
from .coco import (build_coco, encode_mask, instance_annotation, merge_coco,  # noqa: E402
                   subset_coco)
from .generation import LabelGenerator, pair_images  # noqa: E402
from .label_maps import (DEFAULT_OVERLAP_ORDER, OVERLAP_ORDERS, colorize, paint_order,  # noqa: E402
                         render_semantic)
from .metrics import InstanceIoU, intersection_union  # noqa: E402
from .prompts import (BOX_PROMPTS, SUBSET_PROMPTS, box_prompt, build_box_prompts,  # noqa: E402
                      center_point, default_prompt, horizontal_box, prompt_kind, rhbox_from_polygon)
from .sam_labeler import SAM_MODEL_TYPES, SamBoxLabeler, build_sam  # noqa: E402
from .shard_merge import ShardMergeError, merge_shards  # noqa: E402
from .sharding import ShardSpec, resolve_shard, shard_device, shard_from_env, shard_of  # noqa: E402

__all__ = [
    'ANNOTATION_FORMATS', 'AnnotationError', 'ClassMapper', 'DetObject', 'load_objects',
    'PickleLayoutError',
    'read_instance_pickle', 'build_coco', 'encode_mask', 'instance_annotation', 'merge_coco',
    'subset_coco', 'LabelGenerator', 'pair_images', 'DEFAULT_OVERLAP_ORDER', 'OVERLAP_ORDERS',
    'colorize', 'paint_order', 'render_semantic', 'InstanceIoU', 'intersection_union',
    'BOX_PROMPTS', 'box_prompt', 'build_box_prompts', 'center_point', 'rhbox_from_polygon',
    'SAM_MODEL_TYPES', 'SamBoxLabeler', 'build_sam', 'SUBSET_PROMPTS', 'default_prompt',
    'horizontal_box', 'prompt_kind', 'ShardMergeError', 'merge_shards', 'ShardSpec',
    'resolve_shard', 'shard_device', 'shard_from_env', 'shard_of'
]
