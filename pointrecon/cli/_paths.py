"""Where the Hydra configs live: ``$POINTRECON_CONF_DIR`` or the package's ``conf/``.

The configs are package data (``pointrecon/conf``), so an installed wheel finds them without a
source checkout.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path


def conf_dir() -> str:
    """Absolute path of the config folder, for ``@hydra.main(config_path=...)``."""
    env = os.environ.get("POINTRECON_CONF_DIR")
    if env:
        return str(Path(env).resolve())
    return str(Path(str(files("pointrecon") / "conf")).resolve())


def hydra_output_dir() -> Path:
    """The current Hydra job's output folder."""
    from hydra.core.hydra_config import HydraConfig

    return Path(HydraConfig.get().runtime.output_dir)
