"""Faults fed to the DOTA split/merge tools: a malformed label under a process pool, and a
results file that would run code when unpickled."""
import glob
import json
import os
import os.path as osp
import pickle
import pickletools
import subprocess
import sys

import numpy as np
import pytest
import torch

from mmrsfm.datasets.formats import DOTA_V1_CLASSES, read_dota_txt
from tests.conftest import REPO_ROOT
from tests.test_tools.test_dataset_converters import load_tool, make_dota_release


def _run(args, timeout=180):
    """Run a tool; a hang fails the test instead of blocking the suite."""
    env = dict(os.environ, PYTHONPATH=REPO_ROOT, OMP_NUM_THREADS='1')
    try:
        return subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env, text=True,
                              capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f'{" ".join(args)} did not finish in {timeout} s (hung)')


def test_dota_split_nproc_2_reports_malformed_label_and_exits(tmp_path, capsys):
    src, out = str(tmp_path / 'DOTA'), str(tmp_path / 'split')
    make_dota_release(src)
    args = [src, out, '--phases', 'val', '--size', '200', '--gap', '100', '--nproc', '2']
    load_tool('dota_split').main(args)
    assert 'val: 8 new patches' in capsys.readouterr().out

    label = osp.join(src, 'val', 'labelTxt', 'P1001.txt')
    with open(label) as f:
        bad_line = len(f.readlines()) + 1
    with open(label, 'a') as f:
        f.write('10 10 20 10 20 20 10 10 Ship 0\n')  # class names are lower case
    os.remove(osp.join(out, 'val', '.done', 'P1001__1.0'))  # make the image be split again
    # As users run it; before the fix the pool never returned.
    result = _run(['tools/dataset_converters/dota_split.py', *args])
    assert result.returncode == 1, (result.stdout[-2000:], result.stderr[-3000:])
    assert f"P1001.txt:{bad_line}: unknown class 'Ship'" in result.stderr


def _crafted_pickle(path, marker):
    class Payload:

        def __reduce__(self):
            return open, (marker, 'w')  # unpickling creates the marker file

    with open(path, 'wb') as f:
        pickle.dump([{'img_id': 'P0000__1.0__0___0', 'pred_instances': Payload()}], f,
                    protocol=2)


def test_dota_merge_refuses_code_in_results_file(tmp_path):
    preds, marker = str(tmp_path / 'preds.pkl'), str(tmp_path / 'pwned')
    _crafted_pickle(preds, marker)
    with pytest.raises(SystemExit, match=r'preds\.pkl: refusing to load io\.open'):
        load_tool('dota_merge').main([preds, str(tmp_path / 'Task1')])
    assert not osp.exists(marker) and not osp.exists(tmp_path / 'Task1')


def _dump_results_like_tools_test(samples, path):
    """Write ``samples`` through mmengine's Evaluator + DumpResults (tools/test.py --out)."""
    from mmengine.evaluator import DumpResults, Evaluator
    evaluator = Evaluator([DumpResults(out_file_path=path)])
    evaluator.process(samples)
    evaluator.evaluate(len(samples))


def test_dota_merge_reads_a_genuine_results_file(tmp_path, capsys):
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    from mmrotate.structures.bbox import QuadriBoxes, RotatedBoxes
    from mmrotate.structures.bbox.box_converters import qbox2rbox

    src, out = str(tmp_path / 'DOTA'), str(tmp_path / 'split')
    make_dota_release(src)
    load_tool('dota_split').main([src, out, '--phases', 'val', '--size', '200', '--gap', '100'])
    samples = []
    for ann in sorted(glob.glob(osp.join(out, 'val', 'annfiles', '*.txt'))):
        name = osp.basename(ann)[:-4]
        objects = [o for o in read_dota_txt(ann).objects
                   if o.poly.min() > 0 and o.poly.max() < 200]  # not cut by the border
        quads = torch.tensor(np.array([o.poly.ravel() for o in objects]).reshape(-1, 8),
                             dtype=torch.float32)
        labels = torch.tensor([DOTA_V1_CLASSES.index(o.name) for o in objects],
                              dtype=torch.long)
        # As the val pipeline packs it (labels after ConvertBoxType), plus the predictions.
        sample = DetDataSample(metainfo=dict(
            img_id=name, img_path=osp.join(out, 'val', 'images', name + '.png'),
            ori_shape=(200, 200), img_shape=(200, 200), scale_factor=(1.0, 1.0)))
        sample.gt_instances = InstanceData(bboxes=QuadriBoxes(quads).convert_to('rbox'),
                                           labels=labels)
        sample.pred_instances = InstanceData(bboxes=qbox2rbox(quads),
                                             scores=torch.linspace(1.0, 0.5, len(objects)),
                                             labels=labels)
        samples.append(sample)
    preds = str(tmp_path / 'preds.pkl')
    _dump_results_like_tools_test(samples, preds)
    with open(preds, 'rb') as f:
        written = {arg for op, arg, _ in pickletools.genops(f.read()) if op.name == 'GLOBAL'}
    # What the restricted reader has to serve beyond builtins: box structures and tensors.
    assert {'mmrotate.structures.bbox.rotated_boxes RotatedBoxes',
            'torch._utils _rebuild_tensor_v2', 'torch.storage _load_from_bytes'} <= written
    assert isinstance(samples[0].gt_instances.bboxes, RotatedBoxes)

    task1 = str(tmp_path / 'Task1')
    capsys.readouterr()
    load_tool('dota_merge').main([preds, task1, '--eval-ann-dir',
                                  osp.join(src, 'val', 'labelTxt')])
    scores = json.loads(capsys.readouterr().out.split('dota task1: ')[1])
    assert scores['mAP'] == pytest.approx(1.0)
