"""The optional extras: the core packages import without them, and a data tool whose extra is
missing says which extra to install (packages are hidden by an import blocker, not uninstalled)."""
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

from mmrsfm.utils.extras import EXTRAS, MissingExtraError, import_from_extra, require_extra

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

BLOCKER = '''
import importlib.abc
import importlib.machinery
import sys

BLOCKED = set({blocked!r})


class _HideExtras(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    # A spec whose loading fails: `import x` raises, while importlib.util.find_spec (which torch
    # uses to probe for optional packages) still gets an answer instead of an exception.
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in BLOCKED:
            return importlib.machinery.ModuleSpec(name, self)
        return None

    def create_module(self, spec):
        raise ModuleNotFoundError(f'No module named {{spec.name!r}} (hidden by the test)',
                                  name=spec.name)

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, _HideExtras())
'''


def _requirement_names(path):
    names = []
    with open(path) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                names.append(re.split(r'[<>=!~\[; ]', line, maxsplit=1)[0])
    return names


def _run_without(tmp_path, blocked, args):
    """Run ``python args`` with the import of every package in ``blocked`` failing."""
    site = tmp_path / 'site'
    site.mkdir(exist_ok=True)
    (site / 'sitecustomize.py').write_text(BLOCKER.format(blocked=sorted(blocked)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), REPO]))
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)


def test_requirement_files_match_the_extras_table():
    setup_py = open(osp.join(REPO, 'setup.py')).read()
    runtime = set(_requirement_names(osp.join(REPO, 'requirements', 'runtime.txt')))
    for extra, packages in EXTRAS.items():
        listed = _requirement_names(osp.join(REPO, 'requirements', f'{extra}.txt'))
        assert sorted(listed) == sorted(packages.values()), extra
        assert not runtime & set(listed), f'{extra} packages are also core requirements'
        assert f"'{extra}'" in setup_py, f'setup.py does not declare the extra {extra!r}'


@pytest.mark.slow  # imports the stack in a fresh interpreter
def test_core_packages_import_without_any_extra(tmp_path):
    hidden = {module for packages in EXTRAS.values() for module in packages}
    code = ('import mmrsfm, mmrsfm.models, mmrsfm.datasets, mmrsfm.evaluation, mmrsfm.engine, '
            'mmrsfm.visualization, mmrsfm.apis, mmrsfm.datatools.conversion\n'
            'import sys\n'
            f'print(sorted(m for m in sys.modules if m.split(".")[0] in {sorted(hidden)!r}))')
    result = _run_without(tmp_path, hidden, ['-c', code])
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == '[]'


@pytest.mark.parametrize('extra,args', [
    ('curation', ['tools/dataset_converters/curate_opticalrs.py', '--src', '{src}', '--out',
                  '{out}']),
    ('samrs', ['tools/samrs/generate_labels.py', '--help']),
])
@pytest.mark.slow  # imports the stack in a fresh interpreter
def test_a_tool_without_its_extra_names_the_extra(tmp_path, extra, args):
    (tmp_path / 'src').mkdir()
    args = [a.format(src=tmp_path / 'src', out=tmp_path / 'out') for a in args]
    result = _run_without(tmp_path, set(EXTRAS[extra]), args)
    assert result.returncode != 0
    assert not (tmp_path / 'out').exists(), 'the tool wrote output before checking its extra'
    last = result.stderr.strip().splitlines()[-1]
    assert 'MissingExtraError' in last and f'pip install "mmrsfm[{extra}]"' in last, last
    for requirement in EXTRAS[extra].values():
        assert requirement in last


@pytest.mark.slow  # imports the stack in a fresh interpreter
def test_spacenet_rasterisation_without_scikit_image(tmp_path):
    code = ('from mmrsfm.datatools.conversion import rasterize_footprints\n'
            'rasterize_footprints({"type": "FeatureCollection", "features": []}, (4, 4))')
    result = _run_without(tmp_path, {'skimage'}, ['-c', code])
    assert result.returncode != 0
    assert 'pip install "mmrsfm[conversion]"' in result.stderr
    assert 'scikit-image' in result.stderr


def test_helpers_in_the_installed_environment():
    require_extra('deblora')  # installed by tools/setup_env.sh: no error
    assert import_from_extra('sklearn.cluster', 'deblora').__name__ == 'sklearn.cluster'
    with pytest.raises(KeyError, match='unknown extra'):
        require_extra('nonexistent')
    err = MissingExtraError('curation', ['faiss-cpu', 'tifffile'], 'curation')
    assert str(err) == ('curation needs faiss-cpu, tifffile, which are not installed; install '
                        'them with: pip install "mmrsfm[curation]"')
    assert isinstance(err, ImportError)
