"""The prompt type per SAMRS subset as the paper chose it (Sec. 2.5: SOTA and SIOR H-Box, FAST
RH-Box): the commands of docs/samrs_label_generation.md, parsed by the tool's own argument
parser, resolve to it, and generation with it on tiny DOTA / DIOR / FAIR1M data (tiny random
SAM) records it and prompts with the boxes computed here by hand."""
import json
import os.path as osp
import re
import runpy
import shlex
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from mmrsfm.datasets.formats import ClassMapper
from mmrsfm.datasets.samrs_metainfo import FAST_CLASSES, SIOR_CLASSES, SOTA_CLASSES
from mmrsfm.datatools.sam_labels.generation import LabelGenerator
from mmrsfm.datatools.sam_labels.sam_labeler import SamBoxLabeler
from mmrsfm.testing.rs_formats import write_dior, write_dota
from tests.conftest import REPO_ROOT

from .conftest import build_tiny_sam

DOCS = osp.join(REPO_ROOT, 'docs', 'samrs_label_generation.md')
TOOL = 'tools/samrs/generate_labels.py'
PAPER_PROMPT = {'sota': 'hbox', 'sior': 'hbox', 'fast': 'rhbox'}


def documented_commands():
    """The argument lists of every generate_labels.py command in the docs' bash blocks (shell
    variables such as ``$k`` read as 0)."""
    with open(DOCS) as f:
        text = f.read()
    commands = []
    for block in re.findall(r'```bash\n(.*?)```', text, flags=re.S):
        for line in block.replace('\\\n', ' ').splitlines():
            if TOOL not in line or line.lstrip().startswith('#'):
                continue
            tokens = shlex.split(re.sub(r'\$\{?\w+\}?', '0', line))
            args = tokens[tokens.index(TOOL) + 1:]
            for i, token in enumerate(args):
                if token in ('&', ';', '&&', '|', '>') or token.startswith('>'):
                    args = args[:i]
                    break
            commands.append(args)
    return commands


def test_documented_commands_use_the_papers_prompt_per_subset():
    parse_args = runpy.run_path(osp.join(REPO_ROOT, TOOL))['parse_args']
    seen = {}
    for argv in documented_commands():
        args = parse_args(argv)
        if args.classes in PAPER_PROMPT:
            assert args.prompt == PAPER_PROMPT[args.classes], argv
            seen.setdefault(args.classes, []).append(argv)
    # Each subset has its plain command and a sharded one (torchrun, Slurm array, background).
    assert sorted(seen) == ['fast', 'sior', 'sota']
    assert all(len(v) >= 2 for v in seen.values()), seen
    # An explicit --prompt wins over the subset default.
    argv = seen['sota'][0] + ['--prompt', 'rhbox']
    assert parse_args(argv).prompt == 'rhbox'


def _generate(tmp_path, name, images, anns, fmt, classes, spec):
    parse_args = runpy.run_path(osp.join(REPO_ROOT, TOOL))['parse_args']
    args = parse_args(['--images', images, '--annotations', anns, '--format', fmt,
                       '--classes', spec, '--sam-checkpoint', 'unused.pth',
                       '--out', str(tmp_path / name)])
    gen = LabelGenerator(args.out, ClassMapper(classes), fmt,
                         lambda: SamBoxLabeler(build_tiny_sam()), prompt=args.prompt)
    summary = gen.run(images, anns, progress=False)
    with open(osp.join(args.out, 'instances.json')) as f:
        coco = json.load(f)
    return summary, coco


def _xywh(x1, y1, x2, y2):
    return [x1, y1, x2 - x1, y2 - y1]


def test_sota_prompts_dota_polygons_with_their_enclosing_box(tmp_path):
    write_dota(str(tmp_path / 'dota'), num_images=2, size=64, num_classes=5, seed=3)
    root = tmp_path / 'dota' / 'trainval'
    summary, coco = _generate(tmp_path, 'sota', str(root / 'images'), str(root / 'annfiles'),
                              'dota', SOTA_CLASSES, 'sota')
    expected = []
    for img in coco['images']:
        for line in (root / 'annfiles' / (img['file_name'][:-4] + '.txt')).read_text().split('\n'):
            if line:
                xy = np.array(line.split()[:8], float).reshape(4, 2)
                expected.append(_xywh(*xy.min(0), *xy.max(0)))
    assert summary['prompt'] == 'hbox' and summary['prompt_types'] == {'hbox': len(expected)}
    assert [a['prompt'] for a in coco['annotations']] == ['hbox'] * len(expected)
    np.testing.assert_allclose([a['bbox'] for a in coco['annotations']], expected)
    assert coco['info']['prompt'] == 'hbox'


def test_sior_prompts_dior_boxes(tmp_path):
    ids = write_dior(str(tmp_path / 'dior'), splits={'train': 2}, size=64, seed=1)['train']
    hbb = tmp_path / 'dior' / 'Annotations' / 'Horizontal Bounding Boxes'
    summary, coco = _generate(tmp_path, 'sior', str(tmp_path / 'dior' / 'JPEGImages-trainval'),
                              str(hbb), 'dior', SIOR_CLASSES, 'sior')
    expected = []
    for img_id in ids:
        for box in ET.parse(str(hbb / f'{img_id}.xml')).getroot().iter('bndbox'):
            x1, y1, x2, y2 = (float(box.find(t).text) - 1
                              for t in ('xmin', 'ymin', 'xmax', 'ymax'))
            expected.append(_xywh(x1, y1, x2, y2))
    assert summary['prompt'] == 'hbox' and summary['prompt_types'] == {'hbox': len(expected)}
    np.testing.assert_allclose([a['bbox'] for a in coco['annotations']], expected)


FAIR1M_OBJECT = ('<object><possibleresult><name>{name}</name></possibleresult><points>'
                 '{points}</points></object>')


@pytest.mark.parametrize('spec', ['fast', 'class_map'])
def test_fast_prompts_fair1m_rotated_boxes_with_rh_boxes(tmp_path, spec):
    import cv2
    (tmp_path / 'images').mkdir()
    (tmp_path / 'xml').mkdir()
    corners = [[(10, 20), (30, 8), (40, 26), (20, 38)], [(40, 40), (60, 44), (58, 54), (38, 50)]]
    cv2.imwrite(str(tmp_path / 'images' / '0.png'),
                np.random.RandomState(0).randint(0, 255, (64, 64, 3), np.uint8))
    objects = ''.join(FAIR1M_OBJECT.format(name=name, points=''.join(
        f'<point>{x:.6f},{y:.6f}</point>' for x, y in pts + [pts[0]]))
        for name, pts in zip(('Small Car', 'Tugboat'), corners))
    (tmp_path / 'xml' / '0.xml').write_text(f'<annotation><objects>{objects}</objects>'
                                            '</annotation>')
    if spec == 'class_map':  # own class map -> auto, which gives RH-Box to rotated boxes too
        spec = str(tmp_path / 'classes.json')
        with open(spec, 'w') as f:
            json.dump(list(FAST_CLASSES), f)
    summary, coco = _generate(tmp_path, 'fast', str(tmp_path / 'images'), str(tmp_path / 'xml'),
                              'fair1m', FAST_CLASSES, spec)
    assert summary['prompt'] == ('rhbox' if spec == 'fast' else 'auto')
    assert summary['prompt_types'] == {'rhbox': 2}
    np.testing.assert_allclose([a['bbox'] for a in coco['annotations']],
                               [_xywh(10, 8, 40, 38), _xywh(38, 40, 60, 54)])
