"""OpticalRS-13M-style curation: keep visible RGB, slice large images, drop images outside the
size limits, de-duplicate by perceptual hash, write the index :class:`OpticalRS13M` reads.

Modules: ``scan`` (walk source folders), ``filters`` (what is kept, quarantine reasons),
``slicing`` (seeded random crops), ``hashing`` (pHash codes), ``near_duplicates`` (Hamming
search and grouping), ``manifest`` (atomic, resumable shards), ``pipeline`` (the run),
``synthetic`` (generated image sets with known duplicates).
"""
from .filters import QUARANTINE_REASONS
from .hashing import phash_code
from .near_duplicates import choose_kept, group_near_duplicates, hamming_pairs
from .pipeline import CurationConfig, curate
from .slicing import slice_boxes

__all__ = [
    'QUARANTINE_REASONS', 'phash_code', 'choose_kept', 'group_near_duplicates',
    'hamming_pairs', 'CurationConfig', 'curate', 'slice_boxes'
]
