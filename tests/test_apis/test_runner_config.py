"""mmrsfm.apis.runner_config: config loading and the train/test flags."""
import pytest

from mmrsfm.apis import load_config, merge_test_args, merge_train_args
from mmrsfm.apis.config_checks import warn_misspelled_top_level_keys


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
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    (work_dir / 'epoch_1.pth').write_bytes(b'')
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'epoch_1.pth'))
    merge_train_args(cfg, path, work_dir=str(work_dir), resume='auto', auto_scale_lr=True,
                     no_validate=True)
    assert cfg.resume is True and cfg.load_from is None
    assert cfg.auto_scale_lr.enable is True
    assert cfg.val_cfg is None and cfg.val_dataloader is None
    cfg = load_config(path)
    merge_train_args(cfg, path)
    assert cfg.work_dir.endswith('work_dirs/cfg') and not cfg.get('resume')
    merge_train_args(cfg, path, work_dir='w', resume=str(work_dir / 'epoch_1.pth'))
    assert cfg.load_from == str(work_dir / 'epoch_1.pth') and cfg.work_dir == 'w'


def test_resume_with_nothing_to_resume_stops_unless_a_fresh_start_is_allowed(tmp_path):
    path = _write(tmp_path, 'default_scope = "mmpretrain"\n')
    empty = str(tmp_path / 'mistyped_work_dir')
    with pytest.raises(FileNotFoundError, match=r'nothing to resume in the work dir .*'
                       r'mistyped_work_dir.*--allow-fresh-start'):
        merge_train_args(load_config(path), path, work_dir=empty, resume='auto')
    cfg = merge_train_args(load_config(path), path, work_dir=empty, resume='auto',
                           allow_fresh_start=True)
    assert not cfg.get('resume') and cfg.get('load_from') is None
    with pytest.raises(FileNotFoundError, match='gone.pth does not exist'):
        merge_train_args(load_config(path), path, resume=str(tmp_path / 'gone.pth'))


def test_misspelled_top_level_keys_are_reported_with_the_known_key(tmp_path):
    path = _write(tmp_path, 'default_scope = "mmpretrain"\n'
                  'data_root = "data/AID"\ntrain_pipeline = []\ntest_pipeline = []\n'
                  'train_dataloder = dict(batch_size=2)\nval_evaluator = dict()\n'
                  'val_evalutor = dict()\n')
    found = warn_misspelled_top_level_keys(load_config(path), path)
    # Helper variables are legitimate; 'val_evalutor' resembles a key the config already has.
    assert found == {'train_dataloder': 'train_dataloader'}


def test_cfg_option_values_that_do_not_fit_their_key_are_errors_naming_it(tmp_path):
    path = _write(tmp_path, 'default_scope = "mmpretrain"\n'
                  'optim_wrapper = dict(optimizer=dict(type="SGD", lr=0.1))\n'
                  'train_cfg = dict(max_epochs=2, by_epoch=True)\n'
                  'pipeline = [dict(type="Resize", scale=32)]\n')
    with pytest.raises(ValueError, match=r"optim_wrapper.optimizer.lr='abc': expected a number "
                       r"\(the config has 0.1\)"):
        load_config(path, {'optim_wrapper.optimizer.lr': 'abc'})
    with pytest.raises(ValueError, match=r"train_cfg.by_epoch='yes': expected True or False"):
        load_config(path, {'train_cfg.by_epoch': 'yes'})
    with pytest.raises(ValueError, match=r"pipeline.0.scale='big'"):
        load_config(path, {'pipeline.0.scale': 'big'})
    cfg = load_config(path, {'train_cfg.max_epochs': 5, 'optim_wrapper.optimizer.lr': 1,
                             'optim_wrapper.optimizer.momentum': 0.9})
    assert cfg.train_cfg.max_epochs == 5 and cfg.optim_wrapper.optimizer.momentum == 0.9


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
