"""The error every annotation reader raises for a malformed file."""
from typing import Optional, Tuple


class AnnotationError(ValueError):
    """A malformed annotation: ``str(err)`` reads ``FILE:LINE: message`` (``FILE: message``
    when no line applies); ``path``, ``line`` and ``message`` are kept as attributes.

    The error pickles with its three arguments, so it reaches the parent process unchanged when
    a worker of a process pool raises it.

    Args:
        path (str): The annotation file.
        line (int, optional): 1-based line of the fault, ``None`` when none applies.
        message (str): What was expected and what was found.
    """

    def __init__(self, path: str, line: Optional[int], message: str) -> None:
        self.path, self.line, self.message = path, line, message
        where = f'{path}:{line}' if line is not None else path
        super().__init__(f'{where}: {message}')

    def __reduce__(self) -> Tuple[type, Tuple[str, Optional[int], str]]:
        # BaseException pickles ``self.args`` (the formatted message alone), which __init__
        # does not accept: the parent's pool thread would fail to unpickle it and hang.
        return type(self), (self.path, self.line, self.message)
