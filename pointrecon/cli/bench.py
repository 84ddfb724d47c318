"""``pointrecon bench``: the benchmark suite (Hydra: ``pointrecon/conf/bench.yaml``).

Examples::

    pointrecon bench                                  # every suite, sizes for the device
    pointrecon bench bench=ops device=cuda            # ops only, full GPU sizes
    pointrecon bench bench/sizes=tiny                 # smoke-test sizes
    pointrecon bench bench.sizes=gpu bench.sizes.ops.knn.N=[16384]
    pointrecon bench compare a.json b.json            # ratios b / a between two runs
    pointrecon bench --compare a.json b.json          # the same

``compare`` is handled before Hydra starts. The run writes ``bench.json`` and ``bench.md`` to the
Hydra run folder (``outputs/bench/<time>/``) and prints the markdown table.
"""

from __future__ import annotations

import argparse
import sys

import hydra
from omegaconf import DictConfig

from pointrecon.cli._errors import reports_errors
from pointrecon.cli._paths import conf_dir


def compare_main(argv: list[str]) -> int:
    """``pointrecon bench compare A.json B.json``: print per-case ratios b / a."""
    from pointrecon.bench.compare import format_compare, load_report
    from pointrecon.errors import DataError

    parser = argparse.ArgumentParser(
        prog="pointrecon bench compare",
        description="Ratios (b / a) of median times and peak memory between two benchmark runs.",
    )
    parser.add_argument("a", help="bench.json of the baseline run")
    parser.add_argument("b", help="bench.json of the run compared with it")
    args = parser.parse_args(argv)
    try:
        a, b = load_report(args.a), load_report(args.b)
    except DataError as exc:
        print(f"pointrecon bench compare: {exc}", file=sys.stderr)
        return 2
    print(format_compare(a, b, names=(args.a, args.b)))
    return 0


@hydra.main(config_path=conf_dir(), config_name="bench", version_base="1.3")
@reports_errors("bench")
def _hydra_main(cfg: DictConfig) -> int:
    from hydra.core.hydra_config import HydraConfig

    from pointrecon.bench.report import markdown_table
    from pointrecon.bench.runner import run_benchmarks

    out_dir = HydraConfig.get().runtime.output_dir
    report = run_benchmarks(cfg, out_dir, conf_dir())
    print(markdown_table(report["results"], report["env"]))
    failed = [r["key"] for r in report["results"] if r["status"] == "error"]
    print(
        f"\nwrote {out_dir}/bench.json and bench.md "
        f"({report['wall_s']:.1f} s wall, {report['cpu_s']:.1f} s CPU)"
    )
    if failed:
        print(f"{len(failed)} case(s) failed: " + ", ".join(failed), file=sys.stderr)
        if cfg.get("fail_on_error", True):
            raise SystemExit(1)
    return 0


def main() -> int:
    argv = sys.argv[1:]
    if argv and argv[0] in ("compare", "--compare"):
        return compare_main(argv[1:])
    _hydra_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
