"""debLoRA for oriented detection (rotated FCOS) end to end on tiny generated long-tailed DOTA
data, on CPU in a few minutes: stage 1 (LoRA detector), stage 2 (object-feature clustering and
calibration), stage 3 (debLoRA), export, stage 4 (detector on the de-biased backbone).

    python tools/deblora/run_tiny_detection.py [--work-dir work_dirs/deblora_fcos_tiny] [--seed 0] \
        [--pretrained CKPT]

The foundation model of every stage is ``--pretrained`` (an mmpretrain ViT checkpoint with
``backbone.*`` keys and 2 attention heads, e.g. the converted SelectiveMAE encoder of
``tools/deblora/run_pipeline.py``; the ViT of the configs takes its architecture) or, without
it, a seeded random tiny ViT.

Prints the test mAP and head / middle / tail mAP of the LoRA detector and of the stage-4
detector; everything is written under --work-dir (see
:func:`mmrsfm.testing.deblora_detection.run_tiny_detection_chain`).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def main() -> None:
    """Run the chain and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/deblora_fcos_tiny')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the ViT init, the training runs and the k-means')
    parser.add_argument('--pretrained', default=None,
                        help='foundation ViT checkpoint (backbone.* keys, 2 heads); default: a '
                        'seeded random tiny ViT')
    args = parser.parse_args()

    from mmrsfm.testing.deblora_detection import run_tiny_detection_chain
    result = run_tiny_detection_chain(args.work_dir, args.seed, args.pretrained)
    for command in result['commands']:
        print(f'[deblora-fcos-tiny] ran {command}')
    print('[deblora-fcos-tiny] DOTA mAP (%): all / head / middle / tail')
    for name, metrics in result['metrics'].items():
        print(f'[deblora-fcos-tiny]   {name:8s} ' + ' / '.join(
            f'{100 * metrics[f"dota/{key}"]:.1f}'
            for key in ('mAP', 'head_mAP', 'middle_mAP', 'tail_mAP')))
    print(f'[deblora-fcos-tiny] results in {osp.join(osp.abspath(args.work_dir), "results.json")}')


if __name__ == '__main__':
    main()
