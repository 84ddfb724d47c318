"""The whole benchmark suite: ``python benchmarks/bm_main.py [hydra overrides]``.

The same as ``pointrecon bench``; ``python benchmarks/bm_main.py compare a.json b.json`` (or
``--compare``) prints the ratios between two runs. Each ``bm_<suite>.py`` also runs alone.
"""

from __future__ import annotations

import sys

from pointrecon.cli.bench import main

if __name__ == "__main__":
    sys.exit(main())
