"""The benchmark cases of ``pointrecon bench``: one module per suite (``bm_<suite>.py``).

Each module has ``cases(sizes, device) -> list[Case]`` and runs alone with
``python -m pointrecon.bench.suites.bm_<suite> [hydra overrides]``.
"""
