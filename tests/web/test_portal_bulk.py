"""Bulk issuance from a CSV file over real HTTP: preview, per-row errors, confirmation, progress,
idempotent re-upload, the result CSV and the ZIP of certificates; and every kind of bad file."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from skills_vc.services import bulk_import, issuance
from skills_vc.services.bulk_csv import HEADERS
from skills_vc.store.tables import Activity, Credential, Volunteer
from tests.conftest import Platform
from tests.web.helpers import Elements
from tests.web.portal_support import CUTTING, SEWING, staff_member, token, wait_for_import

FR = HEADERS["fr"]
PACKING = "http://data.europa.eu/esco/skill/667cbbaf-f377-46d8-8f2d-1f6d8a55d74a"


@pytest.fixture
def site(secure_site: Platform) -> Platform:
    """The portal's session cookie is Secure: these tests reach the app over https."""
    return secure_site


@pytest.fixture
def coordinator(site: Platform) -> dict[str, Any]:
    return staff_member(site, site.register("entraide-bxl"))


def _rows(n: int, start: int = 0) -> list[dict[str, str]]:
    rows = []
    for i in range(start, start + n):
        sewing = i % 2 == 0
        rows.append(
            {
                "volunteer_name": f"Bénévole {i:05d}",
                "volunteer_email": f"benevole{i}@example.org",
                "activity_title": "Couture de masques" if sewing else "Distribution de colis alimentaires",
                "role": "Couturière" if sewing else "Bénévole à la distribution",
                "description": "Couture de masques en tissu pour les hôpitaux; découpe du tissu."
                if sewing
                else "Préparation et distribution de colis alimentaires aux familles.",
                "start_date": "16/03/2020",
                "end_date": "30/06/2020",
                "hours": str(20 + i % 50),
            }
        )
    return rows


def excel_csv(
    rows: list[dict[str, str]], headers: dict[str, str] = FR, columns: list[str] | None = None
) -> bytes:
    """What Excel (Belgian locale) saves: ``;``, CRLF, UTF-8 with a BOM."""
    columns = columns or list(rows[0]) if rows else list(columns or [])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([headers.get(c, c) for c in columns])
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _upload(site: Platform, data: bytes, name: str = "benevoles.csv", **form: str) -> Any:
    return site.client.post(
        "/portal/bulk",
        data={
            "csrf_token": token(site),
            "language": "fr",
            "coordinator_name": "Sophie Claes",
            "coordinator_role": "Coordinatrice",
            **form,
        },
        files={"file": (name, data, "text/csv")},
        follow_redirects=False,
    )


def _preview(site: Platform, data: bytes, **form: str) -> tuple[str, str]:
    response = _upload(site, data, **form)
    assert response.status_code == 303, response.text
    import_id = response.headers["location"].rsplit("/", 1)[-1]
    page = site.client.get(f"/portal/bulk/{import_id}?lang=en")
    assert page.status_code == 200
    return import_id, page.text


def _count(html: str, name: str) -> int:
    match = re.search(rf'data-count="{name}">(\d+)<', html)
    assert match, name
    return int(match.group(1))


def _groups(html: str) -> list[str]:
    return [a["data-group"] or "" for a in Elements(html).named("fieldset") if a.get("data-group")]


def _confirm(site: Platform, import_id: str, choices: dict[str, list[str]]) -> Any:
    data: dict[str, Any] = {"csrf_token": token(site)}
    for group, uris in choices.items():
        data[f"skills-{group}"] = uris
    return site.client.post(f"/portal/bulk/{import_id}/confirm", data=data, follow_redirects=False)


def _suggested(html: str, group: str) -> list[str]:
    return [a["value"] or "" for a in Elements(html).named("input") if a.get("name") == f"skills-{group}"]


def _issued(db: Engine) -> int:
    with db.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(Credential)) or 0)


def _recorded(db: Engine) -> tuple[int, int]:
    with db.connect() as connection:
        activities = connection.scalar(select(func.count()).select_from(Activity)) or 0
        volunteers = connection.scalar(select(func.count()).select_from(Volunteer)) or 0
    return int(activities), int(volunteers)


def _issue_all(site: Platform, import_id: str, html: str) -> dict[str, Any]:
    choices = {g: _suggested(html, g)[:3] for g in _groups(html)}
    response = _confirm(site, import_id, choices)
    assert response.status_code == 303, response.text
    return wait_for_import(site, import_id)


def test_template_is_documented_and_parses(site: Platform, coordinator: Any) -> None:
    page = site.client.get("/portal/bulk?lang=nl")
    assert page.status_code == 200 and "naam vrijwilliger" in page.text
    template = site.client.get("/portal/bulk/template.csv?lang=nl")
    assert template.status_code == 200
    assert template.content.startswith(b"\xef\xbb\xbf") and b";" in template.content.splitlines()[0]
    _, html = _preview(site, template.content)
    assert _count(html, "ok") == 2 and _count(html, "error") == 0


def test_fifty_rows_from_excel_preview_confirm_progress_result_and_no_second_issuance(
    site: Platform, coordinator: Any, db: Engine
) -> None:
    data = excel_csv(_rows(50))
    import_id, html = _preview(site, data)
    assert _count(html, "rows") == 50 and _count(html, "ok") == 50 and _count(html, "error") == 0
    groups = _groups(html)
    assert len(groups) == 2  # two distinct activities, each with its suggestions
    assert all(_suggested(html, g) for g in groups)
    assert "Issue 50 credentials" in html
    assert _issued(db) == 0  # nothing before confirmation

    progress = _issue_all(site, import_id, html)
    assert progress == {"status": "done", "done": 50, "total": 50, "error": None}
    assert _issued(db) == 50
    done = site.client.get(f"/portal/bulk/{import_id}?lang=en").text
    assert 'data-issued="50"' in done

    result = site.client.get(f"/portal/bulk/{import_id}/result.csv")
    assert result.status_code == 200 and result.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.DictReader(io.StringIO(result.content.decode("utf-8-sig")), delimiter=";"))
    assert len(lines) == 50 and {line["result"] for line in lines} == {"issued"}
    assert all(
        line["credential_link"].startswith("https://") and "/c/" in line["credential_link"] for line in lines
    )
    assert len({line["credential_id"] for line in lines}) == 50

    archive = site.client.get(f"/portal/bulk/{import_id}/certificates.zip?lang=nl")
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        names = z.namelist()
        assert len(names) == 50 and all(n.endswith(".pdf") for n in names)
        assert z.read(names[0]).startswith(b"%PDF-")

    # The same file again: every row is recognised as already issued, nothing can be issued.
    again_id, again = _preview(site, data)
    assert _count(again, "already_issued") == 50 and _count(again, "ok") == 0
    assert 'id="confirm-form"' not in again
    refused = _confirm(site, again_id, {})
    assert refused.status_code == 422 and 'data-error="nothing_to_issue"' in refused.text
    assert _issued(db) == 50
    # The list filters on the import.
    listed = site.client.get(f"/portal?lang=en&import={import_id}").text
    assert 'data-total="50"' in listed


def test_a_partly_new_file_issues_only_its_new_rows(site: Platform, coordinator: Any, db: Engine) -> None:
    first_id, first = _preview(site, excel_csv(_rows(3)))
    _issue_all(site, first_id, first)
    second_id, second = _preview(site, excel_csv(_rows(5)))
    assert _count(second, "already_issued") == 3 and _count(second, "ok") == 2
    assert _issue_all(site, second_id, second)["done"] == 2
    assert _issued(db) == 5
    # The same people are one volunteer each, found again by their email.
    assert _recorded(db) == (5, 5)


def test_wrong_columns_are_file_errors_and_nothing_can_be_issued(
    site: Platform, coordinator: Any, db: Engine
) -> None:
    rows = [{**r, "couleur préférée": "bleu"} for r in _rows(3)]
    for r in rows:
        del r["hours"]
    import_id, html = _preview(site, excel_csv(rows))
    codes = {a["data-code"] for a in Elements(html).named("li") if a.get("data-code")}
    assert {"missing_columns", "unknown_columns"} <= codes
    assert "couleur préférée" in html
    assert 'id="confirm-form"' not in html
    refused = _confirm(site, import_id, {})
    assert refused.status_code == 422 and 'data-error="import_has_file_errors"' in refused.text
    assert _issued(db) == 0


def test_bad_dates_duplicates_and_non_utf8_rows_get_their_own_errors(
    site: Platform, coordinator: Any, db: Engine
) -> None:
    rows = _rows(7)
    rows[1]["start_date"] = "31/02/2020"
    rows[2]["end_date"] = "01/01/2020"  # before the start
    rows[3]["hours"] = "douze"
    rows[5] = dict(rows[4])  # the same volunteer, activity and dates twice
    # The first row as an old Excel would save it (Windows-1252): "é" is one byte, not UTF-8.
    data = excel_csv(rows).replace("Bénévole 00000".encode(), "Bénévole 00000".encode("cp1252"), 1)
    import_id, html = _preview(site, data)
    states = {a["data-line"]: a["data-state"] for a in Elements(html).named("tr") if a.get("data-line")}
    codes = [a["data-code"] for a in Elements(html).named("li") if a.get("data-code")]
    assert states == {
        "2": "error",
        "3": "error",
        "4": "error",
        "5": "error",
        "6": "ok",
        "7": "error",
        "8": "ok",
    }
    for code in (
        "not_utf8",
        "encoding_problem",
        "invalid_date",
        "end_before_start",
        "invalid_hours",
        "duplicate_row",
    ):
        assert code in codes, code
    assert _count(html, "error") == 5 and _count(html, "ok") == 2
    assert _issued(db) == 0  # nothing before confirmation
    assert _issue_all(site, import_id, html)["done"] == 2
    assert _issued(db) == 2


def test_ten_thousand_rows_are_previewed_and_one_more_is_refused(
    site: Platform, coordinator: Any, db: Engine
) -> None:
    rows = _rows(10_000)
    _, html = _preview(site, excel_csv(rows))
    assert _count(html, "rows") == 10_000 and _count(html, "ok") == 10_000
    assert len([a for a in Elements(html).named("tr") if a.get("data-line")]) == 300
    assert "Issue 10000 credentials" in html or "Issue 10,000 credentials" in html
    _, too_many = _preview(site, excel_csv(_rows(10_001)))
    codes = {a["data-code"] for a in Elements(too_many).named("li") if a.get("data-code")}
    assert codes == {"too_many_rows"}
    assert 'id="confirm-form"' not in too_many
    assert _issued(db) == 0 and _recorded(db) == (0, 0)


def test_an_oversized_upload_is_refused_with_a_clear_message(
    site: Platform, coordinator: Any, db: Engine
) -> None:
    big = excel_csv(_rows(10)) + b"x" * (6 * 1024 * 1024)
    page = site.client.post(
        "/portal/bulk",
        data={"csrf_token": token(site)},
        files={"file": ("big.csv", big, "text/csv")},
        headers={"Accept": "text/html", "Accept-Language": "nl"},
    )
    assert page.status_code == 413
    assert 'data-error="payload_too_large"' in page.text and 'lang="nl"' in page.text
    as_json = site.client.post(
        "/portal/bulk", data={"csrf_token": token(site)}, files={"file": ("big.csv", big, "text/csv")}
    )
    assert as_json.status_code == 413 and as_json.json()["error"] == "payload_too_large"
    just_over = excel_csv(_rows(10)) + b"x" * (5 * 1024 * 1024)
    checked = _upload(site, just_over)
    assert checked.status_code == 413 and 'data-error="file_too_large"' in checked.text
    assert 'id="imports-heading"' not in site.client.get("/portal/bulk").text  # no import stored
    assert _issued(db) == 0


def test_confirmation_needs_skills_for_each_activity_and_the_csrf_token(
    site: Platform, coordinator: Any, db: Engine
) -> None:
    import_id, html = _preview(site, excel_csv(_rows(4)))
    groups = _groups(html)
    missing = _confirm(site, import_id, {groups[0]: [SEWING]})
    assert missing.status_code == 422 and 'data-error="no_skills"' in missing.text
    forged = site.client.post(f"/portal/bulk/{import_id}/confirm", data={"csrf_token": "x"})
    assert forged.status_code == 403
    unknown = _confirm(
        site,
        import_id,
        {g: ["http://data.europa.eu/esco/skill/00000000-0000-0000-0000-000000000000"] for g in groups},
    )
    assert unknown.status_code == 422 and 'data-error="unknown_skill"' in unknown.text
    assert _issued(db) == 0
    assert _confirm(site, import_id, {groups[0]: [SEWING, CUTTING], groups[1]: [PACKING]}).status_code == 303
    assert wait_for_import(site, import_id)["done"] == 4


def test_a_failure_during_issuance_issues_nothing_and_can_be_confirmed_again(
    site: Platform, coordinator: Any, db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_id, html = _preview(site, excel_csv(_rows(30)))
    monkeypatch.setattr(bulk_import, "CHUNK", 10)
    real = issuance.issue_activities
    calls = {"n": 0}

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the disk is full")
        return real(*args, **kwargs)

    monkeypatch.setattr(issuance, "issue_activities", failing)
    progress = _issue_all(site, import_id, html)
    assert progress["status"] == "failed" and progress["error"] == "internal_error"
    assert calls["n"] == 3  # two chunks were issued in the transaction, then rolled back
    assert _issued(db) == 0 and _recorded(db) == (0, 0)
    page = site.client.get(f"/portal/bulk/{import_id}?lang=en").text
    assert 'id="import-failed"' in page and 'id="confirm-form"' in page
    monkeypatch.setattr(issuance, "issue_activities", real)
    assert _issue_all(site, import_id, html)["done"] == 30
    assert _issued(db) == 30


def test_a_suspended_association_cannot_confirm(site: Platform, coordinator: Any, db: Engine) -> None:
    import_id, html = _preview(site, excel_csv(_rows(2)))
    site.set_accreditation("entraide-bxl", "suspended")
    response = _confirm(site, import_id, {g: [SEWING] for g in _groups(html)})
    assert response.status_code == 403 and 'data-error="association_not_accredited"' in response.text
    assert _issued(db) == 0


def test_another_association_cannot_open_an_import(site: Platform, coordinator: Any) -> None:
    import_id, _ = _preview(site, excel_csv(_rows(2)))
    site.client.cookies.clear()
    staff_member(site, site.register("autre-asbl"))
    assert site.client.get(f"/portal/bulk/{import_id}").status_code == 404
    assert site.client.get(f"/portal/bulk/{import_id}/result.csv").status_code == 404
    assert _confirm(site, import_id, {}).status_code == 404


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_portal_pages_read_while_a_writer_holds_the_sqlite_lock(
    site: Platform, coordinator: Any, db: Engine
) -> None:
    """A long import holds SQLite's write lock; the portal's pages must not wait for it."""
    import_id, _ = _preview(site, excel_csv(_rows(3)))
    with db.connect() as writer:
        writer.exec_driver_sql("UPDATE bulk_imports SET filename = filename")  # BEGIN IMMEDIATE, then a write
        for path in ("/portal?lang=en", f"/portal/bulk/{import_id}", f"/portal/bulk/{import_id}/progress"):
            response = site.client.get(path)
            assert response.status_code == 200, (path, response.text[:200])
        writer.rollback()


def test_html_in_a_csv_file_is_escaped_in_the_preview_and_the_result(
    site: Platform, coordinator: Any
) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror="y()">'
    rows = _rows(2)
    rows[0]["volunteer_name"] = f"Eve {hostile}"
    rows[0]["activity_title"] = f"Masques {hostile}"
    rows[1]["start_date"] = hostile  # shown back in its error message
    import_id, html = _preview(site, excel_csv(rows))
    assert _count(html, "ok") == 1 and _count(html, "error") == 1
    _issue_all(site, import_id, html)
    done = site.client.get(f"/portal/bulk/{import_id}?lang=en").text
    for page in (html, done, site.client.get("/portal").text):
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(" in page


def test_an_import_interrupted_by_a_restart_can_be_confirmed_again(
    site: Platform, coordinator: Any, db: Engine
) -> None:
    """The process stopped while issuing: the import is still marked issuing, nothing was committed."""
    import_id, html = _preview(site, excel_csv(_rows(4)))
    with db.begin() as connection:
        connection.exec_driver_sql("UPDATE bulk_imports SET status = 'issuing'")
    progress = site.client.get(f"/portal/bulk/{import_id}/progress").json()
    assert progress["status"] == "interrupted"
    page = site.client.get(f"/portal/bulk/{import_id}?lang=en").text
    assert 'data-error="interrupted"' in page and 'id="confirm-form"' in page
    assert _issue_all(site, import_id, html)["done"] == 4
    assert _issued(db) == 4
    again = _confirm(site, import_id, {g: [SEWING] for g in _groups(html)})
    assert again.status_code == 409 and 'data-error="import_not_confirmable"' in again.text
    assert _issued(db) == 4


def test_the_result_csv_neutralises_spreadsheet_formulas(site: Platform, coordinator: Any) -> None:
    rows = _rows(2)
    rows[0]["volunteer_name"] = '=HYPERLINK("https://attacker.example","clic")'
    rows[1]["volunteer_name"] = "+32 470 00 00 00"
    import_id, html = _preview(site, excel_csv(rows))
    _issue_all(site, import_id, html)
    result = site.client.get(f"/portal/bulk/{import_id}/result.csv").content.decode("utf-8-sig")
    names = [line["volunteer_name"] for line in csv.DictReader(io.StringIO(result), delimiter=";")]
    assert names == ['\'=HYPERLINK("https://attacker.example","clic")', "'+32 470 00 00 00"]


def test_the_zip_leaves_out_revoked_credentials_and_needs_credentials(
    site: Platform, coordinator: Any
) -> None:
    import_id, html = _preview(site, excel_csv(_rows(3)))
    empty = site.client.get(f"/portal/bulk/{import_id}/certificates.zip")
    assert empty.status_code == 404 and 'data-error="nothing_to_print"' in empty.text
    _issue_all(site, import_id, html)
    result = site.client.get(f"/portal/bulk/{import_id}/result.csv").content.decode("utf-8-sig")
    first = next(csv.DictReader(io.StringIO(result), delimiter=";"))["credential_id"]
    revoked = site.client.post(
        f"/portal/credentials/{first}/status",
        data={"csrf_token": token(site), "action": "revoke", "reason": "erreur", "confirm": "yes"},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    archive = site.client.get(f"/portal/bulk/{import_id}/certificates.zip?lang=fr")
    assert archive.status_code == 200 and archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        assert z.testzip() is None
        assert sorted(z.namelist()) == ["00003-benevole-00001.pdf", "00004-benevole-00002.pdf"]


def test_more_than_a_hundred_distinct_activities_is_a_file_error(
    site: Platform, coordinator: Any, db: Engine
) -> None:
    rows = _rows(101)
    for i, row in enumerate(rows):
        row["activity_title"] = f"Activité {i}"
    _, html = _preview(site, excel_csv(rows))
    codes = {a["data-code"] for a in Elements(html).named("li") if a.get("data-code")}
    assert codes == {"too_many_activities"}
    assert 'id="confirm-form"' not in html
    assert _issued(db) == 0


def test_the_stage_of_an_import_when_the_reader_snapshot_predates_its_end() -> None:
    """A poll may read the import as issuing after it ended: the runner's record says how it ended."""
    from skills_vc.api.pages.portal_bulk import _stage
    from skills_vc.services.bulk_import import Progress
    from skills_vc.store.tables import BulkImport

    row = BulkImport(status="issuing", issued_count=0, valid_count=30, error_code=None)
    assert _stage(row, None) == ("interrupted", 0, 30, None)  # no runner of this process has it
    assert _stage(row, Progress(total=30, done=10)) == ("issuing", 10, 30, None)
    assert _stage(row, Progress(total=30, done=30, outcome="done")) == ("done", 30, 30, None)
    failed = Progress(total=30, done=20, outcome="internal_error")
    assert _stage(row, failed) == ("failed", 0, 30, "internal_error")
    finished = BulkImport(status="done", issued_count=30, valid_count=30, error_code=None)
    assert _stage(finished, failed) == ("done", 30, 30, None)  # the committed row wins once visible


@pytest.mark.parametrize(
    ("form", "code"),
    [({"coordinator_role": " "}, "missing_field"), ({"language": "de"}, "unsupported_language")],
)
def test_the_upload_form_is_checked_before_the_file(
    site: Platform, coordinator: Any, form: dict[str, str], code: str
) -> None:
    response = _upload(site, excel_csv(_rows(2)), **form)
    assert response.status_code == 422 and f'data-error="{code}"' in response.text
    assert 'id="imports-heading"' not in site.client.get("/portal/bulk").text  # nothing stored
