"""Where the Hydra configs live, and composing one from Python.

The configs are package data (``pointrecon/conf``), found through :mod:`importlib.resources`,
so an installed wheel works without a source checkout; ``$POINTRECON_CONF_DIR`` points at
another folder instead.

>>> from pointrecon.config import compose
>>> cfg = compose("train", ["experiment=tiny", "trainer.max_epochs=1"])
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path
from typing import Any


def conf_dir() -> str:
    """Absolute path of the config folder, for ``@hydra.main(config_path=...)``."""
    env = os.environ.get("POINTRECON_CONF_DIR")
    if env:
        return str(Path(env).resolve())
    return str(Path(str(files("pointrecon") / "conf")).resolve())


def compose(name: str, overrides: Iterable[str] = (), **kw: Any):
    """The root config ``name`` (``train``, ``eval``, ``reconstruct``, ``bench``, ...) composed
    with Hydra ``overrides``, as the command line would; ``kw`` goes to ``hydra.compose``."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    with initialize_config_dir(config_dir=conf_dir(), version_base="1.3"):
        return hydra_compose(config_name=name, overrides=list(overrides), **kw)
