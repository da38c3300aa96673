"""``cite-emploi report diagnostic``: the live report or a version, to PDF or HTML, with French errors."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from cite_emploi.core.pdf import PdfUnavailable
from cite_emploi.diagnostic import report, services_report
from tests.diagnostic.test_report import pdf_pages, people_with_barriers


def run(*args, **options) -> str:
    from io import StringIO

    out = StringIO()
    call_command("report", *args, stdout=out, **options)
    return out.getvalue()


def save(territory, **fields):
    values = {
        "as_of": timezone.localdate() - timedelta(days=1),
        "title": "Version du comité",
        "analysis": "Analyse écrite par la coordination.",
        "action_contours": "",
        "is_shared": True,
        "by": None,
        **fields,
    }
    return services_report.save_version(territory, **values)


def test_the_live_report_is_written_as_pdf(gpsea, tmp_path):
    people_with_barriers(6)
    target = tmp_path / "diagnostic.pdf"
    try:
        out = run("diagnostic", "--territory", "gpsea", "-o", str(target))
    except CommandError as error:
        if "WeasyPrint" in str(error):
            pytest.skip("WeasyPrint n'est pas installé")
        raise
    data = target.read_bytes()
    assert data.startswith(b"%PDF") and pdf_pages(data) > 1
    assert "Rapport du diagnostic de GPSEA" in out and str(target) in out


def test_the_report_at_a_date_is_written_as_html(gpsea, tmp_path):
    target = tmp_path / "diagnostic.html"
    run("diagnostic", "--territory", "gpsea", "--date", "2025-06-30", "-o", str(target))
    body = target.read_text(encoding="utf-8")
    assert body.startswith("<!DOCTYPE html>")
    assert "Données arrêtées au 30 juin 2025" in body
    assert "du 1er juillet 2024 au 30 juin 2025" in body
    assert report.TO_WRITE in body


def test_a_saved_version_is_written_with_its_written_parts(gpsea, tmp_path):
    save(gpsea)
    target = tmp_path / "version.html"
    out = run("diagnostic", "--territory", "gpsea", "--version", "1", "-o", str(target))
    body = target.read_text(encoding="utf-8")
    assert "Version 1 — Version du comité" in body
    assert "<p>Analyse écrite par la coordination.</p>" in body
    assert "(version 1)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--territory", "nulle-part"], "Territoire inconnu « nulle-part ». Territoires connus : gpsea"),
        (["--territory", "gpsea", "--date", "30/06/2025"], "Date invalide « 30/06/2025 »"),
        (["--territory", "gpsea", "--date", "2999-01-01"], "ne peut pas être dans le futur"),
        (["--territory", "gpsea", "--version", "7"], "n'a pas de version 7 du diagnostic"),
        (
            ["--territory", "gpsea", "--version", "1", "--date", "2025-06-30"],
            "soit une date (--date), soit une version",
        ),
    ],
)
def test_user_errors_stop_with_a_french_message(gpsea, tmp_path, args, message):
    target = tmp_path / "diagnostic.pdf"
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run("diagnostic", *args, "-o", str(target))
    assert not target.exists()


def test_an_unknown_extension_is_refused(gpsea, tmp_path):
    with pytest.raises(CommandError, match=r"Extension inconnue « \.docx »"):
        run("diagnostic", "--territory", "gpsea", "-o", str(tmp_path / "diagnostic.docx"))


def test_a_missing_pdf_engine_is_a_command_error(gpsea, tmp_path, monkeypatch):
    def unavailable(*args, **kwargs):
        raise PdfUnavailable("La génération de PDF n'est pas disponible sur ce serveur (WeasyPrint absent).")

    monkeypatch.setattr(report.pdf, "render_pdf", unavailable)
    with pytest.raises(CommandError, match="WeasyPrint absent"):
        run("diagnostic", "--territory", "gpsea", "-o", str(tmp_path / "diagnostic.pdf"))


def test_a_file_that_cannot_be_written_is_a_command_error(gpsea, tmp_path):
    with pytest.raises(CommandError, match="Impossible d'écrire"):
        run("diagnostic", "--territory", "gpsea", "-o", str(tmp_path / "absent" / "diagnostic.html"))


def test_the_console_script_exits_non_zero_with_the_message(gpsea, tmp_path, capsys):
    from cite_emploi.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(
            [
                "cite-emploi",
                "report",
                "diagnostic",
                "--territory",
                "nulle-part",
                "-o",
                str(tmp_path / "x.pdf"),
            ]
        )
    assert exit_.value.code != 0
    assert "Territoire inconnu « nulle-part »" in capsys.readouterr().err
