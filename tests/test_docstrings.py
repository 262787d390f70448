"""The documentation contract of the package (OpenMMLab's Google style), checked on the source.

Every public class, function and method of ``mmrsfm`` has a docstring; each of its arguments is
documented as ``name (type): ...``, with ``Defaults to ...`` when it has a default; a function
that returns something says so in ``Returns:`` (``Yields:`` for generators); class docstrings
document the constructor's arguments; a dataclass documents its fields under ``Args:`` or
``Attributes:``; every registered component (``@REGISTRY.register_module()``) has an
``Examples:`` block.

Run it as a script to list the problems of some files::

    python tests/test_docstrings.py mmrsfm/utils mmrsfm/models/peft/deblora.py
"""
import ast
import glob
import os.path as osp
import re
import sys
from typing import Iterator, List, Optional

PACKAGE = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'mmrsfm')
SKIPPED_ARGS = {'self', 'cls'}


def _entries(doc: str, section: str) -> Optional[str]:
    """The text of a docstring section (``Args:``...), or ``None`` when it is absent."""
    match = re.search(rf'^(\s*){section}:\s*\n(.*?)(?=^\1\S|\Z)', doc, re.M | re.S)
    return match.group(2) if match else None


def _entry_text(section: str, name: str) -> Optional[str]:
    """The text of the entry ``name (type): ...`` of a section, ``None`` if missing or untyped."""
    lines = section.splitlines()
    for i, line in enumerate(lines):
        if re.match(rf'^(\s*)\*{{0,2}}{re.escape(name)} \([^)]+.*\):', line):
            indent = len(line) - len(line.lstrip())
            text = [line]
            for follow in lines[i + 1:]:
                if follow.strip() and len(follow) - len(follow.lstrip()) <= indent:
                    break
                text.append(follow)
            return ' '.join(t.strip() for t in text)
    return None


def _arguments(func: ast.AST) -> List[ast.arg]:
    args = func.args
    return [a for a in args.posonlyargs + args.args + args.kwonlyargs
            if a.arg not in SKIPPED_ARGS]


def _defaults(func: ast.AST) -> set:
    args = func.args
    positional = args.posonlyargs + args.args
    with_default = positional[len(positional) - len(args.defaults):] if args.defaults else []
    names = {a.arg for a in with_default}
    names |= {a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None}
    return names


def _is_registered(node: ast.ClassDef) -> bool:
    return any('register_module' in ast.unparse(d) or 'register_in_toolboxes' in ast.unparse(d)
               for d in node.decorator_list)


def _is_dataclass(node: ast.ClassDef) -> bool:
    return any('dataclass' in ast.unparse(d) for d in node.decorator_list)


def _returns_value(func: ast.AST) -> bool:
    if func.returns is None:
        return False
    return ast.unparse(func.returns) not in ('None', "'None'")


def _is_generator(func: ast.AST) -> bool:
    for node in ast.walk(func):
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            # Only yields of this function, not of nested ones.
            return True
    return False


def _check_args(where: str, doc: str, func: ast.AST) -> Iterator[str]:
    names = _arguments(func)
    if not names:
        return
    section = _entries(doc, 'Args')
    if section is None:
        yield f'{where}: no "Args:" section for {[a.arg for a in names]}'
        return
    defaults = _defaults(func)
    for arg in names:
        text = _entry_text(section, arg.arg)
        if text is None:
            yield f'{where}: argument {arg.arg!r} missing or without "(type)" in Args'
        elif arg.arg in defaults and 'Defaults to' not in text and 'defaults to' not in text:
            yield f'{where}: argument {arg.arg!r} has a default but no "Defaults to ..."'


def _check_function(where: str, func: ast.AST, is_method: bool) -> Iterator[str]:
    doc = ast.get_docstring(func)
    if not doc:
        yield f'{where}: no docstring'
        return
    yield from _check_args(where, doc, func)
    if _returns_value(func):
        section = 'Yields' if _is_generator(func) else 'Returns'
        if _entries(doc, section) is None:
            yield f'{where}: returns {ast.unparse(func.returns)} but has no "{section}:" section'


def _is_property(func: ast.AST) -> bool:
    return any(ast.unparse(d).endswith(('property', 'setter', 'cached_property'))
               for d in func.decorator_list)


def _check_class(where: str, node: ast.ClassDef) -> Iterator[str]:
    doc = ast.get_docstring(node)
    if not doc:
        yield f'{where}: no docstring'
        return
    init = next((n for n in node.body if isinstance(n, ast.FunctionDef)
                 and n.name == '__init__'), None)
    if init is not None:
        yield from _check_args(f'{where}.__init__ (in the class docstring)', doc, init)
    if _is_dataclass(node):
        fields = [n.target.id for n in node.body
                  if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)]
        section = _entries(doc, 'Args') or _entries(doc, 'Attributes') or ''
        for name in fields:
            if _entry_text(section, name) is None:
                yield f'{where}: field {name!r} missing or without "(type)" in Args/Attributes'
    if _is_registered(node) and _entries(doc, 'Examples') is None:
        yield f'{where}: registered component without an "Examples:" block'
    for item in node.body:
        if (isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                and not item.name.startswith('_') and not _is_property(item)):
            yield from _check_function(f'{where}.{item.name}', item, is_method=True)


def check_file(path: str) -> List[str]:
    """Documentation problems of one source file, each ``file:line: name: problem``."""
    tree = ast.parse(open(path).read(), path)
    rel = osp.relpath(path, osp.dirname(PACKAGE))
    problems = []
    for node in tree.body:
        if getattr(node, 'name', '_').startswith('_'):
            continue
        where = f'{rel}:{node.lineno}: {getattr(node, "name", "")}'
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            problems += list(_check_function(where, node, is_method=False))
        elif isinstance(node, ast.ClassDef):
            problems += list(_check_class(where, node))
    return problems


def package_files(paths: Optional[List[str]] = None) -> List[str]:
    """Python files under ``paths`` (files or folders); the whole package by default."""
    files = []
    for path in paths or [PACKAGE]:
        if osp.isdir(path):
            files += glob.glob(osp.join(path, '**', '*.py'), recursive=True)
        else:
            files.append(path)
    return sorted(files)


def test_checker_on_known_docstrings(tmp_path):
    source = tmp_path / 'sample.py'
    source.write_text('''
from x import MODELS


def good(a: int, b: str = 'x') -> int:
    """Do it.

    Args:
        a (int): A.
        b (str): B, on
            two lines. Defaults to 'x'.

    Returns:
        int: The answer.
    """


def bad(a, b=1) -> int:
    """Do it.

    Args:
        a: untyped.
    """


@MODELS.register_module()
class Thing:
    """A thing.

    Args:
        size (int): Size.
    """

    def __init__(self, size, depth=2):
        pass
''')
    problems = check_file(str(source))
    text = '\n'.join(problems)
    assert 'good' not in text
    assert "bad: argument 'a' missing or without \"(type)\"" in text
    assert "bad: argument 'b' missing" in text
    assert 'bad: returns int but has no "Returns:"' in text
    assert "Thing.__init__ (in the class docstring): argument 'depth'" in text
    assert 'Thing: registered component without an "Examples:" block' in text
    assert len(problems) == 5


def test_package_follows_the_documentation_contract():
    problems = [p for path in package_files() for p in check_file(path)]
    assert not problems, f'{len(problems)} problems:\n' + '\n'.join(problems)


if __name__ == '__main__':
    found = [p for path in package_files(sys.argv[1:]) for p in check_file(path)]
    print('\n'.join(found) or 'no problems')
    print(f'{len(found)} problem(s)', file=sys.stderr)
    sys.exit(1 if found else 0)
