"""The package's import graph shows its architecture: what training imports (models, datasets,
evaluation, engine) never imports the offline data tooling (``mmrsfm.datatools``) or the test
helpers (``mmrsfm.testing``)."""
import ast
import glob
import os.path as osp

import pytest

import mmrsfm

PACKAGE = osp.dirname(osp.abspath(mmrsfm.__file__))
RUNTIME = ('models', 'datasets', 'evaluation', 'engine', 'visualization')
FORBIDDEN = ('mmrsfm.datatools', 'mmrsfm.testing')


def _module_name(path):
    rel = osp.relpath(path, osp.dirname(PACKAGE))[:-3].replace(osp.sep, '.')
    return rel[:-len('.__init__')] if rel.endswith('.__init__') else rel


def imported_modules(path):
    """Absolute names of the modules ``path`` imports (relative imports resolved)."""
    name = _module_name(path)
    package = name if path.endswith('__init__.py') else name.rsplit('.', 1)[0]
    found = []
    for node in ast.walk(ast.parse(open(path).read(), path)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')
                base = base[:len(base) - node.level + 1]
                target = '.'.join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found.append(target)
            found += [f'{target}.{alias.name}' for alias in node.names]
    return found


def test_import_resolution_on_known_lines(tmp_path):
    # The resolver itself, on a module whose imports we know.
    path = osp.join(PACKAGE, 'evaluation', 'dota_merged_metric.py')
    modules = imported_modules(path)
    assert 'mmrsfm.evaluation.functional.dota_merge' in modules
    assert 'mmrsfm.evaluation.functional.dota_eval' in modules


@pytest.mark.parametrize('subpackage', RUNTIME)
def test_runtime_packages_do_not_import_data_tooling(subpackage):
    offenders = []
    for path in sorted(glob.glob(osp.join(PACKAGE, subpackage, '**', '*.py'), recursive=True)):
        for module in imported_modules(path):
            if module.startswith(FORBIDDEN):
                offenders.append(f'{osp.relpath(path, PACKAGE)} imports {module}')
    assert not offenders, '\n'.join(offenders)
