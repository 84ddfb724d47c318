"""The one way pointrecon builds objects from configs: ``hydra.utils.instantiate`` behind an
allow-list of the packages a ``_target_`` may come from.

A config can name any importable callable, so a config read from an untrusted place (a checkpoint,
a downloaded experiment) could otherwise run arbitrary code, e.g. ``_target_: os.system``. The
check looks at what a target *is*, not at how it is spelled:

1. Interpolations are checked first: only resolvers that select or read values are accepted
   (``oc.env``, ``oc.select``, ``oc.dict.*``, ``oc.deprecated``, ``now``, ``hydra``). Resolvers
   that build configs from text (``oc.create``, ``oc.decode``), unknown resolvers and resolver
   names assembled from interpolations are refused.
2. The tree is then resolved, and every ``_target_`` of the *resolved* tree is checked; a string
   that still holds ``${`` after resolution is refused (it would be resolved again later).
3. Each target must start with an allowed prefix before anything is imported. It is then looked
   up segment by segment, exactly as Hydra does: a segment may not be private (``_x``); a hop
   that lands on a module must land inside an allowed package (``torch.nn.functional.np`` is
   numpy, refused), or on a genuine parent package of one (``torch`` in ``torch.nn.Linear``).
4. The object found must be a class whose ``__module__`` lies inside an allowed package. Functions
   are accepted only under prefixes the user adds (the built-in packages hold functions that
   write files). Classes from ``pointrecon.cli``, ``pointrecon.utils`` and ``pointrecon.bench``
   are refused.

:func:`instantiate` then builds the resolved copy that was checked, never the original tree.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping, Sequence
from types import ModuleType
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from pointrecon.errors import ConfigError, PointreconError

DEFAULT_ALLOWED_PREFIXES: tuple[str, ...] = ("pointrecon.", "torch.optim.", "torch.nn.")

# inside an allowed package but never a target: command entry points, file utilities, benchmarks
DENIED_PREFIXES: tuple[str, ...] = ("pointrecon.cli.", "pointrecon.utils.", "pointrecon.bench.")

# resolvers that only select or read a value; everything else (oc.create, oc.decode, ...) refused
ALLOWED_RESOLVERS: frozenset[str] = frozenset(
    {"oc.env", "oc.select", "oc.dict.keys", "oc.dict.values", "oc.deprecated", "now", "hydra"}
)

_DOTTED = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*")

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


def _inside(name: str, prefixes: Iterable[str]) -> bool:
    """Whether module/dotted ``name`` lies in one of the packages ``prefixes`` (``"a.b."``)."""
    return any(name == p[:-1] or name.startswith(p) for p in prefixes)


# ---------------------------------------------------------------- interpolations
def _resolver_names(text: str, where: str) -> list[str]:
    """Names of the resolvers used in ``text``; raises on a name built from an interpolation."""
    from omegaconf.grammar.gen.OmegaConfGrammarParser import OmegaConfGrammarParser as P
    from omegaconf.grammar_parser import parse

    try:
        tree = parse(text)
    except Exception as e:
        raise ConfigError(f"refused {where}={text!r}: unparsable interpolation ({e})") from None
    names: list[str] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, P.ResolverNameContext):
            if any(isinstance(c, P.InterpolationContext) for c in node.getChildren()):
                raise ConfigError(
                    f"refused {where}={text!r}: a resolver name built from an interpolation "
                    f"({node.getText()!r}) cannot be checked"
                )
            names.append(node.getText())
        stack.extend(getattr(node, "children", None) or [])
    return names


def _check_interpolations(node: Any, where: str) -> None:
    """Refuse resolvers outside :data:`ALLOWED_RESOLVERS` anywhere in the unresolved tree."""
    if isinstance(node, DictConfig):
        items: Iterable[tuple[Any, Any]] = node.items_ex(resolve=False)
    elif isinstance(node, ListConfig):
        items = enumerate(node._iter_ex(resolve=False))
    elif isinstance(node, Mapping):
        items = node.items()
    elif isinstance(node, Sequence) and not isinstance(node, (str, bytes)):
        items = enumerate(node)
    else:
        if isinstance(node, str) and "${" in node:
            for name in _resolver_names(node, where):
                if name not in ALLOWED_RESOLVERS:
                    raise ConfigError(
                        f"refused {where}={node!r}: resolver {name!r} is not allowed in a config "
                        f"(allowed: {sorted(ALLOWED_RESOLVERS)})"
                    )
        return
    for key, value in items:
        child = f"{where}[{key}]" if isinstance(key, int) else (f"{where}.{key}" if where else key)
        _check_interpolations(value, str(child))


def _resolved(cfg: Any) -> Any:
    """``cfg`` as plain containers with every interpolation resolved (missing ``???`` kept)."""
    if isinstance(cfg, (Mapping, list, tuple)) and not isinstance(cfg, (DictConfig, ListConfig)):
        try:
            cfg = OmegaConf.create(cfg if isinstance(cfg, Mapping) else list(cfg))
        except Exception:  # holds objects OmegaConf cannot hold: check it as it is
            return cfg
    if isinstance(cfg, (DictConfig, ListConfig)):
        try:
            return OmegaConf.to_container(cfg, resolve=True, throw_on_missing=False)
        except Exception as e:
            raise ConfigError(f"cannot resolve the config's interpolations: {e}") from None
    return cfg


# ---------------------------------------------------------------- targets
def _iter_targets(node: Any, where: str) -> Iterable[tuple[str, Any]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            child = f"{where}.{key}" if where else str(key)
            if key == "_target_":
                yield child, value
            else:
                yield from _iter_targets(value, child)
    elif isinstance(node, Sequence) and not isinstance(node, (str, bytes)):
        for i, value in enumerate(node):
            yield from _iter_targets(value, f"{where}[{i}]")
    elif isinstance(node, str) and "${" in node:
        raise ConfigError(
            f"refused {where}={node!r}: a value still holds an interpolation after resolution "
            "(it would be resolved again when the object is built)"
        )


def _refuse(where: str, target: str, why: str) -> ConfigError:
    return ConfigError(f"refused {where}={target!r}: {why}")


def locate_target(target: Any, where: str = "_target_", extra_allowed: Iterable[str] = ()) -> Any:
    """The class ``target`` names, looked up segment by segment and checked at every hop.

    Raises:
        ConfigError: the target is outside the allow-list, reaches outside it through an
            attribute, or is not an allowed class.
    """
    extra = (*_extra_prefixes, *extra_allowed)
    prefixes = (*DEFAULT_ALLOWED_PREFIXES, *extra)
    if not isinstance(target, str):
        raise ConfigError(f"{where} must be a string naming a callable, got {target!r}")
    if not target.startswith(prefixes):
        raise _refuse(
            where,
            target,
            f"it is outside the allowed prefixes {list(prefixes)}; add a trusted prefix with "
            "pointrecon.utils.instantiate.allow_target_prefix() or the config key "
            "'allowed_targets'",
        )
    if not _DOTTED.fullmatch(target):
        raise _refuse(where, target, "expected a dotted path of public names (no '_x' segments)")
    if _inside(target, DENIED_PREFIXES) and not _inside(target, extra):
        raise _refuse(where, target, f"the packages {list(DENIED_PREFIXES)} hold no targets")
    parts = target.split(".")
    try:
        obj: Any = importlib.import_module(parts[0])
        for m in range(1, len(parts)):
            spelled = ".".join(parts[: m + 1])
            try:
                obj = getattr(obj, parts[m])
            except AttributeError:
                if not isinstance(obj, ModuleType):
                    raise
                obj = importlib.import_module(spelled)
            if isinstance(obj, ModuleType):
                name = obj.__name__
                parent_pkg = name == spelled and any(p.startswith(name + ".") for p in prefixes)
                if not (_inside(name, prefixes) or parent_pkg):
                    raise _refuse(
                        where,
                        target,
                        f"{spelled!r} is the module {name!r}, which is outside the allowed "
                        "packages",
                    )
    except ConfigError:
        raise
    except Exception as e:
        raise _refuse(where, target, f"cannot be imported ({type(e).__name__}: {e})") from None
    module = getattr(obj, "__module__", None)
    if not isinstance(module, str) or not _inside(module, prefixes):
        raise _refuse(
            where, target, f"it resolves to {obj!r} from module {module!r}, outside the allow-list"
        )
    if _inside(module, DENIED_PREFIXES) and not _inside(module, extra):
        raise _refuse(where, target, f"it resolves to {module}.{getattr(obj, '__name__', '')}")
    if not isinstance(obj, type) and not (callable(obj) and _inside(module, extra)):
        raise _refuse(
            where,
            target,
            f"it resolves to {obj!r}, not a class (functions are accepted only under prefixes "
            "added with allowed_targets)",
        )
    return obj


def check_targets(cfg: Any, extra_allowed: Iterable[str] = ()) -> Any:
    """Raise :class:`ConfigError` if any ``_target_`` in ``cfg`` is not allowed.

    Returns:
        ``cfg`` resolved into plain containers: the tree that was checked.
    """
    extra = list(extra_allowed)
    _check_interpolations(cfg, "")
    resolved = _resolved(cfg)
    for where, target in _iter_targets(resolved, ""):
        locate_target(target, where, extra)
    return resolved


def instantiate(cfg: Any, *args: Any, extra_allowed: Iterable[str] = (), **kwargs: Any) -> Any:
    """``hydra.utils.instantiate`` of the checked, resolved copy of ``cfg``.

    Args:
        cfg: a DictConfig or dict with a ``_target_`` (nested ones are checked too).
        *args, **kwargs: passed on to ``hydra.utils.instantiate``.
        extra_allowed: further prefixes trusted for this call only.
    """
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate as _hydra_instantiate

    extra = list(extra_allowed)
    resolved = check_targets(cfg, extra)
    args = tuple(
        check_targets(a, extra) if isinstance(a, (DictConfig, ListConfig, Mapping, list)) else a
        for a in args
    )
    kwargs = {
        k: check_targets(v, extra) if isinstance(v, (DictConfig, ListConfig, Mapping, list)) else v
        for k, v in kwargs.items()
    }
    if isinstance(resolved, (Mapping, list)):
        resolved = OmegaConf.create(resolved, flags={"allow_objects": True})
    try:
        return _hydra_instantiate(resolved, *args, **kwargs)
    except InstantiationException as exc:
        # Hydra wraps what the constructor raised; our own errors already name the problem,
        # so surface them unwrapped instead of as a chained Hydra error.
        cause = exc.__cause__
        while isinstance(cause, InstantiationException) and cause.__cause__ is not None:
            cause = cause.__cause__
        if isinstance(cause, PointreconError):
            raise cause from None
        raise
