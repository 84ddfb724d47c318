"""Where the Hydra configs live: ``$POINTRECON_CONF_DIR`` or the repository's ``conf/``."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def conf_dir() -> str:
    """Absolute path of the config folder, for ``@hydra.main(config_path=...)``."""
    env = os.environ.get("POINTRECON_CONF_DIR")
    path = Path(env) if env else REPO_ROOT / "conf"
    return str(path.resolve())
