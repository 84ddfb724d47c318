"""Process-group set-up for data-parallel training launched by ``torchrun``."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistInfo:
    """Where this process stands: ``rank`` of ``world_size``, on ``device``."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")
    initialized: bool = False

    @property
    def is_main(self) -> bool:
        """True on rank 0, the only rank that logs and writes checkpoints."""
        return self.rank == 0


def resolve_device(accelerator: str, local_rank: int = 0) -> torch.device:
    """``cpu`` | ``cuda`` | ``auto`` -> a torch device (``cuda:<local_rank>`` for cuda)."""
    from pointrecon.errors import ConfigError

    if accelerator not in ("cpu", "cuda", "gpu", "auto"):
        raise ConfigError(f"trainer.accelerator must be cpu, cuda or auto, got {accelerator!r}")
    if accelerator == "auto":
        accelerator = "cuda" if torch.cuda.is_available() else "cpu"
    if accelerator in ("cuda", "gpu"):
        if not torch.cuda.is_available():
            raise ConfigError(
                f"trainer.accelerator={accelerator} but torch finds no CUDA device on this "
                f"machine (torch {torch.__version__}); use trainer=cpu or trainer.accelerator=auto"
            )
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def setup_distributed(strategy: str, accelerator: str, backend: str = "auto") -> DistInfo:
    """Initialise the default process group from torchrun's environment when ``strategy=ddp``.

    Without torchrun's variables (``WORLD_SIZE`` unset or 1) this runs single-process. The
    backend ``auto`` is gloo for CPU and NCCL for CUDA.
    """
    if strategy not in ("single", "ddp"):
        raise ValueError(f"trainer.strategy must be single or ddp, got {strategy!r}")
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if strategy != "ddp" or world <= 1:
        return DistInfo(device=resolve_device(accelerator))
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    device = resolve_device(accelerator, local_rank)
    if backend == "auto":
        backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group(backend=backend, rank=rank, world_size=world)
    return DistInfo(rank, local_rank, world, device, True)


def from_main_rank(info: DistInfo, value: object) -> object:
    """Rank 0's ``value`` on every rank (``value`` itself single-process)."""
    if not (info.initialized and dist.is_initialized()):
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def barrier(info: DistInfo) -> None:
    """Wait for every rank (no-op single-process)."""
    if info.initialized and dist.is_initialized():
        dist.barrier()


def cleanup_distributed(info: DistInfo) -> None:
    """Destroy the process group this module created."""
    if info.initialized and dist.is_initialized():
        dist.destroy_process_group()
