"""mmrsfm.apis.runner_config: config loading and the train/test flags."""
import pytest

from mmrsfm.apis import load_config, merge_test_args, merge_train_args


def _write(tmp_path, text, name='cfg.py'):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_missing_or_unknown_scope_is_reported_with_the_file(tmp_path):
    no_scope = _write(tmp_path, 'model = dict(type="X")\n')
    with pytest.raises(ValueError, match=r"cfg.py: default_scope is None"):
        load_config(no_scope)
    bad = _write(tmp_path, 'default_scope = "mmfoo"\n', 'bad.py')
    with pytest.raises(ValueError, match=r"bad.py: default_scope is 'mmfoo'"):
        load_config(bad)
    with pytest.raises(FileNotFoundError, match='nope.py'):
        load_config(str(tmp_path / 'nope.py'))


def test_cfg_options_and_train_flags(tmp_path):
    path = _write(tmp_path, 'default_scope = "mmpretrain"\n'
                  'optim_wrapper = dict(optimizer=dict(type="SGD", lr=0.1))\n'
                  'auto_scale_lr = dict(base_batch_size=256)\n'
                  'val_cfg = dict()\nval_dataloader = dict()\nval_evaluator = dict()\n')
    cfg = load_config(path, {'optim_wrapper.optimizer.lr': 0.5})
    assert cfg.optim_wrapper.optimizer.lr == 0.5
    merge_train_args(cfg, path, resume='auto', auto_scale_lr=True, no_validate=True)
    assert cfg.resume is True and cfg.load_from is None
    assert cfg.auto_scale_lr.enable is True
    assert cfg.val_cfg is None and cfg.val_dataloader is None
    assert cfg.work_dir.endswith('work_dirs/cfg')
    merge_train_args(cfg, path, work_dir='w', resume='ckpt.pth')
    assert cfg.load_from == 'ckpt.pth' and cfg.work_dir == 'w'


def test_auto_scale_lr_needs_base_batch_size(tmp_path):
    path = _write(tmp_path, 'default_scope = "mmpretrain"\noptim_wrapper = dict()\n')
    with pytest.raises(ValueError, match='base_batch_size'):
        merge_train_args(load_config(path), path, auto_scale_lr=True)


def test_test_out_appends_a_dump_metric(tmp_path):
    path = _write(tmp_path, 'default_scope = "mmdet"\n'
                  'test_evaluator = dict(type="VOCMetric")\n')
    cfg = merge_test_args(load_config(path), path, 'c.pth', out='r.pkl')
    assert [m['type'] for m in cfg.test_evaluator] == ['VOCMetric', 'DumpResults']
    assert cfg.load_from == 'c.pth'
    with pytest.raises(ValueError, match='.pkl'):
        merge_test_args(load_config(path), path, 'c.pth', out='r.json')


def test_amp_switches_the_optim_wrapper_or_explains(tmp_path):
    import torch
    path = _write(tmp_path, 'default_scope = "mmpretrain"\n'
                  'optim_wrapper = dict(type="OptimWrapper", optimizer=dict(type="SGD"))\n')
    if torch.cuda.is_available():
        cfg = merge_train_args(load_config(path), path, amp=True)
        assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
        assert cfg.optim_wrapper.loss_scale == 'dynamic'
    else:
        with pytest.raises(RuntimeError, match='--amp needs a CUDA device'):
            merge_train_args(load_config(path), path, amp=True)
