"""The error every annotation reader raises for a malformed file."""
from typing import Optional


class AnnotationError(ValueError):
    """A malformed annotation: ``str(err)`` reads ``FILE:LINE: message`` (``FILE: message``
    when no line applies); ``path``, ``line`` and ``message`` are kept as attributes."""

    def __init__(self, path: str, line: Optional[int], message: str) -> None:
        self.path, self.line, self.message = path, line, message
        where = f'{path}:{line}' if line is not None else path
        super().__init__(f'{where}: {message}')
