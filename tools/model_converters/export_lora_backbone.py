"""Export the backbone of a LoRA (stage 1) or debLoRA (stage 3) checkpoint with the LoRA weights
merged into plain layers, as ``backbone.*`` keys that any mmpretrain config loads with
``init_cfg=dict(type='Pretrained', checkpoint=OUT, prefix='backbone')``.

    python tools/model_converters/export_lora_backbone.py CONFIG CHECKPOINT OUT.pth
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
import mmrsfm  # noqa: E402,F401
from mmrsfm.utils import atomic_torch_save  # noqa: E402
from mmengine.config import DictAction  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('out')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs')
    args = parser.parse_args()

    import mmrsfm.models  # noqa: F401
    from mmrsfm.apis import build_model_from_checkpoint, load_config
    from mmrsfm.models.peft import DebLoRA, merge_lora

    cfg = load_config(args.config, args.cfg_options)
    model = build_model_from_checkpoint(cfg, args.checkpoint)
    if isinstance(model, DebLoRA):
        backbone = model.merged_backbone()
    elif hasattr(model, 'backbone'):
        backbone = merge_lora(model.backbone)
    else:
        raise TypeError(f'{args.config}: {type(model).__name__} has no backbone to export')
    state = {f'backbone.{k}': v.detach().clone() for k, v in backbone.state_dict().items()}
    atomic_torch_save({'state_dict': state, 'meta': dict(source=args.checkpoint, config=args.config)},
                      args.out)
    print(f'[export_lora_backbone] wrote {len(state)} merged backbone tensors to {args.out}')


if __name__ == '__main__':
    main()
