from .features import build_model_from_checkpoint, extract_features, extract_object_features
from .runner_config import (SUPPORTED_SCOPES, build_runner, load_config, merge_test_args,
                            merge_train_args)

__all__ = [
    'build_model_from_checkpoint', 'extract_features', 'extract_object_features',
    'SUPPORTED_SCOPES', 'load_config',
    'merge_train_args', 'merge_test_args', 'build_runner'
]
