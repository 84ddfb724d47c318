"""Former home of :mod:`pointrecon.checks`; kept so that older imports keep working."""

from pointrecon.checks import *  # noqa: F403
from pointrecon.checks import describe, sqdist3, valid_mask  # noqa: F401
