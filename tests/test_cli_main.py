"""The `pointrecon` dispatcher."""

import importlib

from pointrecon.cli import main as cli


def test_help_lists_every_command(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert name in out


def test_unknown_command_is_an_error(capsys):
    assert cli.main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


def test_every_command_module_has_main():
    for module, _ in cli.COMMANDS.values():
        mod = importlib.import_module(f"pointrecon.cli.{module}")
        assert callable(mod.main), module


def test_package_errors_become_one_line_and_exit_status_1(capsys):
    import pytest

    from pointrecon.cli._errors import reports_errors
    from pointrecon.errors import DataError

    @reports_errors("demo")
    def fails():
        raise DataError("scan.ply", "file not found")

    with pytest.raises(SystemExit) as info:
        fails()
    assert info.value.code == 1
    assert capsys.readouterr().err.strip() == "pointrecon demo: error: scan.ply: file not found"


def test_other_errors_are_not_swallowed():
    import pytest

    from pointrecon.cli._errors import reports_errors

    @reports_errors("demo")
    def bug():
        raise KeyError("x")

    with pytest.raises(KeyError):
        bug()
