"""Check an mmrsfm installation: versions of the stack and a call into mmcv's compiled ops.

    python tools/misc/check_env.py

Exits non-zero (naming the package) when a toolbox fails to import or mmcv has no ops.
"""
import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

PACKAGES = ('torch', 'torchvision', 'mmcv', 'mmengine', 'mmdet', 'mmrotate', 'mmseg', 'mmpretrain',
            'segment_anything', 'mmrsfm')


def main() -> int:
    failures = []
    import mmrsfm  # noqa: F401  (compat fixes first)
    for name in PACKAGES:
        try:
            module = importlib.import_module(name)
            print(f'{name:18s} {getattr(module, "__version__", "(no version)")}')
        except Exception as err:  # report every failure, not only the first
            failures.append(f'{name}: {type(err).__name__}: {err}')
    import torch
    print(f'{"python":18s} {sys.version.split()[0]}')
    print(f'{"CUDA available":18s} {torch.cuda.is_available()} (torch built with CUDA '
          f'{torch.version.cuda})')
    try:
        from mmcv.ops import box_iou_rotated, get_compiler_version, get_compiling_cuda_version
        boxes = torch.tensor([[10.0, 10.0, 8.0, 4.0, 0.3]])
        iou = float(box_iou_rotated(boxes, boxes)[0, 0])
        if abs(iou - 1.0) > 1e-4:
            failures.append(f'mmcv.ops.box_iou_rotated of a box with itself is {iou}, not 1')
        print(f'{"mmcv ops":18s} compiled with {get_compiler_version()}, CUDA '
              f'{get_compiling_cuda_version()}; box_iou_rotated OK')
    except Exception as err:
        failures.append(f'mmcv.ops: {type(err).__name__}: {err}')
    for failure in failures:
        print(f'FAILED {failure}', file=sys.stderr)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
