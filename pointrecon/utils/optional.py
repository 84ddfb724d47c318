"""Optional dependencies: import them where used, with a message that says how to install."""

from __future__ import annotations

import importlib
from types import ModuleType

#: optional module -> the extra of pyproject.toml that installs it
EXTRAS = {"torch_geometric": "pyg"}


def require(module: str, what: str) -> ModuleType:
    """Import ``module``, or raise ImportError naming ``what`` needs it and the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        top = module.split(".")[0]
        extra = EXTRAS.get(top)
        hint = f"pip install 'pointrecon[{extra}]'" if extra else f"install {top}"
        raise ImportError(f"{what} needs {top}, which is not installed: {hint}") from e
