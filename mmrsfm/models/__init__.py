"""Models, registered into the registry of the toolbox they extend (mmpretrain for peft/)."""
from .peft import *  # noqa: F401,F403
