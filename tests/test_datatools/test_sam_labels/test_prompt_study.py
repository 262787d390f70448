"""Prompt study: the 15 Table-1 settings, each decoded by a real (tiny, random) SAM on HRSC2016-
format and COCO ground truth and scored against an independent computation through
segment-anything's single-prompt API; the printed table's layout."""
import contextlib
import io
import itertools
import json
import math
import os.path as osp
import runpy

import cv2
import numpy as np
import pytest
import torch
from pycocotools.coco import COCO
from segment_anything import SamPredictor

from mmrsfm.datatools.sam_labels.coco import build_coco, encode_mask, instance_annotation
from mmrsfm.datatools.sam_labels.prompt_study import (BASIC_PROMPTS, GROUPS, SETTINGS, TABLE1,
                                                      HRSCStudySet, evaluate_prompts,
                                                      format_summary, format_table,
                                                      instance_prompts, resolve_settings,
                                                      run_prompt_study)
from mmrsfm.datatools.sam_labels.sam_labeler import SamBoxLabeler, region_mask_input
from mmrsfm.testing.hrsc_format import write_hrsc
from tests.conftest import REPO_ROOT

from .conftest import build_tiny_sam


def test_table1_rows_follow_the_papers_structure():
    assert len(TABLE1) == 15 and len(SETTINGS) == 15
    assert [s.group for s in TABLE1] == ['Point'] + ['H-Box'] * 6 + ['R-Box'] * 2 + \
        ['RH-Box'] * 6
    # Each box group holds every combination of {CP, box, box mask} that has the group's box
    # or mask (SAM takes no rotated box, so R-Box has only its mask).
    families = {'H-Box': ('H-Box', 'H-Box-M'), 'R-Box': ('R-Box-M',),
                'RH-Box': ('RH-Box', 'RH-Box-M')}
    for group, own in families.items():
        expected = {c for n in range(1, 4) for c in itertools.combinations(('CP',) + own, n)
                    if set(c) & set(own)}
        assert {s.prompts for s in TABLE1 if s.group == group} == expected
    assert [s.prompts for s in TABLE1 if s.group == 'Point'] == [('CP',)]
    for s in TABLE1:
        assert list(s.prompts) == sorted(s.prompts, key=BASIC_PROMPTS.index)
        assert 0 < s.paper_miou_p <= s.paper_miou_i < 100
    # The paper's text: H-Box alone is best; the best mask prompt is "approximately 60%".
    assert max(TABLE1, key=lambda s: s.paper_miou_i).name == 'H-Box'
    masks_only = [s for s in TABLE1 if all(p.endswith('-M') for p in s.prompts)]
    assert max(s.paper_miou_p for s in masks_only) == pytest.approx(60, abs=1)
    # The text: the point "negatively affects the accuracy of any prompt combinations", and
    # "the mask prompt has a negative impact on the performance of box prompts".
    by_prompts = {s.prompts: s for s in TABLE1}
    for s in TABLE1:
        if 'CP' in s.prompts and len(s.prompts) > 1:
            assert s.paper_miou_i < by_prompts[s.prompts[1:]].paper_miou_i
        if len(s.prompts) == 2 and s.prompts[1] == s.prompts[0] + '-M':
            assert s.paper_miou_i < by_prompts[s.prompts[:1]].paper_miou_i
    assert [s.name for s in resolve_settings(['point', 'CP+R-Box-M'])] == ['CP', 'CP+R-Box-M']
    with pytest.raises(ValueError, match='unknown prompt settings'):
        resolve_settings(['R-Box'])


def test_instance_prompts():
    mask = np.zeros((20, 30), bool)
    mask[5:10, 4:16] = True  # pixels x 4..15, y 5..9 -> continuous box [4, 5, 16, 10]
    ann = dict(bbox=[4, 5, 12, 5])
    prompts = instance_prompts(ann, mask)
    np.testing.assert_allclose(prompts['hbox'], [4, 5, 16, 10])
    np.testing.assert_allclose(prompts['rhbox'], [4, 5, 16, 10], atol=1e-4)
    np.testing.assert_allclose(prompts['point'], [10, 7.5], atol=1e-4)
    ann['rbox'] = [10, 0, 20, 10, 10, 20, 0, 10]
    prompts = instance_prompts(ann, mask)
    np.testing.assert_allclose(prompts['rhbox'], [0, 0, 20, 20])
    np.testing.assert_allclose(prompts['point'], [10, 10])
    np.testing.assert_allclose(prompts['rbox'], np.reshape(ann['rbox'], (4, 2)))


def _reference_scores(image_rgb, ships, gts):
    """Per setting, the intersections and unions of the instances, each decoded alone by
    SamPredictor.predict with prompts built here from the ship parameters."""
    predictor = SamPredictor(build_tiny_sam())
    predictor.set_image(image_rgb)
    h, w = image_rgb.shape[:2]
    scores = {}
    for setting in TABLE1:
        inter, union = [], []
        for ship, gt in zip(ships, gts):
            cx, cy, bw, bh, ang = ship['rbox']
            c, s = math.cos(ang), math.sin(ang)
            rbox = np.array([[cx + a * bw / 2 * c - b * bh / 2 * s,
                              cy + a * bw / 2 * s + b * bh / 2 * c]
                             for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1))])
            hbox = np.array(ship['hbox'], float)
            rhbox = np.r_[rbox.min(0), rbox.max(0)]

            def corners(b):
                return np.array([[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]]])

            kwargs = dict(multimask_output=False)
            for p in setting.prompts:
                if p == 'CP':
                    kwargs.update(point_coords=np.array([[cx, cy]]), point_labels=np.array([1]))
                elif p in ('H-Box', 'RH-Box'):
                    kwargs.update(box=hbox if p == 'H-Box' else rhbox)
                else:
                    region = {'H-Box-M': corners(hbox), 'R-Box-M': rbox,
                              'RH-Box-M': corners(rhbox)}[p]
                    kwargs.update(mask_input=region_mask_input(region, (h, w), 64,
                                                               (16, 16))[None])
            pred = predictor.predict(**kwargs)[0][0]
            inter.append(np.logical_and(pred, gt).sum())
            union.append(np.logical_or(pred, gt).sum())
        scores[setting.name] = (np.array(inter, float), np.array(union, float))
    return scores


def test_every_table1_setting_on_hrsc_ground_truth(tmp_path):
    ships = [dict(hbox=(6, 4, 30, 20), rbox=(18, 12, 26, 10, 0.3), seg_color=(255, 0, 0)),
             dict(hbox=(34, 20, 60, 46), rbox=(47, 33, 30, 12, -0.8), seg_color=(0, 200, 50)),
             dict(hbox=(2, 30, 14, 44), rbox=(8, 37, 14, 6, 1.2), seg_color=(9, 9, 250))]
    written = write_hrsc(str(tmp_path), {
        '100000001': ships,
        '100000002': [dict(ships[0], seg_color=None)],    # no segmentation label: left out
        '100000003': [],                                   # no ships: left out
    })
    # A ship whose colour is missing from the PNG keeps an empty ground truth.
    write_hrsc(str(tmp_path / 'other'), {'100000004': [dict(ships[1], seg_color=(1, 2, 3))]},
               seed=1)
    seg = cv2.imread(str(tmp_path / 'other' / 'Segmentations' / '100000004.png'))
    seg[:] = 0
    cv2.imwrite(str(tmp_path / 'Segmentations' / '100000004.png'), seg)
    for sub, ext in (('AllImages', 'bmp'), ('Annotations', 'xml')):
        (tmp_path / sub / f'100000004.{ext}').write_bytes(
            (tmp_path / 'other' / sub / f'100000004.{ext}').read_bytes())

    study = HRSCStudySet(str(tmp_path / 'Annotations'), str(tmp_path / 'Segmentations'),
                         str(tmp_path / 'AllImages'))
    assert len(study) == 2 and study.skipped == ['100000002', '100000003']
    samples = list(study)
    assert [s.name for s in samples] == ['100000001', '100000004']
    for inst, gt in zip(samples[0].instances, written['100000001']):
        np.testing.assert_array_equal(inst.mask, gt)
    assert len(study.empty_instances) == 1 and study.empty_instances[0][0].endswith(
        '100000004.xml')

    results = run_prompt_study(SamBoxLabeler(build_tiny_sam(), batch_size=4), study,
                               progress=False)
    assert list(results) == list(SETTINGS)
    image = cv2.cvtColor(cv2.imread(str(tmp_path / 'AllImages' / '100000001.bmp')),
                         cv2.COLOR_BGR2RGB)
    other = cv2.cvtColor(cv2.imread(str(tmp_path / 'AllImages' / '100000004.bmp')),
                         cv2.COLOR_BGR2RGB)
    ref = _reference_scores(image, ships, written['100000001'])
    ref_other = _reference_scores(other, [ships[1]], [np.zeros((48, 64), bool)])
    for name, r in results.items():
        # Pool the two images by hand (Eq. 1): instances with an empty union are left out.
        inter = np.r_[ref[name][0], ref_other[name][0]]
        union = np.r_[ref[name][1], ref_other[name][1]]
        keep = union > 0
        assert r['num_images'] == 2
        assert r['num_instances'] == keep.sum() and r['num_empty'] == 4 - keep.sum()
        assert r['mIoU_I'] == pytest.approx(100 * np.mean(inter[keep] / union[keep])), name
        assert r['mIoU_P'] == pytest.approx(100 * inter.sum() / union.sum()), name
    # Different prompts give different masks: the settings are not all the same computation.
    assert len({round(r['mIoU_I'], 6) for r in results.values()}) > 5


def test_evaluate_prompts_on_coco_against_direct_sam(tmp_path):
    rng = np.random.RandomState(1)
    image = rng.randint(0, 255, (48, 64, 3), np.uint8)
    cv2.imwrite(str(tmp_path / 'img.png'), image)
    gts = [np.zeros((48, 64), bool) for _ in range(3)]
    gts[0][5:20, 6:30] = True
    gts[1][25:45, 30:60] = True
    gts[2][30:34, 2:12] = True
    rboxes = [None, [30, 25, 60, 25, 60, 45, 30, 45], None]
    anns = []
    for gt, rbox in zip(gts, rboxes):
        ys, xs = np.nonzero(gt)
        ann = instance_annotation(encode_mask(gt), 0, [xs.min(), ys.min(), xs.max() + 1,
                                                       ys.max() + 1])
        if rbox:
            ann['rbox'] = rbox
        anns.append(ann)
    path = tmp_path / 'gt.json'
    path.write_text(json.dumps(build_coco(
        [dict(file_name='img.png', height=48, width=64, annotations=anns)], ['ship'])))

    names = ['hbox', 'point', 'RH-Box+RH-Box-M', 'CP+R-Box-M']
    results = evaluate_prompts(SamBoxLabeler(build_tiny_sam(), batch_size=2), COCO(str(path)),
                               str(tmp_path), names, progress=False)
    assert list(results) == names

    predictor = SamPredictor(build_tiny_sam())
    predictor.set_image(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    for name in names:
        inters, unions = [], []
        for ann, gt in zip(anns, gts):
            p = instance_prompts(ann, gt)
            rh = p['rhbox']
            rh_corners = np.array([[rh[0], rh[1]], [rh[2], rh[1]], [rh[2], rh[3]],
                                   [rh[0], rh[3]]])
            kwargs = {
                'hbox': dict(box=p['hbox']),
                'point': dict(point_coords=p['point'][None], point_labels=np.array([1])),
                'RH-Box+RH-Box-M': dict(box=rh, mask_input=region_mask_input(
                    rh_corners, (48, 64), 64, (16, 16))[None]),
                'CP+R-Box-M': dict(point_coords=p['point'][None], point_labels=np.array([1]),
                                   mask_input=region_mask_input(p['rbox'], (48, 64), 64,
                                                                (16, 16))[None]),
            }[name]
            pred = predictor.predict(multimask_output=False, **kwargs)[0][0]
            inters.append(np.logical_and(pred, gt).sum())
            unions.append(np.logical_or(pred, gt).sum())
        inters, unions = np.array(inters, float), np.array(unions, float)
        assert results[name]['mIoU_I'] == pytest.approx(100 * np.mean(inters / unions))
        assert results[name]['mIoU_P'] == pytest.approx(100 * inters.sum() / unions.sum())
        assert results[name]['num_instances'] == 3
    summary = format_summary(results).splitlines()
    assert summary[0].split() == ['prompt', 'mIoU_I', 'mIoU_P', 'instances']
    assert [ln.split()[0] for ln in summary[1:]] == ['H-Box', 'CP', 'RH-Box+RH-Box-M',
                                                     'CP+R-Box-M']


def test_table_layout():
    # Distinct made-up scores per row, so every printed number can be traced to its row.
    results = {s.name: dict(mIoU_I=10.0 + i, mIoU_P=50.5 + i, num_instances=3, num_empty=0)
               for i, s in enumerate(TABLE1)}
    del results['CP+R-Box-M']
    results['CP']['mIoU_P'] = float('nan')
    lines = format_table(results, paper=True, mark='x').splitlines()
    header = lines[0]
    assert header.split() == list(BASIC_PROMPTS) + ['mIoU_I', 'mIoU_P', 'paper_I', 'paper_P']
    assert [ln for ln in lines if ln in GROUPS] == list(GROUPS)
    assert len(lines) == 1 + 4 + 14
    # Each column is its name with one space either side; a mark sits inside that span.
    spans = {}
    for p in BASIC_PROMPTS:
        start = header.index(f' {p} ')
        spans[p] = (start, start + len(p) + 2)
    group = None
    rows = []
    for ln in lines[1:]:
        if ln in GROUPS:
            group = ln
            continue
        numbers = ln.split()[-4:]
        marks = {p for p, (a, b) in spans.items() if 'x' in ln[a:b]}
        rows.append((group, marks, numbers))
    kept = [s for s in TABLE1 if s.name != 'CP+R-Box-M']
    assert [(g, m) for g, m, _ in rows] == [(s.group, set(s.prompts)) for s in kept]
    for (_, _, numbers), s in zip(rows, kept):
        r = results[s.name]
        ours = ['nan' if math.isnan(r['mIoU_P']) else f'{r["mIoU_P"]:.2f}']
        paper = [f'{s.paper_miou_i:.2f}', f'{s.paper_miou_p:.2f}']
        assert numbers == [f'{r["mIoU_I"]:.2f}'] + ours + paper
    plain = format_table({'H-Box': results['H-Box']}).splitlines()
    assert plain[0].split()[-2:] == ['mIoU_I', 'mIoU_P'] and plain[1] == 'H-Box'
    assert '✓' in plain[2] and plain[2].split()[-2:] == ['11.00', '51.50']


def _load_tool():
    return runpy.run_path(osp.join(REPO_ROOT, 'tools', 'samrs', 'evaluate_prompts.py'),
                          run_name='evaluate_prompts')


def test_cli_ground_truth_options():
    parse_args = _load_tool()['parse_args']
    base = ['--images', 'imgs', '--sam-checkpoint', 'sam.pth']
    for extra in ([], ['--gt', 'a.json', '--hrsc-ann', 'ann'], ['--hrsc-ann', 'ann'],
                  ['--gt', 'a.json', '--split', 'test.txt'],
                  ['--gt', 'a.json', '--settings', 'CP', '--prompts', 'hbox'],
                  ['--gt', 'a.json', '--settings', 'R-Box']):
        with pytest.raises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
            parse_args(base + extra)
    args = parse_args(base + ['--hrsc-ann', 'ann', '--hrsc-seg', 'seg', '--settings', 'CP',
                              'CP+RH-Box+RH-Box-M'])
    assert args.settings == ['CP', 'CP+RH-Box+RH-Box-M'] and args.prompts is None


@pytest.mark.slow
def test_cli_on_hrsc_layout(tmp_path):
    # The tool end to end on the HRSC2016 layout with a randomly initialised SAM vit_b read
    # from a checkpoint file (its image encoder makes this slow on CPU).
    from segment_anything import sam_model_registry
    write_hrsc(str(tmp_path), {'1': [dict(hbox=(6, 4, 30, 20), rbox=(18, 12, 26, 10, 0.3),
                                          seg_color=(255, 0, 0))],
                               '2': [dict(hbox=(6, 4, 30, 20), rbox=(18, 12, 26, 10, 0.3))]})
    (tmp_path / 'test.txt').write_text('1\n2\n')
    torch.manual_seed(0)
    checkpoint = str(tmp_path / 'sam_vit_b_random.pth')
    torch.save(sam_model_registry['vit_b'](checkpoint=None).state_dict(), checkpoint)
    out = tmp_path / 'study.json'
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = _load_tool()['main'](
            ['--images', str(tmp_path / 'AllImages'), '--hrsc-ann', str(tmp_path / 'Annotations'),
             '--hrsc-seg', str(tmp_path / 'Segmentations'), '--split', str(tmp_path / 'test.txt'),
             '--sam-checkpoint', checkpoint, '--model-type', 'vit_b', '--device', 'cpu',
             '--paper', '--out', str(out), '--no-progress'])
    assert status == 0
    lines = stdout.getvalue().splitlines()
    assert lines[0] == 'HRSC2016: 1 images with segmentation labels, 1 without (left out)'
    assert lines[1] == 'Table 1 (SAMRS prompt study): 1 images, 1 instances'
    assert lines[2].split() == list(BASIC_PROMPTS) + ['mIoU_I', 'mIoU_P', 'paper_I', 'paper_P']
    assert len(lines[2:]) == 1 + 4 + 15 + 1 and lines[-1].startswith('results: ')
    with open(out) as f:
        study = json.load(f)
    assert list(study) == list(SETTINGS)
    assert all(r['num_images'] == 1 for r in study.values())
