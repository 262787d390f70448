"""debLoRA from pretraining to the probe in one command, on tiny generated data (``--tiny``):

    python tools/deblora/run_pipeline.py --tiny [--work-dir work_dirs/deblora_pipeline] \
        [--seed 0] [--rows] [--group-samples] [--subprocess] [--skip-detection]

Stages (each a repository tool, its command printed first; by default its ``__main__`` runs in
this interpreter, ``--subprocess`` starts a fresh one per stage):

1. ``selectivemae``  tools/train.py with the CPU SelectiveMAE config on a generated
   OpticalRS-13M-style folder (encoder heads set to the debLoRA tiny ViT's 2);
2. ``convert``       tools/model_converters/vit_to_benchmark.py: its encoder as a ``backbone.*``
   file, checked against the probe's ViT (this replaces the random ViT init of
   ``run_tiny_pipeline.py``);
3. ``lora``          tools/train.py with the tiny LoRA config, starting from that file;
4. ``cluster``       tools/deblora/cluster_features.py: clustering, calibration, stage-3 init;
5. ``deblora``       tools/train.py with the tiny debLoRA config;
6. ``export``        tools/model_converters/export_lora_backbone.py (LoRA and debLoRA, merged);
7. ``probe``         tools/train.py + tools/test.py with the tiny linear probe, one per row.

``--rows`` adds the other comparison rows of the slides' Table 2 on the same data and probe:
Zero-Shot (the converted SelectiveMAE backbone, probed as it is), Fine-Tune, LoRA +
class-balanced sampling and LoRA + logit-adjusted loss.

8. ``detection``     tools/deblora/run_tiny_detection.py: debLoRA for rotated FCOS on generated
   DOTA images (LoRA detector, object-feature clustering, debLoRA, export, detector on the
   de-biased backbone; head / middle / tail mAP), with ``--pretrained`` the converted
   SelectiveMAE backbone of stage 2: the detection ViT takes its architecture (64 wide, 2
   blocks) and its ``pos_embed`` is resized from 32 to 64 px on load. ``--skip-detection``
   leaves it out.

At the end it prints every stage output (work dirs, checkpoints, calibration files, metrics
JSON) and the test macro-F1 (overall / head / middle / tail, ``LongTailF1``'s ``'all_samples'``
groups) per row; ``stage_outputs.json`` and ``results.json`` in the work dir hold the same.
Every stage is seeded with ``--seed``; the generated data does not depend on it.
"""
import argparse
import contextlib
import io
import json
import os
import os.path as osp
import runpy
import subprocess
import sys
import time
from typing import Dict, List

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))
sys.path.insert(0, REPO)
sys.path.insert(0, HERE)
from run_tiny_pipeline import tiny_train_counts, write_crops  # noqa: E402

CONFIGS = osp.join(REPO, 'configs', 'deblora')
SELECTIVEMAE_CFG = osp.join(REPO, 'configs', 'selectivemae',
                            'selectivemae_vit-tiny-p8-32px_1xb8-2e_opticalrs-13m-cpu.py')
LORA_CFG = osp.join(CONFIGS, 'lora_vit-tiny-p8-32px_1xb8-2e_dota-lt.py')
DEBLORA_CFG = osp.join(CONFIGS, 'deblora_vit-tiny-p8-32px_1xb8-2e_dota-lt.py')
PROBE_CFG = osp.join(CONFIGS, 'linear-probe_vit-tiny-p8-32px_1xb8-5e_dota-lt.py')
ZERO_SHOT_CFG = osp.join(CONFIGS, 'zero-shot_vit-tiny-p8-32px_1xb8-5e_dota-lt.py')
FINE_TUNE_CFG = osp.join(CONFIGS, 'fine-tune_vit-tiny-p8-32px_1xb8-2e_dota-lt.py')
BALANCED_CFG = osp.join(CONFIGS, 'lora_vit-tiny-p8-32px_1xb8-class-balanced-2e_dota-lt.py')
LOGIT_ADJUSTED_CFG = osp.join(CONFIGS, 'lora_vit-tiny-p8-32px_1xb8-logit-adjusted-2e_dota-lt.py')
#: Row name -> the tiny LoRA-style config it trains (exported, then probed).
LORA_ROWS = {'LoRA + class-balanced': BALANCED_CFG, 'LoRA + logit-adjusted': LOGIT_ADJUSTED_CFG}
#: Epochs of the tiny configs (their last checkpoint is the one used, as run_tiny_pipeline.py).
TRAIN_EPOCHS, PROBE_EPOCHS = 2, 5
GROUP_KEYS = ('macro_f1', 'head_f1', 'middle_f1', 'tail_f1')
#: Run the tools inside this interpreter (False with --subprocess).
IN_PROCESS = True


def run(*cmd: str) -> str:
    """Run a tool of this repository, as ``python <script> <args>`` from the repository root.

    The command is printed first. By default the tool's ``__main__`` runs in this interpreter
    (:data:`IN_PROCESS`; the OpenMMLab stack is imported once instead of once per stage, which
    is most of a tiny stage's time); ``--subprocess`` starts a fresh interpreter per stage.

    Args:
        *cmd (str): The script (relative to the repository root) and its arguments.

    Returns:
        str: Its standard output.

    Raises:
        SystemExit: The command failed (the end of its output is written to stderr first).
    """
    print('[deblora-pipeline] python ' + ' '.join(cmd), flush=True)
    start = time.time()
    if IN_PROCESS:
        buffer = io.StringIO()
        argv, cwd = sys.argv, os.getcwd()
        sys.argv = [osp.join(REPO, cmd[0]), *cmd[1:]]
        os.chdir(REPO)
        try:
            with contextlib.redirect_stdout(buffer):
                runpy.run_path(sys.argv[0], run_name='__main__')
        except SystemExit as err:
            if err.code not in (None, 0):
                sys.stderr.write(buffer.getvalue()[-4000:])
                raise SystemExit(f'[deblora-pipeline] failed ({err.code}): '
                                 f'{" ".join(cmd)}') from err
        finally:
            sys.argv = argv
            os.chdir(cwd)
        stdout = buffer.getvalue()
    else:
        env = dict(os.environ, PYTHONPATH=REPO)
        result = subprocess.run([sys.executable, *cmd], cwd=REPO, capture_output=True,
                                text=True, env=env)
        if result.returncode != 0:
            sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
            raise SystemExit(f'[deblora-pipeline] failed: {" ".join(cmd)}')
        stdout = result.stdout
    print(f'[deblora-pipeline]   done in {time.time() - start:.0f} s', flush=True)
    return stdout


def probe(name: str, config: str, backbone: str, work_dir: str, common: List[str],
          group_samples: bool = False) -> Dict:
    """Train and test the linear probe of one row on its backbone file.

    Args:
        name (str): Row name (its work dir is ``<work_dir>/probe_<name>``, spaces and ``+``
            replaced).
        config (str): The probe config (the linear probe, or the Zero-Shot row's).
        backbone (str): A checkpoint with ``backbone.*`` keys.
        work_dir (str): Folder of the run.
        common (list[str]): ``--cfg-options`` shared by every stage (seed, data roots).
        group_samples (bool): Also test with ``LongTailF1``'s ``group_mode='group_samples'``
            (the authors' group F1). Defaults to False.

    Returns:
        dict: ``probe_dir``, and per group mode (``'all_samples'``, ``'group_samples'``) the
        test metrics ``tools/test.py`` printed.
    """
    probe_dir = osp.join(work_dir, 'probe_' + name.replace(' + ', '_').replace(' ', '-'))
    options = ['--cfg-options', f'model.backbone.init_cfg.checkpoint={backbone}', *common]
    run('tools/train.py', config, '--work-dir', probe_dir, *options)
    result = dict(probe_dir=probe_dir)
    for mode in ('all_samples', 'group_samples') if group_samples else ('all_samples', ):
        out = run('tools/test.py', config, osp.join(probe_dir, f'epoch_{PROBE_EPOCHS}.pth'),
                  '--work-dir', probe_dir, *options, f'test_evaluator.0.group_mode={mode}')
        line = [ln for ln in out.splitlines() if ln.startswith('metrics: ')][-1]
        result[mode] = json.loads(line[len('metrics: '):])
    return result


def main() -> None:
    """Run the stages and print their outputs and the probes' test macro-F1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--tiny', action='store_true',
                        help='CPU-sized configs on generated data (required: the full-size '
                        'stages are the commands of configs/deblora/README.md)')
    parser.add_argument('--work-dir', default='work_dirs/deblora_pipeline')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of every stage (training, k-means); default 0')
    parser.add_argument('--rows', action='store_true',
                        help='also the Zero-Shot, Fine-Tune, class-balanced and logit-adjusted '
                        'rows')
    parser.add_argument('--group-samples', action='store_true',
                        help="also score every probe with LongTailF1 group_mode='group_samples' "
                        "(the authors' group F1; one more test run per row)")
    parser.add_argument('--skip-detection', action='store_true',
                        help='leave out the oriented-detection (rotated FCOS) stages')
    parser.add_argument('--subprocess', action='store_true',
                        help='run every stage in a fresh interpreter (slower: the OpenMMLab '
                        'stack is imported per stage)')
    args = parser.parse_args()
    global IN_PROCESS
    IN_PROCESS = not args.subprocess
    # Deterministic algorithms on CUDA need a fixed cuBLAS workspace (a no-op on CPU).
    os.environ.setdefault('CUBLAS_WORKSPACE_CONFIG', ':4096:8')
    if not args.tiny:
        parser.error('only --tiny runs here; at full size run the commands of '
                     'configs/deblora/README.md stage by stage')
    work_dir = osp.abspath(args.work_dir)
    import mmrsfm  # noqa: F401
    from mmrsfm.testing.pretrain_runs import selectivemae_cfg_options, write_tiny_opticalrs
    from mmrsfm.utils.atomic_io import atomic_write_json

    outputs: Dict[str, Dict[str, str]] = {}
    data_root = write_crops(work_dir)
    opticalrs = osp.join(work_dir, 'data_opticalrs')
    write_tiny_opticalrs(opticalrs)
    outputs['data'] = dict(dota_lt=data_root, opticalrs=opticalrs)
    print(f'[deblora-pipeline] DOTA-LT-style crops in {data_root} (train counts '
          f'{tiny_train_counts()}); OpticalRS-13M-style images in {opticalrs}')
    seed = f'randomness.seed={args.seed}'
    data = [f'{s}_dataloader.dataset.data_root={data_root}' for s in ('train', 'val', 'test')]
    common = [seed, *data]

    smae_dir = osp.join(work_dir, 'selectivemae')
    smae_ckpt = osp.join(smae_dir, f'epoch_{TRAIN_EPOCHS}.pth')
    # The debLoRA tiny ViT has 2 heads (the SelectiveMAE CPU config 4): same weight shapes, but
    # the heads split the channels differently, so the pretraining uses the downstream split.
    run('tools/train.py', SELECTIVEMAE_CFG, '--work-dir', smae_dir, '--cfg-options',
        *selectivemae_cfg_options(opticalrs), 'model.backbone.arch.num_heads=2', seed)
    outputs['selectivemae'] = dict(work_dir=smae_dir, checkpoint=smae_ckpt)

    pretrained = osp.join(work_dir, 'selectivemae_backbone.pth')
    run('tools/model_converters/vit_to_benchmark.py', smae_ckpt, pretrained, '--config',
        PROBE_CFG)
    outputs['convert'] = dict(backbone=pretrained)
    init = f'model.backbone.module.init_cfg.checkpoint={pretrained}'

    lora_dir, deblora_dir = osp.join(work_dir, 'lora'), osp.join(work_dir, 'deblora')
    lora_ckpt = osp.join(lora_dir, f'epoch_{TRAIN_EPOCHS}.pth')
    run('tools/train.py', LORA_CFG, '--work-dir', lora_dir, '--cfg-options', init, *common)
    outputs['lora'] = dict(work_dir=lora_dir, checkpoint=lora_ckpt)

    calibration = osp.join(lora_dir, 'calibration.npz')
    stage3_init = osp.join(lora_dir, 'calibration_init.pth')
    run('tools/deblora/cluster_features.py', LORA_CFG, lora_ckpt, '--out', calibration,
        '--num-clusters', '8', '--seed', str(args.seed), '--cfg-options', init, *data)
    outputs['cluster'] = dict(calibration=calibration,
                              summary=osp.join(lora_dir, 'calibration.json'),
                              stage3_init=stage3_init)

    deblora_ckpt = osp.join(deblora_dir, f'epoch_{TRAIN_EPOCHS}.pth')
    run('tools/train.py', DEBLORA_CFG, '--work-dir', deblora_dir, '--cfg-options',
        f'model.init_cfg.checkpoint={stage3_init}', seed,
        f'train_dataloader.dataset.data_root={data_root}')
    outputs['deblora'] = dict(work_dir=deblora_dir, checkpoint=deblora_ckpt)

    # Row -> (trained config, its checkpoint, export options); LoRA's module reads `pretrained`.
    adapted = {'LoRA': (LORA_CFG, lora_ckpt, ['--cfg-options', init]),
               'LoRA + debLoRA': (DEBLORA_CFG, deblora_ckpt, [])}
    backbones = {}
    if args.rows:
        backbones['Zero-Shot'] = pretrained
        ft_dir = osp.join(work_dir, 'fine-tune')
        run('tools/train.py', FINE_TUNE_CFG, '--work-dir', ft_dir, '--cfg-options',
            f'model.backbone.init_cfg.checkpoint={pretrained}', *common)
        outputs['fine-tune'] = dict(work_dir=ft_dir,
                                    checkpoint=osp.join(ft_dir, f'epoch_{TRAIN_EPOCHS}.pth'))
        # The fine-tuned ViT is read straight from the checkpoint (backbone.* keys).
        backbones['Fine-Tune'] = outputs['fine-tune']['checkpoint']
        for name, cfg in LORA_ROWS.items():
            row_dir = osp.join(work_dir, name.replace(' + ', '_').replace('LoRA', 'lora'))
            run('tools/train.py', cfg, '--work-dir', row_dir, '--cfg-options', init, *common)
            ckpt = osp.join(row_dir, f'epoch_{TRAIN_EPOCHS}.pth')
            outputs[name] = dict(work_dir=row_dir, checkpoint=ckpt)
            adapted[name] = (cfg, ckpt, ['--cfg-options', init])

    exported = {}
    for name, (cfg, ckpt, options) in adapted.items():
        backbone = osp.join(work_dir, 'backbone_' + name.replace(' + ', '_') + '.pth')
        run('tools/model_converters/export_lora_backbone.py', cfg, ckpt, backbone, *options)
        exported[name] = backbone
    outputs['export'] = exported
    backbones.update(exported)

    order = ['Zero-Shot', 'Fine-Tune', 'LoRA', 'LoRA + class-balanced', 'LoRA + logit-adjusted',
             'LoRA + debLoRA']
    results = {}
    for name in [n for n in order if n in backbones]:
        config = ZERO_SHOT_CFG if name == 'Zero-Shot' else PROBE_CFG
        metrics = probe(name, config, backbones[name], work_dir, common, args.group_samples)
        outputs.setdefault('probe', {})[name] = metrics.pop('probe_dir')
        results[name] = metrics
    results_path = osp.join(work_dir, 'results.json')
    if not args.skip_detection:
        # The detection chain from the SelectiveMAE backbone on generated 64 px DOTA images:
        # LoRA detector, object-feature clustering, debLoRA, export, detector (mAP per group).
        det_dir = osp.join(work_dir, 'detection')
        run('tools/deblora/run_tiny_detection.py', '--work-dir', det_dir, '--seed',
            str(args.seed), '--pretrained', pretrained)
        with open(osp.join(det_dir, 'results.json')) as f:
            detection = json.load(f)
        outputs['detection'] = dict(work_dir=det_dir, **detection['outputs'],
                                    results=osp.join(det_dir, 'results.json'))
        results['detection'] = detection['metrics']
    atomic_write_json(results_path, results, indent=2)
    outputs['metrics'] = dict(results=results_path)
    outputs_path = osp.join(work_dir, 'stage_outputs.json')
    atomic_write_json(outputs_path, outputs, indent=2)

    print('[deblora-pipeline] stage outputs:')
    for stage, items in outputs.items():
        for key, path in items.items():
            print(f'[deblora-pipeline]   {stage:22s} {key:12s} {path}')
    rows = {name: metrics for name, metrics in results.items() if name != 'detection'}
    for mode in ('all_samples', 'group_samples'):
        if not all(mode in metrics for metrics in rows.values()):
            continue
        print('[deblora-pipeline] test macro-F1 (%): overall / head / middle / tail '
              f"(LongTailF1 group_mode='{mode}')")
        for name, metrics in rows.items():
            print(f'[deblora-pipeline]   {name:22s} ' + ' / '.join(
                f'{metrics[mode][f"long-tail/{k}"]:.1f}' for k in GROUP_KEYS))
    if args.skip_detection:
        print('[deblora-pipeline] oriented detection: skipped (--skip-detection)')
    else:
        print('[deblora-pipeline] oriented detection, DOTA mAP (%): all / head / middle / tail')
        for name, metrics in results['detection'].items():
            print(f'[deblora-pipeline]   {name:22s} ' + ' / '.join(
                f'{100 * metrics[f"dota/{k}"]:.1f}'
                for k in ('mAP', 'head_mAP', 'middle_mAP', 'tail_mAP')))
    print(f'[deblora-pipeline] stage outputs in {outputs_path}, metrics in {results_path}')


if __name__ == '__main__':
    main()
