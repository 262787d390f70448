"""Models, registered into the registry of the toolbox they extend (mmpretrain)."""
from .backbones import *  # noqa: F401,F403
from .decode_heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .peft import *  # noqa: F401,F403
from .segmentors import *  # noqa: F401,F403
from .selfsup import *  # noqa: F401,F403
