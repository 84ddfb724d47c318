"""The environment a benchmark ran in: device, driver, CUDA, library versions, commit."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import Any

import torch

_REPO_ROOT = Path(__file__).resolve().parents[2]


def _run(cmd: list[str], cwd: Path | None = None) -> str | None:
    if shutil.which(cmd[0]) is None:
        return None
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10, cwd=cwd, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def cpu_name() -> str:
    """The CPU model as ``/proc/cpuinfo`` names it (``platform.processor()`` elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown cpu"


def device_name(device: torch.device | str) -> str:
    """Human-readable name of ``device`` (GPU model, or the CPU model)."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return cpu_name()


def _peer_versions() -> dict[str, str | None]:
    from importlib import metadata

    names = ["numpy", "scipy", "open3d", "fpsample", "torch-geometric", "torch-cluster", "pyg-lib"]
    names += ["triton", "hydra-core"]
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def environment(device: torch.device | str) -> dict[str, Any]:
    """Everything needed to compare two benchmark runs fairly.

    Keys: ``device`` (``cpu``/``cuda:0``), ``device_name``, ``driver`` (NVIDIA driver or None),
    ``cuda`` (``torch.version.cuda``), ``cudnn``, ``gpu_memory_bytes``, ``cpu``, ``cpu_count``,
    ``torch_threads``, ``torch``, ``python``, ``platform``, ``packages`` (peer libraries),
    ``git_commit``, ``timestamp`` (UTC, ISO 8601).
    """
    device = torch.device(device)
    info: dict[str, Any] = {
        "device": str(device),
        "device_name": device_name(device),
        "driver": None,
        "cuda": torch.version.cuda,
        "cudnn": None,
        "gpu_memory_bytes": None,
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": _peer_versions(),
        "git_commit": _run(["git", "rev-parse", "HEAD"], cwd=_REPO_ROOT),
        "timestamp": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        props = torch.cuda.get_device_properties(index)
        info["gpu_memory_bytes"] = int(props.total_memory)
        info["compute_capability"] = f"{props.major}.{props.minor}"
        info["cudnn"] = torch.backends.cudnn.version()
        smi = _run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader", "-i", str(index)]
        )
        info["driver"] = smi.splitlines()[0] if smi else None
    return info
