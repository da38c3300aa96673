"""The ``cite-emploi`` console command: Django's manage.py, plus ``demo``.

Dashes in command names are accepted (``cite-emploi locate-qpv`` runs ``locate_qpv``).
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    # The command name, and the one after ``help``, may be written with dashes.
    for i in (1, 2) if len(argv) > 2 and argv[1] == "help" else (1,):
        if len(argv) > i and not argv[i].startswith("-"):
            argv[i] = argv[i].replace("-", "_")
    if len(argv) > 1 and argv[1] == "demo":
        # The demo serves plain HTTP on the loopback: cookies cannot be "secure" there.
        os.environ.setdefault("HTTPS", "off")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cite_emploi.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
