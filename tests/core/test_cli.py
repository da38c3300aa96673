import contextlib
import subprocess
import sys

from cite_emploi.cli import main


def test_dashes_are_accepted_in_command_names(capsys):
    with contextlib.suppress(SystemExit):
        main(["cite-emploi", "help", "load-reference"])
    assert "idempotent" in capsys.readouterr().out.lower()


def test_console_entry_point_lists_the_platform_commands():
    out = subprocess.run(
        [sys.executable, "-m", "cite_emploi.cli", "help"], capture_output=True, text=True, check=True
    ).stdout
    for name in ("demo", "load_reference", "locate_qpv", "load_demo"):
        assert name in out
