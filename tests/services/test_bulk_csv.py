"""The bulk upload CSV parser: formats spreadsheets produce, and every error code it can give."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skills_vc.services import bulk_csv
from skills_vc.services.bulk_csv import (
    COLUMNS,
    HEADERS,
    REQUIRED,
    CsvLimits,
    ParsedFile,
    ParsedRow,
    RowError,
    parse_csv,
    template_csv,
)

TODAY = date(2024, 6, 1)
SKILL = "http://data.europa.eu/esco/skill/"
SEW = SKILL + "0d207bf2-b0dd-4a36-933f-d2cd3da2933d"
TEAMS = SKILL + "60c78287-22eb-4103-9c8c-28deaa460da0"

BASE: dict[str, str] = {
    "volunteer_name": "Marie Dubois",
    "volunteer_email": "marie@example.org",
    "activity_title": "Sewing masks",
    "role": "Seamstress",
    "description": "Sewing fabric masks for the hospital.",
    "start_date": "2020-03-16",
    "end_date": "2020-05-31",
    "hours": "120",
}
BASE_COLUMNS = tuple(BASE)


def build(
    rows: list[dict[str, str]],
    columns: tuple[str, ...] = BASE_COLUMNS,
    *,
    lang: str = "en",
    delimiter: str = ",",
    newline: str = "\n",
    bom: bool = False,
) -> bytes:
    """A CSV file with the given rows, headers in ``lang``."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow([HEADERS[lang][key] for key in columns])
    for row in rows:
        writer.writerow([row.get(key, "") for key in columns])
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def parse(data: bytes, **kwargs: object) -> ParsedFile:
    options: dict[str, object] = {"default_language": "fr", "today": TODAY, **kwargs}
    return parse_csv(data, **options)  # type: ignore[arg-type]


def one_row(columns: tuple[str, ...] = BASE_COLUMNS, **overrides: str) -> ParsedRow:
    parsed = parse(build([{**BASE, **overrides}], columns))
    assert parsed.file_errors == ()
    assert len(parsed.rows) == 1
    return parsed.rows[0]


def codes(row: ParsedRow) -> list[str]:
    return [error.code for error in row.errors]


def file_codes(parsed: ParsedFile) -> list[str]:
    return [error.code for error in parsed.file_errors]


# --------------------------------------------------------------------------- formats


def test_utf8_comma_file() -> None:
    parsed = parse(build([BASE, {**BASE, "volunteer_name": "Jean Peeters", "volunteer_email": ""}]))
    assert parsed.delimiter == ","
    assert not parsed.had_bom
    assert not parsed.encoding_problem
    assert parsed.file_errors == ()
    assert [row.line for row in parsed.valid_rows] == [2, 3]
    assert parsed.error_rows == []
    first, second = parsed.rows
    assert first.values == {**BASE, "language": "fr"}
    assert "volunteer_email" not in second.values
    assert len(first.key) == 64 and first.key != second.key
    assert first.group == second.group and len(first.group) == 64
    assert parsed.columns == {key: HEADERS["en"][key] for key in BASE_COLUMNS}


def test_excel_semicolon_bom_crlf_french_headers() -> None:
    text = (
        "Nom du bénévole;Courriel;Titre de l'activité;Rôle;Description;Tâches;Date de début;"
        "Date de fin;Nombre d'heures;Langue;Lieu;Compétences;Coordinatrice;Fonction du coordinateur;;\r\n"
        "Marie Dubois;marie@example.org;Couture de masques;Couturière;Masques pour l'hôpital;"
        "Découper|Coudre;16/03/2020;31/05/2020;120;Français;Namur;" + SEW + ";Sophie;Coordinatrice;;\r\n"
        ";;;;;;;;;;;;;;;\r\n"
        "Jean Peeters;;Colis alimentaires;Bénévole;Distribution de colis;;1/4/2020;30.06.2020;64,0;;"
        "Liège;;;;;\r\n"
    )
    parsed = parse(b"\xef\xbb\xbf" + text.encode("utf-8"), default_language="nl")
    assert parsed.delimiter == ";"
    assert parsed.had_bom
    assert parsed.file_errors == ()
    assert parsed.columns["volunteer_name"] == "Nom du bénévole"
    assert parsed.columns["coordinator_name"] == "Coordinatrice"
    first, second = parsed.rows
    assert first.ok and second.ok
    assert first.values["tasks"] == "Découper|Coudre"
    assert first.values["start_date"] == "2020-03-16"
    assert first.values["language"] == "fr"
    assert first.values["skills"] == SEW
    assert second.line == 4  # the blank line 3 is skipped but still counted as a line
    assert second.values["start_date"] == "2020-04-01"
    assert second.values["end_date"] == "2020-06-30"
    assert second.values["hours"] == "64"
    assert second.values["language"] == "nl"  # the default, cell empty
    assert "tasks" not in second.values and "skills" not in second.values


def test_dutch_headers() -> None:
    text = (
        "Naam;E-mail;Activiteit;Functie;Omschrijving;Taken;Begindatum;Tot;Uren;Taal;Locatie;Vaardigheden;"
        "Coördinator;Rol coördinator\n"
        "An Janssens;an@example.org;Mondmaskers naaien;Naaister;Maskers voor het ziekenhuis;Knippen|Naaien;"
        "16-03-2020;31-05-2020;120;Nederlands;Gent;" + TEAMS + ";Pieter;Coördinator\n"
    )
    parsed = parse(text.encode("utf-8"))
    assert parsed.file_errors == ()
    assert set(parsed.columns) == set(COLUMNS)
    (row,) = parsed.rows
    assert row.ok, row.errors
    assert row.values["language"] == "nl"
    assert row.values["volunteer_name"] == "An Janssens"
    assert row.values["coordinator_role"] == "Coördinator"


def test_tab_delimiter() -> None:
    parsed = parse(build([BASE], delimiter="\t"))
    assert parsed.delimiter == "\t"
    assert parsed.rows[0].ok


@pytest.mark.parametrize(
    "header",
    [
        "VOLUNTEER_NAME",
        "  Volunteer-Name ",
        "volunteer   name",
        "NOM DU BENEVOLE",
        "Bénévole",
        "naam_vrijwilliger",
    ],
)
def test_headers_ignore_case_accents_and_separators(header: str) -> None:
    text = f"{header},activité,ROLE,description,Start_Date,END-DATE,heures\nA,B,C,D,2020-01-01,2020-01-02,4\n"
    parsed = parse(text.encode("utf-8"))
    assert parsed.file_errors == ()
    assert parsed.columns["volunteer_name"] == " ".join(header.split())
    assert parsed.rows[0].ok


def test_typographic_apostrophe_in_header() -> None:
    text = "nom;titre de l’activité;rôle;description;début;fin;nombre d’heures\nA;B;C;D;1/1/2020;2/1/2020;4\n"
    parsed = parse(text.encode("utf-8"))
    assert parsed.file_errors == ()
    assert parsed.rows[0].ok


def test_quoted_fields_with_delimiter_and_newlines_keep_line_numbers() -> None:
    text = (
        "nom;titre;rôle;description;début;fin;heures\r\n"
        'Marie;"Masques; blouses";Couturière;"Première ligne\r\n   deuxième ligne  \r\n\r\ntroisième";'
        "1/3/2020;2/3/2020;10\r\n"
        'Jean;"Colis";"Chauffeur\r\nlivreur";"Une; deux";1/3/2020;2/3/2020;10\r\n'
        "Luc;Colis;Chauffeur;Livraisons;1/3/2020;2/3/2020;abc\r\n"
    )
    parsed = parse(text.encode("utf-8"))
    assert parsed.delimiter == ";"
    first, second, third = parsed.rows
    assert (first.line, second.line, third.line) == (2, 6, 8)
    assert first.values["activity_title"] == "Masques; blouses"
    assert first.values["description"] == "Première ligne\ndeuxième ligne\n\ntroisième"
    assert second.values["role"] == "Chauffeur livreur"  # newline collapsed outside the description
    assert second.values["description"] == "Une; deux"
    assert first.ok and second.ok
    assert codes(third) == ["invalid_hours"]


def test_header_with_quoted_delimiters_does_not_fool_detection() -> None:
    text = '"volunteer name";"activity, title";role;description;start;end;hours\n'
    parsed = parse(text.encode("utf-8"))
    assert parsed.delimiter == ";"
    assert file_codes(parsed) == ["missing_columns", "unknown_columns", "no_rows"]
    assert parsed.file_errors[1].params == {"columns": "activity, title"}


def test_whitespace_is_trimmed_and_collapsed_and_nfc() -> None:
    row = one_row(volunteer_name="  Marie\t  Dubois ", role="Cou\u0301turie\u0300re")
    assert row.values["volunteer_name"] == "Marie Dubois"
    assert row.values["role"] == "Coúturière"


def test_fewer_cells_mean_empty_optional_values() -> None:
    text = "volunteer name,activity,role,description,start date,end date,hours,location,skills\n"
    text += "A,B,C,D,2020-01-01,2020-01-02,4\n"
    (row,) = parse(text.encode()).rows
    assert row.ok
    assert "location" not in row.values and "skills" not in row.values


def test_blank_lines_are_skipped_and_not_counted() -> None:
    data = (
        build([BASE]) + b"\n,,,,,,,\n   \n" + build([{**BASE, "volunteer_name": "Jean"}]).split(b"\n", 1)[1]
    )
    parsed = parse(data, limits=CsvLimits(max_rows=2))
    assert parsed.file_errors == ()
    assert [row.line for row in parsed.rows] == [2, 6]


# --------------------------------------------------------------------------- accepted values


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020-03-16", "2020-03-16"),
        ("2020-3-6", "2020-03-06"),
        ("16/03/2020", "2020-03-16"),
        ("6/3/2020", "2020-03-06"),
        ("16-03-2020", "2020-03-16"),
        ("16.03.2020", "2020-03-16"),
        (" 16/03/2020 ", "2020-03-16"),
        ("29/02/2020", "2020-02-29"),
        ("01/01/2000", "2000-01-01"),
    ],
)
def test_accepted_dates(value: str, expected: str) -> None:
    row = one_row(start_date=value, end_date="2020-05-31", hours="10")
    assert row.ok, row.errors
    assert row.values["start_date"] == expected


@pytest.mark.parametrize(
    ("value", "expected"), [("12", "12"), ("12.0", "12"), ("12,0", "12"), (" 12 ", "12"), ("012", "12")]
)
def test_accepted_hours(value: str, expected: str) -> None:
    row = one_row(hours=value)
    assert row.ok, row.errors
    assert row.values["hours"] == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("FR", "fr"),
        ("français", "fr"),
        ("Francais", "fr"),
        ("french", "fr"),
        ("Frans", "fr"),
        ("nl", "nl"),
        ("Nederlands", "nl"),
        ("néerlandais", "nl"),
        ("Dutch", "nl"),
        ("vlaams", "nl"),
        ("En", "en"),
        ("English", "en"),
        ("anglais", "en"),
        ("Engels", "en"),
        ("", "fr"),
    ],
)
def test_accepted_languages(value: str, expected: str) -> None:
    row = one_row((*BASE_COLUMNS, "language"), language=value)
    assert row.ok, row.errors
    assert row.values["language"] == expected


def test_default_language_applies_without_a_language_column() -> None:
    parsed = parse(build([BASE]), default_language="en")
    assert parsed.rows[0].values["language"] == "en"


def test_default_language_must_be_supported() -> None:
    with pytest.raises(ValueError, match="default_language"):
        parse(build([BASE]), default_language="de")


def test_skills_in_every_accepted_form() -> None:
    uuid_upper = "60C78287-22EB-4103-9C8C-28DEAA460DA0"
    value = f"{SEW} | {uuid_upper},\n{SEW}  https://data.europa.eu/esco/skill/667cbbaf-f377-46d8-8f2d-1f6d8a55d74a"
    row = one_row((*BASE_COLUMNS, "skills"), skills=value)
    assert row.ok, row.errors
    assert row.values["skills"] == "|".join([SEW, TEAMS, SKILL + "667cbbaf-f377-46d8-8f2d-1f6d8a55d74a"])


def test_tasks_split_on_bars_and_line_breaks() -> None:
    row = one_row((*BASE_COLUMNS, "tasks"), tasks=" Cut  fabric | Sew\nDeliver||")
    assert row.ok
    assert row.values["tasks"] == "Cut fabric|Sew|Deliver"


def test_a_single_day_may_have_24_hours() -> None:
    row = one_row(start_date="2020-03-16", end_date="2020-03-16", hours="24")
    assert row.ok


def test_end_date_today_is_not_in_the_future() -> None:
    assert one_row(end_date=TODAY.isoformat()).ok


# --------------------------------------------------------------------------- row errors


ALL = (*BASE_COLUMNS, "tasks", "language", "location", "skills", "coordinator_name", "coordinator_role")


@pytest.mark.parametrize(
    ("overrides", "code", "field", "params"),
    [
        ({"volunteer_name": " "}, "missing_value", "volunteer_name", {}),
        ({"activity_title": ""}, "missing_value", "activity_title", {}),
        ({"role": ""}, "missing_value", "role", {}),
        ({"description": "\n"}, "missing_value", "description", {}),
        ({"start_date": ""}, "missing_value", "start_date", {}),
        ({"end_date": ""}, "missing_value", "end_date", {}),
        ({"hours": ""}, "missing_value", "hours", {}),
        ({"start_date": "31/02/2021"}, "invalid_date", "start_date", {"value": "31/02/2021"}),
        ({"start_date": "16/03/20"}, "invalid_date", "start_date", {"value": "16/03/20"}),
        ({"start_date": "20-03-16"}, "invalid_date", "start_date", {"value": "20-03-16"}),
        ({"start_date": "31/12/1999"}, "invalid_date", "start_date", {"value": "31/12/1999"}),
        ({"start_date": "16/03-2020"}, "invalid_date", "start_date", {"value": "16/03-2020"}),
        ({"end_date": "March 2020"}, "invalid_date", "end_date", {"value": "March 2020"}),
        ({"end_date": "2020-13-01"}, "invalid_date", "end_date", {"value": "2020-13-01"}),
        ({"end_date": "٢٠٢٠-٠٣-١٦"}, "invalid_date", "end_date", {"value": "٢٠٢٠-٠٣-١٦"}),
        ({"hours": "12,5"}, "invalid_hours", "hours", {"value": "12,5"}),
        ({"hours": "0"}, "invalid_hours", "hours", {"value": "0"}),
        ({"hours": "-3"}, "invalid_hours", "hours", {"value": "-3"}),
        ({"hours": "abc"}, "invalid_hours", "hours", {"value": "abc"}),
        ({"hours": "1e3"}, "invalid_hours", "hours", {"value": "1e3"}),
        ({"hours": "1.000"}, "invalid_hours", "hours", {"value": "1.000"}),
        ({"hours": "10001"}, "invalid_hours", "hours", {"value": "10001"}),
        ({"hours": "9" * 5000}, "invalid_hours", "hours", {"value": "9" * 5000}),
        ({"language": "de"}, "invalid_language", "language", {"value": "de"}),
        (
            {"volunteer_email": "marie@example"},
            "invalid_email",
            "volunteer_email",
            {"value": "marie@example"},
        ),
        ({"volunteer_email": "a@b@c.be"}, "invalid_email", "volunteer_email", {"value": "a@b@c.be"}),
        (
            {"volunteer_email": "marie dubois@x.be"},
            "invalid_email",
            "volunteer_email",
            {"value": "marie dubois@x.be"},
        ),
        ({"volunteer_email": "marie@.be"}, "invalid_email", "volunteer_email", {"value": "marie@.be"}),
        (
            {"volunteer_email": "m" * 320 + "@x.be"},
            "invalid_email",
            "volunteer_email",
            {"value": "m" * 320 + "@x.be"},
        ),
        ({"volunteer_name": "n" * 201}, "value_too_long", "volunteer_name", {"limit": "200"}),
        ({"activity_title": "t" * 301}, "value_too_long", "activity_title", {"limit": "300"}),
        ({"role": "r" * 201}, "value_too_long", "role", {"limit": "200"}),
        ({"description": "d" * 5001}, "value_too_long", "description", {"limit": "5000"}),
        ({"location": "l" * 301}, "value_too_long", "location", {"limit": "300"}),
        ({"coordinator_name": "c" * 201}, "value_too_long", "coordinator_name", {"limit": "200"}),
        ({"coordinator_role": "c" * 201}, "value_too_long", "coordinator_role", {"limit": "200"}),
        ({"tasks": "ok|" + "t" * 501}, "value_too_long", "tasks", {"limit": "500"}),
        ({"tasks": "|".join(f"task {i}" for i in range(21))}, "too_many_tasks", "tasks", {"limit": "20"}),
        ({"skills": "sew-textiles"}, "invalid_skill", "skills", {"value": "sew-textiles"}),
        (
            {"skills": "http://data.europa.eu/esco/occupation/60c78287-22eb-4103-9c8c-28deaa460da0"},
            "invalid_skill",
            "skills",
            {"value": "http://data.europa.eu/esco/occupation/60c78287-22eb-4103-9c8c-28deaa460da0"},
        ),
        (
            {"skills": "|".join(f"{i:08x}-0000-4000-8000-000000000000" for i in range(41))},
            "too_many_skills",
            "skills",
            {"limit": "40"},
        ),
        ({"role": "Cout\x00uriere"}, "invalid_characters", "role", {}),
        ({"description": "line\x0bbreak"}, "invalid_characters", "description", {}),
        (
            {"start_date": "2020-05-01", "end_date": "2020-04-01"},
            "end_before_start",
            "end_date",
            {"start": "2020-05-01", "end": "2020-04-01"},
        ),
        ({"end_date": "2024-06-02"}, "date_in_future", "end_date", {"value": "2024-06-02"}),
        (
            {"start_date": "2020-03-16", "end_date": "2020-03-17", "hours": "49"},
            "hours_exceed_period",
            "hours",
            {"hours": "49", "max": "48"},
        ),
    ],
)
def test_row_error(overrides: dict[str, str], code: str, field: str, params: dict[str, str]) -> None:
    parsed = parse(build([BASE, {**BASE, "volunteer_name": "Other", **overrides}], ALL))
    assert parsed.file_errors == ()
    good, bad = parsed.rows
    assert good.ok
    assert bad.errors == (RowError(code, field, params),)
    assert not bad.ok
    assert parsed.valid_rows == [good]
    assert parsed.error_rows == [bad]


def test_several_errors_on_one_row() -> None:
    row = one_row(volunteer_name="", start_date="32/01/2020", hours="x")
    assert codes(row) == ["missing_value", "invalid_date", "invalid_hours"]
    assert row.key == ""
    assert row.values["hours"] == "x"  # shown as typed


def test_future_and_reversed_dates_together() -> None:
    row = one_row(start_date="2030-01-02", end_date="2030-01-01")
    assert codes(row) == ["end_before_start", "date_in_future"]


def test_wrong_field_count() -> None:
    data = build([BASE]) + b"A,a@b.be,B,C,D,2020-01-01,2020-01-02,4,,extra,,\n"
    parsed = parse(data)
    assert parsed.rows[0].ok
    second = parsed.rows[1]
    assert second.line == 3
    assert second.errors == (RowError("wrong_field_count", None, {"expected": "8", "found": "10"}),)


def test_extra_empty_cells_are_fine() -> None:
    data = build([BASE]) + b"A,,B,C,D,2020-01-01,2020-01-02,4,,,,,\n"
    assert all(row.ok for row in parse(data).rows)


def test_windows_1252_rows_are_flagged_not_guessed() -> None:
    header = "volunteer name;activity;role;description;start date;end date;hours\r\n"
    rows = [
        "Marie Dubois;Masques;Couturiere;Masques;1/3/2020;2/3/2020;10\r\n",
        "Ren\xe9e Lef\xe8vre;Masques;Couturi\xe8re;Masques;1/3/2020;2/3/2020;10\r\n",
        "Jean;Colis;Chauffeur;Colis;1/3/2020;2/3/2020;10\r\n",
        'Luc;"Colis\r\nalimentaires";Chauffeur;"Tri\r\n\xe9";1/3/2020;2/3/2020;10\r\n',
        "Anne;Colis;Chauffeur;Colis;1/3/2020;2/3/2020;10\r\n",
    ]
    data = (header + "".join(rows)).encode("cp1252")
    parsed = parse(data)
    assert parsed.encoding_problem
    assert parsed.file_errors == ()
    assert [row.line for row in parsed.valid_rows] == [2, 4, 8]  # Luc spans lines 5 to 7
    renee, luc = parsed.error_rows
    assert renee.line == 3
    assert renee.errors == (RowError("not_utf8", None, {"offset": "3", "byte": "E9"}),)
    assert renee.values["volunteer_name"] == "Ren\ufffde Lef\ufffdvre"
    assert renee.key == "" and renee.group == ""
    assert luc.line == 5
    offset = rows[3].index("\xe9")
    assert luc.errors == (RowError("not_utf8", None, {"offset": str(offset), "byte": "E9"}),)


def test_windows_1252_header_is_a_file_error() -> None:
    data = (
        "nom du b\xe9n\xe9vole;titre;r\xf4le;description;d\xe9but;fin;heures\nA;B;C;D;1/1/2020;2/1/2020;4\n"
    )
    parsed = parse(data.encode("cp1252"))
    assert parsed.encoding_problem
    assert parsed.rows == ()
    assert parsed.file_errors == (RowError("not_utf8", None, {"offset": "8", "byte": "E9", "line": "1"}),)


def test_utf8_file_has_no_encoding_problem_even_with_exotic_text() -> None:
    row = one_row(volunteer_name="Zoë 李 Ñandú 🙂")
    assert row.ok
    assert row.values["volunteer_name"] == "Zoë 李 Ñandú 🙂"


# --------------------------------------------------------------------------- keys and duplicates


def test_duplicate_rows_flag_the_second_with_the_first_line() -> None:
    rows = [
        BASE,
        {**BASE, "volunteer_name": "Jean"},
        {**BASE, "volunteer_name": "  MARIE   dubois", "volunteer_email": "Marie@Example.ORG", "hours": "80",
         "description": "Something else", "start_date": "16/03/2020"},
    ]  # fmt: skip
    parsed = parse(build(rows))
    first, other, duplicate = parsed.rows
    assert first.ok and other.ok
    assert duplicate.errors == (RowError("duplicate_row", None, {"first_line": "2"}),)
    assert duplicate.key == first.key
    assert parsed.valid_rows == [first, other]


@pytest.mark.parametrize(
    "change",
    [
        {"volunteer_name": "Marie Dubois-Martin"},
        {"volunteer_name": "Marie Dubóis"},  # accents are kept
        {"volunteer_email": "other@example.org"},
        {"volunteer_email": ""},
        {"activity_title": "Sewing gowns"},
        {"role": "Cutter"},
        {"start_date": "2020-03-17"},
        {"end_date": "2020-05-30"},
    ],
)
def test_identity_changes_make_another_key(change: dict[str, str]) -> None:
    parsed = parse(build([BASE, {**BASE, **change}]))
    assert all(row.ok for row in parsed.rows)
    assert parsed.rows[0].key != parsed.rows[1].key


def test_group_is_the_activity_whoever_did_it() -> None:
    columns = (*BASE_COLUMNS, "tasks", "language")
    rows = [
        {**BASE, "tasks": "Cut|Sew", "language": "en"},
        {**BASE, "volunteer_name": "Jean", "start_date": "2020-04-01", "hours": "10", "tasks": "cut | SEW"},
        {**BASE, "volunteer_name": "Luc", "description": "Other words", "language": "en"},
        {**BASE, "volunteer_name": "Ann", "language": "nl", "tasks": "Cut|Sew"},
    ]
    parsed = parse(build(rows, columns), default_language="en")
    marie, jean, luc, ann = parsed.rows
    assert marie.group == jean.group
    assert len({marie.group, luc.group, ann.group}) == 3


def test_keys_are_empty_when_not_computable() -> None:
    no_role = one_row(role="")
    assert no_role.key == "" and no_role.group == ""
    bad_hours = one_row(hours="x")
    assert bad_hours.key and bad_hours.group


def test_key_is_sha256_of_documented_fields() -> None:
    row = one_row()
    assert row.key == bulk_csv.identity_key(row.values)
    assert row.group == bulk_csv.group_key(row.values)


# --------------------------------------------------------------------------- file errors


def test_file_too_large_is_checked_first() -> None:
    data = build([BASE])
    parsed = parse(data, limits=CsvLimits(max_bytes=len(data) - 1))
    assert parsed.file_errors == (
        RowError("file_too_large", None, {"limit_mib": f"{(len(data) - 1) / 2**20:g}"}),
    )
    assert parsed.rows == ()
    assert parse(data, limits=CsvLimits(max_bytes=len(data))).file_errors == ()
    big = parse(b"x" * (5 * 1024 * 1024 + 1))
    assert big.file_errors == (RowError("file_too_large", None, {"limit_mib": "5"}),)


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\n\r\n  \n", b";;;\r\n;;\r\n", b"\t\n"])
def test_empty_file(data: bytes) -> None:
    parsed = parse(data)
    assert parsed.file_errors == (RowError("empty_file", None, {}),)
    assert parsed.rows == () and parsed.valid_rows == []


def test_no_rows() -> None:
    parsed = parse(build([]) + b"\n,,,\n")
    assert parsed.file_errors == (RowError("no_rows", None, {}),)


def test_missing_and_unknown_columns() -> None:
    text = "Volunteer,Email,Activity,Remarks,Start,End,Heures,Shoe size\n"
    text += "A,a@b.be,C,x,2020-01-01,2020-01-02,4,42\n"
    parsed = parse(text.encode())
    assert parsed.file_errors == (
        RowError("missing_columns", None, {"columns": "role, description"}),
        RowError("unknown_columns", None, {"columns": "Remarks, Shoe size"}),
    )
    assert parsed.rows == ()
    assert parsed.valid_rows == []


def test_duplicate_columns() -> None:
    text = "nom,naam,titre,rôle,description,début,fin,heures\nA,A,B,C,D,1/1/2020,2/1/2020,4\n"
    parsed = parse(text.encode())
    assert parsed.file_errors == (RowError("duplicate_columns", None, {"columns": "nom, naam"}),)
    assert parsed.rows == ()


def test_trailing_empty_headers_are_ignored() -> None:
    text = "nom;titre;rôle;description;début;fin;heures;;;\r\nA;B;C;D;1/1/2020;2/1/2020;4;;;\r\n"
    parsed = parse(text.encode())
    assert parsed.file_errors == ()
    assert parsed.rows[0].ok


def test_empty_header_in_the_middle() -> None:
    unused = "nom;;titre;rôle;description;début;fin;heures\nA;;B;C;D;1/1/2020;2/1/2020;4\n"
    assert parse(unused.encode()).rows[0].ok
    used = "nom;;titre;rôle;description;début;fin;heures\nA;x;B;C;D;1/1/2020;2/1/2020;4\n"
    parsed = parse(used.encode())
    assert parsed.file_errors == (RowError("empty_column_header", None, {"columns": "B"}),)


def test_malformed_csv_when_a_cell_is_beyond_the_csv_module_limit() -> None:
    huge = '"' + "x" * 200_000 + '"'
    text = "nom,titre,rôle,description,début,fin,heures\nA,B,C,D,1/1/2020,2/1/2020,4\n"
    text += f"A,B,C,{huge},1/1/2020,2/1/2020,4\n"
    parsed = parse(text.encode())
    assert parsed.file_errors == (RowError("malformed_csv", None, {"line": "3"}),)


def test_ten_thousand_rows_parse_quickly_without_errors(
    record_property: Callable[[str, object], None],
) -> None:
    rows = [{**BASE, "volunteer_name": f"Volunteer {i}"} for i in range(10_000)]
    data = build(rows, delimiter=";", newline="\r\n", bom=True)
    started = time.perf_counter()
    parsed = parse(data)
    elapsed = time.perf_counter() - started
    record_property("parse_seconds", round(elapsed, 3))  # measured, not asserted
    assert parsed.file_errors == ()
    assert len(parsed.valid_rows) == 10_000
    assert parsed.rows[-1].line == 10_001


def test_too_many_rows_are_counted_not_validated() -> None:
    rows = [{**BASE, "volunteer_name": f"Volunteer {i}", "hours": "bad"} for i in range(10_001)]
    parsed = parse(build(rows))
    assert parsed.file_errors == (RowError("too_many_rows", None, {"limit": "10000", "count": "10001"}),)
    assert parsed.rows == ()


def test_row_limit_is_configurable() -> None:
    parsed = parse(build([BASE, BASE, BASE]), limits=CsvLimits(max_rows=2))
    assert parsed.file_errors == (RowError("too_many_rows", None, {"limit": "2", "count": "3"}),)


# --------------------------------------------------------------------------- columns and template


def test_column_definitions_are_consistent() -> None:
    assert set(COLUMNS) == set(bulk_csv._ALIASES)
    assert set(COLUMNS) >= REQUIRED
    seen: dict[str, str] = {}
    for key, aliases in bulk_csv._ALIASES.items():
        for alias in (key, *aliases):
            normalised = bulk_csv._normalise_header(alias)
            assert seen.setdefault(normalised, key) == key, f"{alias!r} means two columns"
    for lang in ("fr", "nl", "en"):
        assert list(HEADERS[lang]) == list(COLUMNS)
        for key, header in HEADERS[lang].items():
            assert bulk_csv._ALIAS_TO_KEY[bulk_csv._normalise_header(header)] == key


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_template_parses_without_errors(lang: str) -> None:
    data = template_csv(lang)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    header = next(csv.reader(io.StringIO(text), delimiter=";"))
    assert header == [HEADERS[lang][key] for key in COLUMNS]
    other = {"fr": "nl", "nl": "en", "en": "fr"}[lang]
    parsed = parse(data, default_language=other, today=date(2020, 7, 1))
    assert parsed.delimiter == ";" and parsed.had_bom
    assert parsed.file_errors == ()
    assert len(parsed.rows) == 2
    assert all(row.ok for row in parsed.rows), [row.errors for row in parsed.rows]
    assert all(row.values["language"] == lang for row in parsed.rows)
    assert parsed.columns == HEADERS[lang]
    assert parsed.rows[0].group != parsed.rows[1].group


def test_template_rejects_unknown_language() -> None:
    with pytest.raises(ValueError):
        template_csv("de")


# --------------------------------------------------------------------------- robustness


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    parsed = parse(data)
    assert isinstance(parsed, ParsedFile)
    assert parsed.file_errors or parsed.rows


PIECES = [*'ab é1/-.,;|"\t\r\n\x00\udcff@:', "2020-01-02", "12", SEW]
CELL = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(CELL, max_size=10), max_size=8), st.sampled_from([",", ";", "\t"]))
def test_arbitrary_rows_after_a_valid_header_never_raise(rows: list[list[str]], delimiter: str) -> None:
    text = delimiter.join(HEADERS["en"][key] for key in COLUMNS) + "\n"
    text += "\n".join(delimiter.join(cells) for cells in rows)
    parsed = parse(text.encode("utf-8", "surrogateescape"))
    assert isinstance(parsed, ParsedFile)
    for row in parsed.rows:
        assert row.line >= 2
        assert row.ok == (not row.errors)
        if row.ok:
            assert row.key and row.group
            assert set(row.values) >= REQUIRED
