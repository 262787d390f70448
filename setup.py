"""Installation of mmrsfm. Use ``bash tools/setup_env.sh`` for the whole stack (torch, mmcv built
with ops, the OpenMMLab toolboxes); this file installs mmrsfm itself and names its extras."""
import os.path as osp
import re

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))
# Extras of the offline data tools, one requirements/<name>.txt each.
DATA_TOOL_EXTRAS = ('curation', 'samrs', 'deblora', 'conversion')


def get_version() -> str:
    with open(osp.join(HERE, 'mmrsfm', 'version.py')) as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


def parse_requirements(fname: str) -> list:
    """Requirement lines of ``requirements/<fname>``, without comments."""
    reqs = []
    with open(osp.join(HERE, 'requirements', fname)) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                reqs.append(line)
    return reqs


setup(
    name='mmrsfm',
    version=get_version(),
    description='OpenMMLab 2.x toolbox extension for remote-sensing foundation models',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    keywords='remote sensing, foundation model, masked image modeling, OpenMMLab',
    packages=find_packages(exclude=('configs', 'tools', 'tests')),
    include_package_data=True,
    python_requires='>=3.9',
    license='Apache License 2.0',
    install_requires=parse_requirements('runtime.txt'),
    extras_require={
        # Offline data tools (mmrsfm/utils/extras.py names the extra a missing package belongs to).
        **{extra: parse_requirements(f'{extra}.txt') for extra in DATA_TOOL_EXTRAS},
        'all': sum((parse_requirements(f'{extra}.txt') for extra in DATA_TOOL_EXTRAS), []) +
        parse_requirements('optional.txt') + parse_requirements('tests.txt'),
        'tests': parse_requirements('tests.txt'),
        'optional': parse_requirements('optional.txt'),
        # Not installed by default: mmcv needs building from source (tools/install/build_mmcv.py)
        # and mmrotate-dev must be installed with --no-deps.
        'mim': parse_requirements('mminstall.txt'),
    },
    zip_safe=False)
