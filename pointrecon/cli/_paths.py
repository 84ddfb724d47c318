"""Where the Hydra configs live: ``$POINTRECON_CONF_DIR`` or the package's ``conf/``."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]
REPO_ROOT = _PACKAGE.parent


def conf_dir() -> str:
    """Absolute path of the config folder, for ``@hydra.main(config_path=...)``."""
    env = os.environ.get("POINTRECON_CONF_DIR")
    if env:
        return str(Path(env).resolve())
    inside = _PACKAGE / "conf"
    return str(inside if inside.is_dir() else REPO_ROOT / "conf")
