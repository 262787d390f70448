"""OpticalRS-13M-style curation: keep visible RGB, slice large images, drop images outside the
size limits, de-duplicate by perceptual hash, write the index :class:`OpticalRS13M` reads.

Modules: ``scan`` (walk source folders), ``filters`` (what is kept, quarantine reasons),
``slicing`` (seeded random crops), ``hashing`` (pHash codes), ``near_duplicates`` (Hamming
search and grouping), ``manifest`` (atomic, resumable shards), ``pipeline`` (the run),
``review`` (reviewed de-duplication decisions applied to a finished run).
Generated image sets with known duplicates for tests are in
:mod:`mmrsfm.testing.synthetic_images`.
"""
from mmrsfm.utils.extras import require_extra

require_extra('curation', 'OpticalRS-13M curation (mmrsfm.datatools.curation)')

from .filters import QUARANTINE_REASONS  # noqa: E402
from .hashing import phash_code  # noqa: E402
from .near_duplicates import choose_kept, group_near_duplicates, hamming_pairs  # noqa: E402
from .pipeline import CurationConfig, curate  # noqa: E402
from .review import ReviewError, group_id, load_review  # noqa: E402
from .slicing import slice_boxes  # noqa: E402

__all__ = [
    'QUARANTINE_REASONS', 'phash_code', 'choose_kept', 'group_near_duplicates',
    'hamming_pairs', 'CurationConfig', 'curate', 'slice_boxes', 'ReviewError', 'group_id',
    'load_review'
]
