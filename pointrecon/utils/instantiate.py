"""The one way pointrecon builds objects from configs: ``hydra.utils.instantiate`` behind an
allow-list of ``_target_`` prefixes.

A config can name any importable callable, so a config read from an untrusted place (a checkpoint,
a downloaded experiment) could otherwise run arbitrary code, e.g. ``_target_: os.system``. Every
``_target_`` in the tree is checked before anything is imported or called.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from pointrecon.errors import ConfigError, PointreconError

DEFAULT_ALLOWED_PREFIXES: tuple[str, ...] = ("pointrecon.", "torch.optim.", "torch.nn.")

_extra_prefixes: list[str] = []


def allow_target_prefix(prefix: str) -> None:
    """Add ``prefix`` (e.g. ``"mylab.models."``) to the allow-list for this process."""
    if not isinstance(prefix, str) or not prefix or not prefix.endswith("."):
        raise ValueError(f"prefix must be a dotted module prefix ending in '.', got {prefix!r}")
    if prefix not in _extra_prefixes:
        _extra_prefixes.append(prefix)


def allowed_prefixes(extra: Iterable[str] = ()) -> tuple[str, ...]:
    """The prefixes in force: defaults, those added by :func:`allow_target_prefix`, and ``extra``."""
    return (*DEFAULT_ALLOWED_PREFIXES, *_extra_prefixes, *extra)


def _iter_targets(node: Any, where: str) -> Iterable[tuple[str, Any]]:
    if isinstance(node, (DictConfig, Mapping)):
        items = node.items_ex(resolve=False) if isinstance(node, DictConfig) else node.items()
        for key, value in items:
            child = f"{where}.{key}" if where else str(key)
            if key == "_target_":
                yield child, value
            else:
                yield from _iter_targets(value, child)
    elif isinstance(node, (ListConfig, Sequence)) and not isinstance(node, (str, bytes)):
        for i, value in enumerate(node):
            yield from _iter_targets(value, f"{where}[{i}]")


def check_targets(cfg: Any, extra_allowed: Iterable[str] = ()) -> None:
    """Raise :class:`ConfigError` if any ``_target_`` in ``cfg`` is outside the allow-list."""
    prefixes = allowed_prefixes(extra_allowed)
    for where, target in _iter_targets(cfg, ""):
        if not isinstance(target, str):
            raise ConfigError(f"{where} must be a string naming a callable, got {target!r}")
        if not target.startswith(prefixes):
            raise ConfigError(
                f"refused {where}={target!r}: it is outside the allowed prefixes "
                f"{list(prefixes)}; add a trusted prefix with "
                "pointrecon.utils.instantiate.allow_target_prefix() or the config key "
                "'allowed_targets'"
            )


def instantiate(cfg: Any, *args: Any, extra_allowed: Iterable[str] = (), **kwargs: Any) -> Any:
    """``hydra.utils.instantiate`` after checking every ``_target_`` against the allow-list.

    Args:
        cfg: a DictConfig or dict with a ``_target_`` (nested ones are checked too).
        *args, **kwargs: passed on to ``hydra.utils.instantiate``.
        extra_allowed: further prefixes trusted for this call only.
    """
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate as _hydra_instantiate

    if isinstance(cfg, Mapping) and not isinstance(cfg, DictConfig):
        cfg = OmegaConf.create(dict(cfg))
    check_targets(cfg, extra_allowed)
    for value in (*args, *kwargs.values()):
        check_targets(value, extra_allowed)
    try:
        return _hydra_instantiate(cfg, *args, **kwargs)
    except InstantiationException as exc:
        # Hydra wraps what the constructor raised; our own errors already name the problem,
        # so surface them unwrapped instead of as a chained Hydra error.
        cause = exc.__cause__
        while isinstance(cause, InstantiationException) and cause.__cause__ is not None:
            cause = cause.__cause__
        if isinstance(cause, PointreconError):
            raise cause from None
        raise
