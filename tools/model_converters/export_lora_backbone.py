"""Export the backbone of a LoRA (stage 1) or debLoRA (stage 3) checkpoint with the LoRA weights
merged into plain layers, as ``backbone.*`` keys that any mmpretrain config loads with
``init_cfg=dict(type='Pretrained', checkpoint=OUT, prefix='backbone')``.

    python tools/model_converters/export_lora_backbone.py CONFIG CHECKPOINT OUT.pth

The model is built from CONFIG and CHECKPOINT loaded into it. A stage-1 ``LoRAModel`` backbone
reads its foundation-model weights (``module.init_cfg``) when built, since its checkpoint holds
the LoRA weights only; a ``DebLoRA`` builds from its config alone and its checkpoint holds
everything the export needs.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from mmengine.config import DictAction  # noqa: E402

import mmrsfm  # noqa: E402,F401
from mmrsfm.utils import atomic_torch_save  # noqa: E402


def main() -> None:
    """Build the model, load the checkpoint, merge the LoRA weights and write the backbone."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('out')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value pairs')
    args = parser.parse_args()

    import mmrsfm.models  # noqa: F401
    from mmrsfm.apis import build_model_from_checkpoint, load_config
    from mmrsfm.models.peft import DebLoRA, DebLoRAStateError, merge_lora

    cfg = load_config(args.config, args.cfg_options)
    try:
        model = build_model_from_checkpoint(cfg, args.checkpoint)
    except DebLoRAStateError as err:  # e.g. a stage-3 checkpoint of an older mmrsfm
        raise DebLoRAStateError(f'{args.checkpoint}: {err}') from None
    if isinstance(model, DebLoRA):
        backbone = model.merged_backbone()
    elif hasattr(model, 'backbone'):
        backbone = merge_lora(model.backbone)
    else:
        raise TypeError(f'{args.config}: {type(model).__name__} has no backbone to export')
    state = {f'backbone.{k}': v.detach().clone() for k, v in backbone.state_dict().items()}
    atomic_torch_save(
        {'state_dict': state, 'meta': dict(source=args.checkpoint, config=args.config)}, args.out)
    print(f'[export_lora_backbone] wrote {len(state)} merged backbone tensors to {args.out}')


if __name__ == '__main__':
    main()
