__version__ = '0.1.0'


def parse_version_info(version_str: str) -> tuple:
    """Parse a version string like ``'0.1.0'`` or ``'0.1.0rc1'`` into a comparable tuple.

    Args:
        version_str (str): The version, dot-separated numbers with an optional ``rcN`` suffix
            on one part.

    Returns:
        tuple: The numeric parts as ``int`` and a release candidate as the string ``'rcN'``,
        e.g. ``(0, 1, 0, 'rc1')`` for ``'0.1.0rc1'``.

    Examples:
        >>> parse_version_info('0.1.0rc1')
        (0, 1, 0, 'rc1')
    """
    parts = []
    for x in version_str.split('.'):
        if x.isdigit():
            parts.append(int(x))
        elif 'rc' in x:
            major, rc = x.split('rc')
            parts.extend([int(major), f'rc{rc}'])
    return tuple(parts)


version_info = parse_version_info(__version__)
