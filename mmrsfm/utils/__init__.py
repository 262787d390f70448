"""Small helpers shared across mmrsfm (no registry entries)."""
from .atomic_io import (atomic_torch_save, atomic_write_bytes, atomic_write_json,
                        atomic_write_text)

__all__ = ['atomic_write_bytes', 'atomic_write_text', 'atomic_write_json', 'atomic_torch_save']
