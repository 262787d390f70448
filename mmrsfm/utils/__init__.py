"""Small helpers shared across mmrsfm (no registry entries)."""
from .atomic_io import (atomic_open, atomic_torch_save, atomic_write_bytes, atomic_write_json,
                        atomic_write_text, current_umask)

__all__ = [
    'atomic_open', 'atomic_torch_save', 'atomic_write_bytes', 'atomic_write_json',
    'atomic_write_text', 'current_umask'
]
