"""Training-step throughput, peak memory and FLOPs of SelectiveMAE against mmpretrain's MAE, same
backbone, batch and input, measured in one process run, with the activation memory autograd saves
and a projection of CUDA memory at a per-GPU batch (usable without a GPU).

    python tools/analysis_tools/benchmark_pretrain.py --arch b --batch 8 --steps 3
    python tools/analysis_tools/benchmark_pretrain.py --arch l --batch 64 --steps 20 \
        --device cuda --amp
    python tools/analysis_tools/benchmark_pretrain.py --arch b --batch 8 --steps 3 \
        --project-batch 256 --project-precision fp16

Prints steps/s of each, their ratio, peak memory (CUDA max allocated on GPU; peak RSS growth on
CPU, measured after resetting the kernel's high-water mark), the share of SelectiveMAE's step
spent in token selection, and the FLOPs of one forward pass of each (mmengine's FlopAnalyzer).

Besides, for each model: the bytes of the activations autograd saves for backward in one forward
pass at ``--batch`` (distinct storages, parameters excluded; ``mmrsfm.utils.memory``), and a
projection of CUDA memory at ``--project-batch`` in ``--project-precision``::

    M(B) = 4 P + 4 P_t + 8 P_t + A(B),    A(B) = A(1) + (B - 1) (A(2) - A(1))

``P`` parameter and buffer elements (fp32 weights, kept in fp32 under AMP), ``P_t`` trainable
ones (fp32 gradients; AdamW exp_avg and exp_avg_sq), ``A(b)`` the saved-activation bytes measured
at batch 1 and 2 (forward only) in that precision: fp32, or autocast (bf16 on CPU, which has the
size of fp16). A projection, not a measurement: it leaves out the CUDA context, allocator
fragmentation, library workspaces and the temporaries of the backward pass.
"""
import argparse
import copy
import gc
import multiprocessing
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import torch  # noqa: E402

import mmrsfm  # noqa: E402,F401

DIMS = {'b': 768, 'l': 1024}


def build_model(name: str, arch: str, decoder_depth: int, img: int):
    from mmpretrain.registry import MODELS

    import mmrsfm.models  # noqa: F401
    head = dict(type='MAEPretrainHead', norm_pix=True, patch_size=16,
                loss=dict(type='PixelReconstructionLoss', criterion='L2'))
    preprocessor = dict(type='SelfSupDataPreprocessor', mean=[0, 0, 0], std=[1, 1, 1])
    num_patches = (img // 16)**2
    selective = dict(
        type='SelectiveMAE',
        backbone=dict(type='SelectiveMAEViT', arch=arch, img_size=img, patch_size=16),
        neck=dict(type='CrossAttentionDecoder', num_patches=num_patches, embed_dim=DIMS[arch],
                  decoder_embed_dim=512, decoder_depth=decoder_depth, decoder_num_heads=16),
        head=head,
        token_selector=dict(type='HOGTokenSelector', patch_size=16, mask_ratio=0.85,
                            recon_ratio=0.25, psts=dict(boundaries=(0.35, 0.375, 0.725, 0.75))),
        data_preprocessor=preprocessor)
    mae = dict(
        type='MAE',
        backbone=dict(type='MAEViT', arch=arch, img_size=img, patch_size=16, mask_ratio=0.75),
        neck=dict(type='MAEPretrainDecoder', num_patches=num_patches, patch_size=16,
                  embed_dim=DIMS[arch], decoder_embed_dim=512, decoder_depth=8,
                  decoder_num_heads=16),
        head=copy.deepcopy(head),
        data_preprocessor=preprocessor)
    from mmengine.registry import init_default_scope
    init_default_scope('mmpretrain')
    return MODELS.build(selective if name == 'SelectiveMAE' else mae)


def _sync(device):
    if device == 'cuda':
        torch.cuda.synchronize()


def _rss_kib(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def _reset_peak(device):
    gc.collect()
    if device == 'cuda':
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        return torch.cuda.memory_allocated()
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')  # reset VmHWM to the current RSS
    except OSError:
        print('[benchmark_pretrain] cannot reset the RSS high-water mark (/proc/self/clear_refs):'
              ' CPU peak memory includes building the model', flush=True)
    return _rss_kib('VmRSS:') * 1024


def _peak(device, base):
    if device == 'cuda':
        return torch.cuda.max_memory_allocated() - base
    return _rss_kib('VmHWM:') * 1024 - base


def _half_dtype(device: str) -> torch.dtype:
    return torch.bfloat16 if device == 'cpu' else torch.float16


def forward_loss(model, x: torch.Tensor, selective: bool) -> torch.Tensor:
    """The training loss of one batch (token selection included for SelectiveMAE)."""
    if selective:
        visible, targets, _ = model.select(x)
        pred, target = model.reconstruction(x, visible, targets)
        return torch.nn.functional.mse_loss(pred.float(), target.float())
    return model.loss(x, None)['loss']


def run(model, x, steps, warmup, device, amp, selective):
    model.to(device).train()
    optim = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95))
    select_time = step_time = 0.0
    base = _reset_peak(device)  # peak over warm-up + timed steps, above the built model
    for i in range(warmup + steps):
        _sync(device)
        start = time.perf_counter()
        with torch.autocast(device_type=device, enabled=amp, dtype=_half_dtype(device)):
            if selective:
                visible, targets, _ = model.select(x)
                _sync(device)
                selected = time.perf_counter()
                pred, target = model.reconstruction(x, visible, targets)
                loss = torch.nn.functional.mse_loss(pred.float(), target.float())
            else:
                loss = model.loss(x, None)['loss']
        optim.zero_grad(set_to_none=True)
        loss.backward()
        optim.step()
        _sync(device)
        if i >= warmup:
            step_time += time.perf_counter() - start
            if selective:
                select_time += selected - start
    return steps / step_time, _peak(device, base), select_time / step_time


def activation_figures(model, x: torch.Tensor, device: str, amp: bool, selective: bool,
                       project_batch: int, project_precision: str) -> dict:
    """Saved-activation bytes at the run's batch and precision, and the CUDA memory projection
    at ``project_batch`` in ``project_precision`` (see the module docstring)."""
    from mmrsfm.utils.memory import (PROJECTION_PRECISIONS, autocast_context, model_state_bytes,
                                     project_training_memory, saved_activation_bytes)
    model.to(device).train()
    params = list(model.parameters())

    def saved(batch: torch.Tensor, dtype) -> int:
        torch.manual_seed(0)  # the same MAE mask at every measurement
        with autocast_context(dtype, device):
            return saved_activation_bytes(lambda: forward_loss(model, batch, selective), params)

    at_batch = saved(x, _half_dtype(device) if amp else None)
    dtype = PROJECTION_PRECISIONS[project_precision]
    if dtype is not None and device != 'cpu':
        dtype = torch.float16 if project_precision == 'fp16' else torch.bfloat16
    at_1, at_2 = saved(x[:1], dtype), saved(x[:1].repeat(2, 1, 1, 1), dtype)
    projection = project_training_memory(model_state_bytes(model), at_1, at_2, project_batch)
    return dict(saved=at_batch, projection=projection)


def flops(model, x, selective):
    """Forward FLOPs of one image through encoder + decoder. For SelectiveMAE the token
    selection runs outside the trace (its cost is reported as a share of step time)."""
    from mmengine.analysis import FlopAnalyzer
    chosen = model.select(x[:1])[:2] if selective else None

    class Forward(torch.nn.Module):

        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, inputs):
            if selective:
                return self.model.reconstruction(inputs, *chosen)[0]
            latent, mask, ids_restore = self.model.backbone(inputs)
            return self.model.neck(latent, ids_restore)

    analyzer = FlopAnalyzer(Forward(model).eval(), (x[:1], ))
    analyzer.unsupported_ops_warnings(False)
    analyzer.uncalled_modules_warnings(False)
    return analyzer.total()


def measure(name: str, args: dict):
    """(steps/s, peak memory bytes, selection share, forward FLOPs per image, activation
    figures) of one model."""
    torch.manual_seed(0)
    model = build_model(name, args['arch'], args['decoder_depth'], args['img'])
    is_selective = name == 'SelectiveMAE'
    x = torch.rand(args['batch'], 3, args['img'], args['img'])
    model_flops = flops(model, x, is_selective)
    speed, memory, share = run(model, x.to(args['device']), args['steps'], args['warmup'],
                               args['device'], args['amp'], is_selective)
    # After the timed steps, so that their peak memory is that of training alone.
    activations = activation_figures(model, x.to(args['device']), args['device'], args['amp'],
                                     is_selective, args['project_batch'],
                                     args['project_precision'])
    return speed, memory, share, model_flops, activations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--arch', choices=['b', 'l'], default='b')
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--img', type=int, default=224)
    parser.add_argument('--steps', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--decoder-depth', type=int, default=12,
                        help="SelectiveMAE decoder depth (MAE keeps mmpretrain's 8)")
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--amp', action='store_true')
    parser.add_argument('--project-batch', type=int, default=256,
                        help='per-GPU batch of the CUDA memory projection (the paper: 256)')
    parser.add_argument('--project-precision', choices=['fp16', 'bf16', 'fp32'], default='fp16',
                        help='precision of the projection: fp16 / bf16 (AMP) or fp32')
    args = parser.parse_args()

    # Each model is measured in a fresh child process, one after the other, so that one's
    # allocations do not hide the other's peak (RSS never shrinks back on CPU).
    context = multiprocessing.get_context('spawn')
    results = {}
    for name in ('MAE', 'SelectiveMAE'):
        with context.Pool(1) as pool:
            results[name] = pool.apply(measure, (name, vars(args)))
    mae_speed, mae_mem, _, f_mae, mae_act = results['MAE']
    sel_speed, sel_mem, sel_share, f_sel, sel_act = results['SelectiveMAE']
    mib = 2**20
    memory = 'CUDA max allocated' if args.device == 'cuda' else 'peak RSS growth'
    print(f'ViT-{args.arch.upper()}/16, batch {args.batch}, {args.img} px, {args.steps} steps '
          f'after {args.warmup} warm-up, device {args.device}, amp {args.amp}, '
          f'SelectiveMAE decoder depth {args.decoder_depth}')
    print(f'{"":14s}{"steps/s":>10s}{memory + " (MiB)":>28s}{"GFLOPs/img (fwd)":>20s}')
    print(f'{"MAE":14s}{mae_speed:10.3f}{mae_mem / mib:28.0f}{f_mae / 1e9:20.2f}')
    print(f'{"SelectiveMAE":14s}{sel_speed:10.3f}{sel_mem / mib:28.0f}{f_sel / 1e9:20.2f}')
    print(f'throughput ratio SelectiveMAE / MAE: {sel_speed / mae_speed:.2f}x '
          f'(FLOP ratio MAE / SelectiveMAE: {f_mae / f_sel:.2f}x)')
    print(f'memory ratio SelectiveMAE / MAE: {sel_mem / max(mae_mem, 1):.2f}')
    print(f'token selection: {100 * sel_share:.1f}% of the SelectiveMAE step')
    precision = ('bf16' if args.device == 'cpu' else 'fp16') if args.amp else 'fp32'
    print(f'saved activations (one forward at batch {args.batch}, {precision}, parameters '
          f'excluded): MAE {mae_act["saved"] / mib:.1f} MiB, SelectiveMAE '
          f'{sel_act["saved"] / mib:.1f} MiB, ratio '
          f'{sel_act["saved"] / max(mae_act["saved"], 1):.2f}')
    print(f'projected CUDA memory (projection, not a measurement) at batch '
          f'{args.project_batch} per GPU, {args.project_precision}, AdamW (MiB):')
    parts = ('params', 'grads', 'adamw', 'activations', 'total')
    print(f'{"":14s}' + ''.join(f'{p:>13s}' for p in parts))
    for name, act in (('MAE', mae_act), ('SelectiveMAE', sel_act)):
        print(f'{name:14s}' + ''.join(f'{act["projection"][p] / mib:13.0f}' for p in parts))
    print(f'projected memory ratio SelectiveMAE / MAE: '
          f'{sel_act["projection"]["total"] / mae_act["projection"]["total"]:.2f}')


if __name__ == '__main__':
    main()
