"""``pointrecon``: one console script, one sub-command per entry-point module.

Each sub-command is also runnable as ``python -m pointrecon.cli.<module>``. Hydra-based commands
take Hydra overrides and ``--multirun`` after the sub-command name.
"""

from __future__ import annotations

import importlib
import sys

# sub-command -> (module under pointrecon.cli, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("demo", "the main job on the embedded procedural data"),
    "make-data": ("make_data", "write a procedural completion data set to disk"),
    "train": ("train", "train a model (Hydra: pointrecon/conf/train.yaml)"),
    "eval": (
        "evaluate",
        "evaluate a checkpoint against baselines (Hydra: pointrecon/conf/eval.yaml)",
    ),
    "eval-meshes": ("eval_meshes", "completion quality on a folder of meshes vs baselines"),
    "reconstruct": ("reconstruct", "complete a scan file (default: the shipped model)"),
    "sweep-report": ("sweep_report", "gather a multirun folder into one table"),
    "view": ("view", "interactive Open3D viewer for point clouds and meshes"),
    "render": ("render", "headless PNG renders and an HTML gallery"),
    "mesh": ("mesh", "surface reconstruction of a point cloud"),
    "volume": ("volume", "CT/MRI volume (NIfTI, DICOM, NRRD) to a surface in world mm"),
    "bench": ("bench", "the benchmark suite (Hydra: pointrecon/conf/bench.yaml)"),
}


def _usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: pointrecon <command> [args ...]", "", "commands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items()]
    lines += ["", "Run 'pointrecon <command> --help' for a command's own options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    if argv[0] in ("-V", "--version"):
        from pointrecon import __version__

        print(f"pointrecon {__version__}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"pointrecon: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"pointrecon.cli.{COMMANDS[name][0]}")
    sys.argv = [f"pointrecon {name}", *rest]
    result = module.main()
    return int(result) if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
