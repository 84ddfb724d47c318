"""The config folder (:func:`pointrecon.config.conf_dir`) and the Hydra job's output folder."""

from __future__ import annotations

from pathlib import Path

from pointrecon.config import conf_dir

__all__ = ["conf_dir", "hydra_output_dir"]


def hydra_output_dir() -> Path:
    """The current Hydra job's output folder."""
    from hydra.core.hydra_config import HydraConfig

    return Path(HydraConfig.get().runtime.output_dir)
