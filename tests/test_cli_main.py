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
