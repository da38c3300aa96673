"""The ``cite-emploi`` console command: Django's manage.py, plus ``demo``.

Dashes in command names are accepted (``cite-emploi locate-qpv`` runs ``locate_qpv``).
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    if len(argv) > 1 and argv[1] == "demo":
        # The demo serves plain HTTP on the loopback: cookies cannot be "secure" there.
        os.environ.setdefault("HTTPS", "off")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cite_emploi.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
