"""CompletionData: the data sets of a run and how to batch them (a small data module)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from torch.utils.data import DataLoader, Dataset


@dataclass(frozen=True)
class CompletionData:
    """The completion data sets of a run by split, with their loader settings.

    Built by :mod:`pointrecon.train.assembly` from the ``data`` config; the trainer and the
    evaluation receive it and never read a config.

    Args:
        datasets: split name (``train``, ``val``, ``test``) -> data set yielding completion items.
        batch_size: clouds per batch (per process under DDP).
        num_workers: DataLoader worker processes.
        shuffle: whether the training split is shuffled.
    """

    datasets: Mapping[str, Dataset] = field(default_factory=dict)
    batch_size: int = 8
    num_workers: int = 0
    shuffle: bool = True

    def __post_init__(self) -> None:
        if int(self.batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size!r}")
        if int(self.num_workers) < 0:
            raise ValueError(f"num_workers must be >= 0, got {self.num_workers!r}")

    def dataset(self, split: str) -> Dataset:
        """The data set of ``split``; ValueError naming the available splits otherwise."""
        if split not in self.datasets:
            raise ValueError(f"split {split!r} is not set in the data (have {list(self.datasets)})")
        return self.datasets[split]

    def loader(self, split: str, **kw: Any) -> DataLoader:
        """A DataLoader over ``split`` with :func:`pointrecon.data.collate_completion`."""
        from pointrecon.data.collate import collate_completion

        kw.setdefault("batch_size", int(self.batch_size))
        kw.setdefault("num_workers", int(self.num_workers))
        return DataLoader(self.dataset(split), collate_fn=collate_completion, **kw)
