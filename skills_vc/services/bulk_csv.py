"""Parsing and checking the CSV file a volunteer coordinator uploads to issue credentials in bulk.

The format
----------
One header row, then one row per volunteer and activity. Files come from Excel, LibreOffice or Google
Sheets, so the parser accepts what they produce:

* UTF-8 with or without a byte order mark. Bytes that are not valid UTF-8 (an old Excel saving as
  Windows-1252) do not reject the whole file and are never guessed: the rows holding them get a
  ``not_utf8`` error, the other rows are parsed normally and ``ParsedFile.encoding_problem`` is set so
  the page can ask for "CSV UTF-8".
* ``;`` (Excel in a Belgian or French locale), ``,`` or tab as separator, detected by counting them
  outside quotes on the header line. Quoted cells may hold the separator and line breaks; lines end
  with ``\\r\\n`` or ``\\n``.
* Headers are matched without regard to case, accents, surrounding spaces, or the difference between
  spaces, hyphens and underscores, in English, French or Dutch (the names are those of the published
  format, schemas/bulk-issuance.csv.json). Every column must be recognised: an unknown column is an
  error, never silently dropped data.

Row numbers (``ParsedRow.line``) are the physical line of the record's first line in the file, the
header being line 1, so that the coordinator finds the row in the spreadsheet even when quoted cells
span several lines. Blank rows are skipped without being counted.

Nothing here touches a database or the web: ``parse_csv`` takes bytes and returns a ``ParsedFile``
whose rows carry stable error codes (``RowError.code``) with the values a translated message needs
(``RowError.params``). File-level errors (``ParsedFile.file_errors``) mean that nothing can be issued.

Error codes. File level, nothing issuable: ``file_too_large`` {limit_mib}, ``empty_file``,
``malformed_csv`` {line}, ``not_utf8`` {offset, byte, line} (in the header), ``missing_columns``,
``unknown_columns``, ``duplicate_columns`` and ``empty_column_header`` {columns}, ``no_rows``,
``too_many_rows`` {limit, count}. Row level: ``not_utf8`` {offset, byte} (alone: nothing else is
checked), ``wrong_field_count`` {expected, found}, ``missing_value``, ``invalid_characters``,
``invalid_date`` {value}, ``end_before_start`` {start, end}, ``date_in_future`` {value},
``invalid_hours`` {value}, ``hours_exceed_period`` {hours, max}, ``invalid_language`` {value},
``invalid_email`` {value}, ``value_too_long`` {limit}, ``invalid_skill`` {value}, ``too_many_skills``
{limit}, ``too_many_tasks`` {limit}, ``duplicate_row`` {first_line}. ``not_utf8`` gives the 0-based
byte offset in the record and the bad byte as two upper-case hex digits (``E9``).

Cell values are kept as typed, apart from whitespace: surrounding whitespace is trimmed and inner runs
collapsed to one space, except in the description, where line breaks are kept and each line trimmed.
Text is normalised to Unicode NFC.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from skills_vc.core.emails import is_email
from skills_vc.published import load_schema

__all__ = [
    "COLUMNS",
    "HEADERS",
    "LANGUAGES",
    "REQUIRED",
    "CsvLimits",
    "ParsedFile",
    "ParsedRow",
    "RowError",
    "group_key",
    "identity_key",
    "parse_csv",
    "template_csv",
]

LANGUAGES = ("fr", "nl", "en")

# The columns, their header names and aliases, which are required, and the limits are those of the
# published format (schemas/bulk-issuance.csv.json), so that what the coordinators' IT people read
# there is what this parser does.
_FORMAT = load_schema("bulk-issuance.csv.json")
_SPECS: dict[str, dict[str, Any]] = {column["key"]: column for column in _FORMAT["columns"]}

COLUMNS: tuple[str, ...] = tuple(_SPECS)
REQUIRED: frozenset[str] = frozenset(key for key, spec in _SPECS.items() if spec["required"])
# Every name a header may have: the three languages' headers, then the other aliases.
_ALIASES: dict[str, tuple[str, ...]] = {
    key: tuple(dict.fromkeys([*spec["headers"].values(), *spec["aliases"]])) for key, spec in _SPECS.items()
}
HEADERS: dict[str, dict[str, str]] = {
    lang: {key: spec["headers"][lang] for key, spec in _SPECS.items()} for lang in LANGUAGES
}
MAX_LENGTHS: dict[str, int] = {
    key: spec["max_length"] for key, spec in _SPECS.items() if "max_length" in spec
}
MAX_TASK_LENGTH: int = _SPECS["tasks"]["item_max_length"]
MAX_TASKS: int = _SPECS["tasks"]["max_items"]
MAX_SKILLS: int = _SPECS["skills"]["max_items"]
MIN_HOURS: int = _SPECS["hours"]["minimum"]
MAX_HOURS: int = _SPECS["hours"]["maximum"]
_EARLIEST: dict[str, date] = {
    key: date.fromisoformat(spec["minimum"]) for key, spec in _SPECS.items() if spec["type"] == "date"
}
ESCO_SKILL_PREFIX = "http://data.europa.eu/esco/skill/"

_MIB = 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_DELIMITERS: tuple[str, ...] = tuple(_FORMAT["separators"])  # in order of preference on a tie
_BAD_BYTE = re.compile("[\udc80-\udcff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # \r is a line break, handled by _clean
_HAS_TEXT = re.compile('[^\\s"' + re.escape("".join(_DELIMITERS)) + "]")  # blank: spaces, quotes, separators
_HEADER_SEPARATORS = re.compile(r"[\s_\-]+")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
_DMY_DATE = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})", re.ASCII)
_HOURS = re.compile(r"0*(\d{1,6})(?:[.,]0{1,2})?", re.ASCII)
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_SKILL = re.compile(rf"(?:https?://data\.europa\.eu/esco/skill/)?({_UUID})", re.IGNORECASE | re.ASCII)
_SKILL_SEPARATORS = re.compile(r"[|,;\s]+")
_TASK_SEPARATORS = re.compile(r"[|\n]")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'", "\ufeff": None})


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class RowError:
    """One problem, as a stable machine code plus the values its human message needs."""

    code: str
    field: str | None
    params: dict[str, str]


@dataclass(frozen=True)
class ParsedRow:
    """One data row. ``values`` is only guaranteed normalised when ``ok``; for a field in error it
    holds the text as typed (trimmed), so that the page can show it."""

    line: int
    values: dict[str, str]
    errors: tuple[RowError, ...]
    key: str
    group: str

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class ParsedFile:
    delimiter: str
    had_bom: bool
    encoding_problem: bool
    columns: dict[str, str]
    file_errors: tuple[RowError, ...]
    rows: tuple[ParsedRow, ...]

    @property
    def valid_rows(self) -> list[ParsedRow]:
        if self.file_errors:
            return []
        return [row for row in self.rows if row.ok]

    @property
    def error_rows(self) -> list[ParsedRow]:
        return [row for row in self.rows if not row.ok]


@dataclass(frozen=True)
class CsvLimits:
    max_bytes: int = _FORMAT["limits"]["max_bytes"]
    max_rows: int = _FORMAT["limits"]["max_rows"]


# --------------------------------------------------------------------------- reading records


@dataclass(frozen=True)
class _Record:
    """A non-blank CSV record with the span of physical lines it came from (0-based, end exclusive)."""

    first: int
    end: int
    cells: list[str]

    @property
    def line(self) -> int:
        return self.first + 1


class _MalformedCsv(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _split_lines(text: str) -> list[str]:
    """Physical lines, ends kept, split the way the csv module counts them (``\\r\\n``, ``\\n``, ``\\r``)."""
    return io.StringIO(text, newline="").readlines()


def _detect_delimiter(lines: Sequence[str]) -> str:
    """The most frequent of ``;``, ``,`` and tab outside quotes on the header line (``,`` if none)."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    in_quotes = False
    started = False
    for line in lines:
        if not started and not _HAS_TEXT.search(line):
            continue
        started = True
        for char in line:
            if char == '"':
                in_quotes = not in_quotes
            elif not in_quotes and char in counts:
                counts[char] += 1
        if not in_quotes:
            break
    best = max(_DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _read_records(lines: list[str], delimiter: str) -> list[_Record]:
    """Every non-blank record; raises ``_MalformedCsv`` when the csv module gives up.

    Blank means nothing but whitespace, separators and quotes, as in ``_detect_delimiter``.
    """
    reader = csv.reader(lines, delimiter=delimiter)
    records: list[_Record] = []
    consumed = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return records
        except csv.Error as exc:
            raise _MalformedCsv(consumed + 1) from exc
        if any(_HAS_TEXT.search(cell) for cell in cells):
            records.append(_Record(consumed, reader.line_num, cells))
        consumed = reader.line_num


def _bad_byte_error(record: _Record, lines: Sequence[str], field: str | None = None) -> RowError | None:
    """``not_utf8`` with the 0-based byte offset in the record and the first bad byte, if any."""
    raw = "".join(lines[record.first : record.end])
    match = _BAD_BYTE.search(raw)
    if match is None:
        return None
    offset = len(raw[: match.start()].encode("utf-8", "surrogateescape"))
    byte = ord(match.group()) - 0xDC00
    return RowError("not_utf8", field, {"offset": str(offset), "byte": f"{byte:02X}"})


# --------------------------------------------------------------------------- header


def _normalise_header(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES).casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _HEADER_SEPARATORS.sub(" ", bare).strip()


def _alias_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for key, aliases in _ALIASES.items():
        for alias in (key, *aliases):
            table[_normalise_header(alias)] = key
    return table


_ALIAS_TO_KEY = _alias_table()


def _column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


@dataclass(frozen=True)
class _Layout:
    """Where each column is: ``positions[i]`` is the key of cell ``i`` (``None`` for a blank header)."""

    positions: tuple[str | None, ...]
    columns: dict[str, str]


def _read_header(cells: Sequence[str], data: Sequence[_Record]) -> tuple[_Layout, list[RowError]]:
    named = list(cells)
    while named and not named[-1].strip():
        named.pop()
    positions: list[str | None] = []
    columns: dict[str, str] = {}
    unknown: list[str] = []
    duplicates: list[str] = []
    blank: list[int] = []
    for index, cell in enumerate(named):
        written = " ".join(unicodedata.normalize("NFC", cell).split()).lstrip("\ufeff")
        if not written:
            positions.append(None)
            blank.append(index)
            continue
        key = _ALIAS_TO_KEY.get(_normalise_header(written))
        positions.append(key)
        if key is None:
            unknown.append(written)
        elif key in columns:
            duplicates.extend(h for h in (columns[key], written) if h not in duplicates)
        else:
            columns[key] = written
    errors: list[RowError] = []
    missing = [key for key in COLUMNS if key in REQUIRED and key not in columns]
    if missing:
        errors.append(RowError("missing_columns", None, {"columns": ", ".join(missing)}))
    if unknown:
        errors.append(RowError("unknown_columns", None, {"columns": ", ".join(unknown)}))
    if duplicates:
        errors.append(RowError("duplicate_columns", None, {"columns": ", ".join(duplicates)}))
    used_blank = [i for i in blank if any(i < len(r.cells) and r.cells[i].strip() for r in data)]
    if used_blank:
        letters = ", ".join(_column_letter(i) for i in used_blank)
        errors.append(RowError("empty_column_header", None, {"columns": letters}))
    return _Layout(tuple(positions), columns), errors


# --------------------------------------------------------------------------- cells


def _clean(raw: str, key: str) -> str:
    """Trimmed, NFC text; whitespace runs collapsed except line breaks in multi-line fields."""
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    if key in ("description", "tasks"):
        return "\n".join(line.strip() for line in text.split("\n")).strip()
    return " ".join(text.split())


def _collapse(text: str) -> str:
    return " ".join(text.casefold().split())


_Check = Callable[[str, str], tuple[str, list[RowError]]]


def _check_length(key: str, text: str) -> tuple[str, list[RowError]]:
    limit = MAX_LENGTHS[key]
    if len(text) > limit:
        return text, [RowError("value_too_long", key, {"limit": str(limit)})]
    return text, []


def _check_email(key: str, text: str) -> tuple[str, list[RowError]]:
    if not is_email(text):
        return text, [RowError("invalid_email", key, {"value": text})]
    return text, []


def _parse_date(text: str, earliest: date) -> date | None:
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = match.group(1), match.group(2), match.group(3)
    elif match := _DMY_DATE.fullmatch(text):
        day, month, year = match.group(1), match.group(3), match.group(4)
    else:
        return None
    try:
        parsed = date(int(year), int(month), int(day))
    except ValueError:
        return None
    return parsed if parsed >= earliest else None


def _check_date(key: str, text: str) -> tuple[str, list[RowError]]:
    parsed = _parse_date(text, _EARLIEST[key])
    if parsed is None:
        return text, [RowError("invalid_date", key, {"value": text})]
    return parsed.isoformat(), []


def _check_hours(key: str, text: str) -> tuple[str, list[RowError]]:
    match = _HOURS.fullmatch(text)
    hours = int(match.group(1)) if match else 0
    if not MIN_HOURS <= hours <= MAX_HOURS:
        return text, [RowError("invalid_hours", key, {"value": text})]
    return str(hours), []


_LANGUAGE_ALIASES: dict[str, str] = {
    _normalise_header(alias): code
    for code, aliases in _SPECS["language"]["values"].items()
    for alias in aliases
}


def _check_language(key: str, text: str) -> tuple[str, list[RowError]]:
    code = _LANGUAGE_ALIASES.get(_normalise_header(text))
    if code is None:
        return text, [RowError("invalid_language", key, {"value": text})]
    return code, []


def _check_tasks(key: str, text: str) -> tuple[str, list[RowError]]:
    tasks = [" ".join(part.split()) for part in _TASK_SEPARATORS.split(text)]
    tasks = [task for task in tasks if task]
    errors: list[RowError] = []
    if any(len(task) > MAX_TASK_LENGTH for task in tasks):
        errors.append(RowError("value_too_long", key, {"limit": str(MAX_TASK_LENGTH)}))
    if len(tasks) > MAX_TASKS:
        errors.append(RowError("too_many_tasks", key, {"limit": str(MAX_TASKS)}))
    return "|".join(tasks), errors


def _check_skills(key: str, text: str) -> tuple[str, list[RowError]]:
    uris: list[str] = []
    errors: list[RowError] = []
    for token in _SKILL_SEPARATORS.split(text):
        if not token:
            continue
        match = _SKILL.fullmatch(token)
        if match is None:
            error = RowError("invalid_skill", key, {"value": token})
            if error not in errors:
                errors.append(error)
            continue
        uri = ESCO_SKILL_PREFIX + match.group(1).lower()
        if uri not in uris:
            uris.append(uri)
    if len(uris) > MAX_SKILLS:
        errors.append(RowError("too_many_skills", key, {"limit": str(MAX_SKILLS)}))
    return "|".join(uris) if not errors else text, errors


_CHECKS: dict[str, _Check] = {
    "volunteer_name": _check_length,
    "volunteer_email": _check_email,
    "activity_title": _check_length,
    "role": _check_length,
    "description": _check_length,
    "tasks": _check_tasks,
    "start_date": _check_date,
    "end_date": _check_date,
    "hours": _check_hours,
    "language": _check_language,
    "location": _check_length,
    "skills": _check_skills,
    "coordinator_name": _check_length,
    "coordinator_role": _check_length,
}


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class _Context:
    layout: _Layout
    lines: Sequence[str]
    default_language: str
    today: date


def _cells_by_key(record: _Record, layout: _Layout) -> dict[str, str]:
    cells: dict[str, str] = {}
    for index, key in enumerate(layout.positions):
        if key is not None:
            cells[key] = record.cells[index] if index < len(record.cells) else ""
    return cells


def _field_count_error(record: _Record, layout: _Layout) -> RowError | None:
    found = len(record.cells)
    while found and not record.cells[found - 1].strip():
        found -= 1
    expected = len(layout.positions)
    if found > expected:
        return RowError("wrong_field_count", None, {"expected": str(expected), "found": str(found)})
    return None


def _undecodable_row(record: _Record, layout: _Layout, error: RowError) -> ParsedRow:
    values: dict[str, str] = {}
    for key, raw in _cells_by_key(record, layout).items():
        shown = _BAD_BYTE.sub("\ufffd", _clean(raw, key))
        if shown:
            values[key] = shown
    return ParsedRow(record.line, values, (error,), "", "")


def _check_cells(cells: dict[str, str]) -> tuple[dict[str, str], list[RowError], set[str]]:
    """Each cell on its own, in file order: values, errors, and the keys of the fields in error."""
    values: dict[str, str] = {}
    errors: list[RowError] = []
    bad: set[str] = set()
    for key, raw in cells.items():
        if raw and _CONTROL.search(raw):
            values[key] = " ".join(_CONTROL.sub(" ", raw).split())
            errors.append(RowError("invalid_characters", key, {}))
            bad.add(key)
            continue
        text = _clean(raw, key) if raw else ""
        if text:
            value, field_errors = _CHECKS[key](key, text)
            if value:
                values[key] = value
            if field_errors:
                errors.extend(field_errors)
                bad.add(key)
        elif key in REQUIRED:
            errors.append(RowError("missing_value", key, {}))
            bad.add(key)
    return values, errors, bad


def _cross_checks(values: dict[str, str], bad: set[str], today: date) -> list[RowError]:
    """Checks between fields, each done only when the fields it needs are valid."""
    if {"start_date", "end_date"} & bad:
        return []
    start, end = date.fromisoformat(values["start_date"]), date.fromisoformat(values["end_date"])
    errors: list[RowError] = []
    if end < start:
        errors.append(
            RowError("end_before_start", "end_date", {"start": start.isoformat(), "end": end.isoformat()})
        )
    if end > today:
        errors.append(RowError("date_in_future", "end_date", {"value": end.isoformat()}))
    if end >= start and "hours" not in bad:
        most = 24 * ((end - start).days + 1)
        if int(values["hours"]) > most:
            errors.append(
                RowError("hours_exceed_period", "hours", {"hours": values["hours"], "max": str(most)})
            )
    return errors


def _digest(payload: dict[str, object]) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_IDENTITY = ("volunteer_name", "volunteer_email", "activity_title", "role", "start_date", "end_date")
_GROUP = ("activity_title", "role", "description", "tasks", "language")


def identity_key(values: dict[str, str]) -> str:
    """The idempotency key of a valid row's values (same volunteer, e-mail, activity, role and period)."""
    return _digest(
        {
            "volunteer_name": _collapse(values["volunteer_name"]),
            "volunteer_email": values.get("volunteer_email", "").lower(),
            "activity_title": _collapse(values["activity_title"]),
            "role": _collapse(values["role"]),
            "start_date": values["start_date"],
            "end_date": values["end_date"],
        }
    )


def group_key(values: dict[str, str]) -> str:
    """The key of the distinct activity a valid row describes, whoever did it and when."""
    tasks = values.get("tasks", "")
    return _digest(
        {
            "activity_title": _collapse(values["activity_title"]),
            "role": _collapse(values["role"]),
            "description": _collapse(values["description"]),
            "tasks": [_collapse(task) for task in tasks.split("|")] if tasks else [],
            "language": values["language"],
        }
    )


def _parse_row(record: _Record, context: _Context) -> ParsedRow:
    undecodable = _bad_byte_error(record, context.lines)
    if undecodable is not None:
        return _undecodable_row(record, context.layout, undecodable)
    cells = _cells_by_key(record, context.layout)
    values, errors, bad = _check_cells(cells)
    if "language" not in values and "language" not in bad:
        values["language"] = context.default_language
    errors.extend(_cross_checks(values, bad, context.today))
    count_error = _field_count_error(record, context.layout)
    if count_error is not None:
        errors.insert(0, count_error)
    key = "" if bad & set(_IDENTITY) else identity_key(values)
    group = "" if bad & set(_GROUP) else group_key(values)
    return ParsedRow(record.line, values, tuple(errors), key, group)


def _flag_duplicates(rows: Iterable[ParsedRow]) -> tuple[ParsedRow, ...]:
    first_lines: dict[str, int] = {}
    flagged: list[ParsedRow] = []
    for row in rows:
        if row.key and row.key in first_lines:
            error = RowError("duplicate_row", None, {"first_line": str(first_lines[row.key])})
            row = replace(row, errors=(*row.errors, error))
        elif row.key:
            first_lines[row.key] = row.line
        flagged.append(row)
    return tuple(flagged)


# --------------------------------------------------------------------------- entry points


def _file_failure(delimiter: str, had_bom: bool, encoding_problem: bool, *errors: RowError) -> ParsedFile:
    return ParsedFile(delimiter, had_bom, encoding_problem, {}, tuple(errors), ())


def parse_csv(
    data: bytes, *, default_language: str, today: date, limits: CsvLimits = CsvLimits()
) -> ParsedFile:
    """Parse and check an uploaded file. Never raises on bad input: every problem is an error code.

    ``default_language`` (``fr``, ``nl`` or ``en``) applies to rows without a language; ``today``
    bounds the end dates.
    """
    if default_language not in LANGUAGES:
        raise ValueError(f"default_language must be one of {LANGUAGES}, not {default_language!r}")
    had_bom = data.startswith(_BOM)
    if len(data) > limits.max_bytes:
        limit = {"limit_mib": f"{limits.max_bytes / _MIB:g}"}
        return _file_failure("", had_bom, False, RowError("file_too_large", None, limit))
    text = (data[len(_BOM) :] if had_bom else data).decode("utf-8", "surrogateescape")
    encoding_problem = _BAD_BYTE.search(text) is not None
    lines = _split_lines(text)
    delimiter = _detect_delimiter(lines)
    try:
        records = _read_records(lines, delimiter)
    except _MalformedCsv as exc:
        error = RowError("malformed_csv", None, {"line": str(exc.line)})
        return _file_failure(delimiter, had_bom, encoding_problem, error)
    if not records:
        return _file_failure(delimiter, had_bom, encoding_problem, RowError("empty_file", None, {}))
    header, data_records = records[0], records[1:]
    header_bad_byte = _bad_byte_error(header, lines)
    if header_bad_byte is not None:
        params = {**header_bad_byte.params, "line": str(header.line)}
        return _file_failure(delimiter, had_bom, True, RowError("not_utf8", None, params))
    layout, file_errors = _read_header(header.cells, data_records)
    if not data_records:
        file_errors.append(RowError("no_rows", None, {}))
    elif len(data_records) > limits.max_rows:
        count = {"limit": str(limits.max_rows), "count": str(len(data_records))}
        file_errors.append(RowError("too_many_rows", None, count))
    if file_errors:
        return ParsedFile(delimiter, had_bom, encoding_problem, layout.columns, tuple(file_errors), ())
    context = _Context(layout, lines, default_language, today)
    rows = _flag_duplicates(_parse_row(record, context) for record in data_records)
    return ParsedFile(delimiter, had_bom, encoding_problem, layout.columns, (), rows)


# --------------------------------------------------------------------------- template

_SEW, _TEAMS, _PACK = (
    ESCO_SKILL_PREFIX + "0d207bf2-b0dd-4a36-933f-d2cd3da2933d",  # sew textile-based articles
    ESCO_SKILL_PREFIX + "60c78287-22eb-4103-9c8c-28deaa460da0",  # work in teams
    ESCO_SKILL_PREFIX + "667cbbaf-f377-46d8-8f2d-1f6d8a55d74a",  # pack goods
)

_EXAMPLES: dict[str, tuple[dict[str, str], ...]] = {
    "fr": (
        {
            "volunteer_name": "Marie Dubois",
            "volunteer_email": "marie.dubois@example.org",
            "activity_title": "Couture de masques pour l'hôpital",
            "role": "Couturière bénévole",
            "description": "Confection à domicile de masques en tissu pour le personnel de l'hôpital "
            "pendant la première vague de Covid-19.",
            "tasks": "Découper le tissu selon le patron|Coudre les masques|Livrer les masques à l'hôpital",
            "start_date": "16/03/2020",
            "end_date": "31/05/2020",
            "hours": "120",
            "language": "fr",
            "location": "Namur",
            "skills": f"{_SEW}|{_TEAMS}",
            "coordinator_name": "Sophie Lambert",
            "coordinator_role": "Coordinatrice des bénévoles",
        },
        {
            "volunteer_name": "Jean Peeters",
            "volunteer_email": "",
            "activity_title": "Distribution de colis alimentaires",
            "role": "Bénévole à la distribution",
            "description": "Préparation et distribution de colis alimentaires aux familles en difficulté, "
            "dans le respect des mesures sanitaires.",
            "tasks": "Trier les dons|Préparer les colis|Accueillir les bénéficiaires",
            "start_date": "01/04/2020",
            "end_date": "30/06/2020",
            "hours": "64",
            "language": "fr",
            "location": "Liège",
            "skills": f"{_PACK}|{_TEAMS}",
            "coordinator_name": "Sophie Lambert",
            "coordinator_role": "Coordinatrice des bénévoles",
        },
    ),
    "nl": (
        {
            "volunteer_name": "An Janssens",
            "volunteer_email": "an.janssens@example.org",
            "activity_title": "Mondmaskers naaien voor het ziekenhuis",
            "role": "Vrijwillige naaister",
            "description": "Stoffen mondmaskers thuis naaien voor het ziekenhuispersoneel tijdens de "
            "eerste covid-19-golf.",
            "tasks": "Stof knippen|Mondmaskers naaien|Mondmaskers naar het ziekenhuis brengen",
            "start_date": "16/03/2020",
            "end_date": "31/05/2020",
            "hours": "120",
            "language": "nl",
            "location": "Gent",
            "skills": f"{_SEW}|{_TEAMS}",
            "coordinator_name": "Pieter De Smet",
            "coordinator_role": "Vrijwilligerscoördinator",
        },
        {
            "volunteer_name": "Tom Claes",
            "volunteer_email": "",
            "activity_title": "Voedselpakketten uitdelen",
            "role": "Vrijwilliger voedselbedeling",
            "description": "Voedselpakketten klaarmaken en uitdelen aan gezinnen in nood, met respect "
            "voor de coronamaatregelen.",
            "tasks": "Giften sorteren|Pakketten samenstellen|Gezinnen onthalen",
            "start_date": "01/04/2020",
            "end_date": "30/06/2020",
            "hours": "64",
            "language": "nl",
            "location": "Antwerpen",
            "skills": f"{_PACK}|{_TEAMS}",
            "coordinator_name": "Pieter De Smet",
            "coordinator_role": "Vrijwilligerscoördinator",
        },
    ),
    "en": (
        {
            "volunteer_name": "Marie Dubois",
            "volunteer_email": "marie.dubois@example.org",
            "activity_title": "Sewing face masks for the hospital",
            "role": "Volunteer seamstress",
            "description": "Sewing fabric face masks at home for hospital staff during the first "
            "Covid-19 wave.",
            "tasks": "Cut the fabric to the pattern|Sew the masks|Deliver the masks to the hospital",
            "start_date": "2020-03-16",
            "end_date": "2020-05-31",
            "hours": "120",
            "language": "en",
            "location": "Brussels",
            "skills": f"{_SEW}|{_TEAMS}",
            "coordinator_name": "Sophie Lambert",
            "coordinator_role": "Volunteer coordinator",
        },
        {
            "volunteer_name": "Tom Claes",
            "volunteer_email": "",
            "activity_title": "Distributing food parcels",
            "role": "Food distribution volunteer",
            "description": "Preparing and handing out food parcels to families in need, following the "
            "health measures.",
            "tasks": "Sort donations|Pack parcels|Welcome recipients",
            "start_date": "2020-04-01",
            "end_date": "2020-06-30",
            "hours": "64",
            "language": "en",
            "location": "Brussels",
            "skills": f"{_PACK}|{_TEAMS}",
            "coordinator_name": "Sophie Lambert",
            "coordinator_role": "Volunteer coordinator",
        },
    ),
}


def template_csv(lang: str) -> bytes:
    """A template to fill in: UTF-8 with BOM, ``;`` separated, ``\\r\\n`` line ends, two example rows."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, not {lang!r}")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([HEADERS[lang][key] for key in COLUMNS])
    for example in _EXAMPLES[lang]:
        writer.writerow([example[key] for key in COLUMNS])
    return _BOM + out.getvalue().encode("utf-8")
