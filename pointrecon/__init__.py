"""pointrecon: point-cloud-native deep learning for 3D reconstruction."""

from pointrecon.errors import CheckpointError, ConfigError, DataError, PointreconError

__version__ = "0.1.0"

__all__ = ["CheckpointError", "ConfigError", "DataError", "PointreconError", "__version__"]
