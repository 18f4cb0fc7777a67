"""Bulk issuance from a CSV file: upload and preview, confirmation of the skills, then issuance.

1. :func:`preview` parses the file (``bulk_csv``), marks the rows already issued by an earlier
   import (each row has an identity key: the same volunteer, activity and dates), asks the mapper
   for skills once per distinct activity and stores the whole preview. Nothing is issued.
2. :func:`confirm` records the skills the coordinator ticked for each activity and marks the
   import ``issuing``.
3. :func:`issue` (run by :class:`ImportRunner` in a thread) records the volunteers and activities
   and issues every credential in **one transaction**: it either issues all the valid rows or,
   on any failure, nothing (the import is then ``failed`` and may be confirmed again). Progress is
   reported chunk by chunk. A row whose key is already recorded is never issued again, whatever
   file it comes in; the database refuses a second activity with the same key, so two imports
   racing cannot both issue it.

When the process stops, an import never stays ``issuing`` without a runner. On SIGTERM
(:meth:`ImportRunner.shutdown`) the running import gets a few seconds to finish; if it does not,
it stops before its next chunk and its transaction is rolled back; it and the imports waiting
their turn are marked ``failed`` with the code ``import_interrupted``. A process that dies (a
crash, SIGKILL) loses the transaction with its connection; the next process to start marks the
import the same way (:meth:`ImportRunner.recover`). Either way nothing of it was issued and it
can be confirmed again. A live runner holds a lock on its import's row for the whole transaction
(PostgreSQL: ``FOR UPDATE``; SQLite: the write lock every transaction takes when it begins), so
no other process takes a running import for an interrupted one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
import threading
import time
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

from sqlalchemy import insert, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from skills_vc.errors import ConflictError, NotFoundError, SkillsVCError, ValidationFailed
from skills_vc.services import certificate, issuance, mapping, records
from skills_vc.services.bulk_csv import CsvLimits, ParsedFile, ParsedRow, parse_csv
from skills_vc.services.context import ServiceContext, transaction
from skills_vc.store import portal as repo
from skills_vc.store.tables import Activity, Association, BulkImport, Volunteer

__all__ = [
    "CHUNK",
    "INTERRUPTED",
    "MAX_GROUPS",
    "SHUTDOWN_FINISH_SECONDS",
    "ImportOptions",
    "ImportRunner",
    "Progress",
    "certificates_zip",
    "confirm",
    "get_import",
    "issue",
    "issuing_elsewhere",
    "preview",
    "result_csv",
]

log = logging.getLogger(__name__)

# Credentials signed and stored per step of the progress bar.
CHUNK = 200
# Distinct activities per file: each one gets the mapper's suggestions and a choice of skills.
MAX_GROUPS = 100
MAX_SKILLS = records.MAX_SKILLS
# About 60 ms per certificate (`make bench`): a ZIP of 1,000 takes about a minute to build.
MAX_ZIP = 1000
_SUGGESTIONS = 10
# The error code of an import that its process stopped (SIGTERM) or lost (crash) before the end.
INTERRUPTED = "import_interrupted"
# On SIGTERM, how long the running import may go on to finish before it is stopped: about ten
# thousand credentials (`make bench`), within the 30 seconds orchestrators usually allow.
SHUTDOWN_FINISH_SECONDS = 10.0
# Then how long to wait for it to roll back and record that it stopped (a chunk takes ~0.2 s).
_STOP_SECONDS = 5.0


@dataclass(frozen=True)
class ImportOptions:
    """What the upload form adds to every row that does not say otherwise."""

    language: str
    coordinator_name: str
    coordinator_role: str

    def check(self) -> None:
        if self.language not in records.LANGUAGES:
            raise ValidationFailed("language must be fr, nl or en", code="unsupported_language")
        for name, value in (
            ("coordinator_name", self.coordinator_name),
            ("coordinator_role", self.coordinator_role),
        ):
            if not value.strip():
                raise ValidationFailed(f"{name} must not be empty", code="missing_field")
            if len(value) > 200:
                raise ValidationFailed(f"{name} is longer than 200 characters", code="value_too_long")


def _error(code: str, field_name: str | None = None, **params: Any) -> dict[str, Any]:
    return {"code": code, "field": field_name, "params": {k: str(v) for k, v in params.items()}}


def _row_json(row: ParsedRow) -> dict[str, Any]:
    return {
        "line": row.line,
        "values": dict(row.values),
        "errors": [{"code": e.code, "field": e.field, "params": dict(e.params)} for e in row.errors],
        "key": row.key,
        "group": row.group,
        "state": "ok" if row.ok else "error",
    }


def _split(value: str | None) -> list[str]:
    return [part for part in (value or "").split("|") if part]


def _check_skills(rows: list[dict[str, Any]]) -> None:
    """A skills cell must name ESCO skills that exist (the parser checked only their form)."""
    index = mapping.get_bundle().index
    for row in rows:
        if row["state"] != "ok":
            continue
        unknown = [uri for uri in _split(row["values"].get("skills")) if not index.has(uri)]
        if unknown:
            row["errors"].append(_error("unknown_skill", "skills", value=unknown[0]))
            row["state"] = "error"


def _mark_already_issued(ctx: ServiceContext, association: Association, rows: list[dict[str, Any]]) -> None:
    keys = [row["key"] for row in rows if row["state"] == "ok"]
    existing = repo.existing_import_keys(ctx.session, association.id, keys)
    for row in rows:
        if row["state"] == "ok" and row["key"] in existing:
            row["state"] = "already_issued"
            row["credential_id"] = existing[row["key"]]


def _suggestions(title: str, description: str, tasks: list[str], lang: str) -> list[dict[str, Any]]:
    result = mapping.suggest(f"{title}. {description}", lang=lang, tasks=tasks or None, limit=_SUGGESTIONS)
    return mapping.suggestion_cards(result)


def _groups(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The distinct activities of the rows still to issue (without suggestions yet)."""
    groups: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["state"] != "ok":
            continue
        values = row["values"]
        group = groups.get(row["group"])
        if group is None:
            group = groups[row["group"]] = {
                "key": row["group"],
                "title": values["activity_title"],
                "role": values["role"],
                "description": values["description"],
                "tasks": _split(values.get("tasks")),
                "language": values["language"],
                "rows": 0,
                "rows_with_own_skills": 0,
                "selected": [],
            }
        group["rows"] += 1
        if values.get("skills"):
            group["rows_with_own_skills"] += 1
    return groups


def _suggest_for(group: dict[str, Any]) -> list[dict[str, Any]]:
    """The mapper's suggestions for an activity, unless every one of its rows names its skills."""
    if group["rows"] == group["rows_with_own_skills"]:
        return []
    return _suggestions(group["title"], group["description"], group["tasks"], group["language"])


def preview(
    ctx: ServiceContext,
    association: Association,
    staff_id: int | None,
    filename: str,
    data: bytes,
    options: ImportOptions,
    limits: CsvLimits | None = None,
) -> BulkImport:
    """Parse an uploaded file and store its preview; nothing is issued."""
    options.check()
    parsed: ParsedFile = parse_csv(
        data, default_language=options.language, today=ctx.now().date(), limits=limits or CsvLimits()
    )
    file_errors = [{"code": e.code, "field": e.field, "params": dict(e.params)} for e in parsed.file_errors]
    rows = [] if file_errors else [_row_json(row) for row in parsed.rows]
    groups: list[dict[str, Any]] = []
    if not file_errors:
        _check_skills(rows)
        _mark_already_issued(ctx, association, rows)
        distinct = _groups(rows)
        if len(distinct) > MAX_GROUPS:
            file_errors.append(_error("too_many_activities", None, count=len(distinct), limit=MAX_GROUPS))
            rows = []
        else:
            groups = [{**group, "suggestions": _suggest_for(group)} for group in distinct.values()]
    if parsed.encoding_problem:
        file_errors.append(_error("encoding_problem"))
    row = BulkImport(
        id=str(uuid.uuid4()),
        association_id=association.id,
        staff_id=staff_id,
        filename=_clean_filename(filename),
        file_sha256=hashlib.sha256(data).hexdigest(),
        status="preview",
        options={
            "language": options.language,
            "coordinator_name": options.coordinator_name.strip(),
            "coordinator_role": options.coordinator_role.strip(),
            "delimiter": parsed.delimiter,
            "had_bom": parsed.had_bom,
            "columns": dict(parsed.columns),
        },
        file_errors=file_errors,
        rows=rows,
        groups=groups,
        row_count=len(parsed.rows),
        valid_count=sum(1 for r in rows if r["state"] == "ok"),
        issued_count=0,
        created_at=ctx.now(),
    )
    repo.add_import(ctx.session, row)
    return row


def _clean_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return (name or "import.csv")[:300]


def get_import(ctx: ServiceContext, association: Association, import_id: str) -> BulkImport:
    row = repo.get_import(ctx.session, association.id, import_id)
    if row is None:
        raise NotFoundError(f"no import {import_id!r} in this association", code="import_not_found")
    return row


def confirm(
    ctx: ServiceContext,
    association: Association,
    import_id: str,
    selections: dict[str, list[str]],
    *,
    interrupted: bool = False,
) -> BulkImport:
    """Record the skills ticked for each activity and mark the import for issuance.

    ``selections`` maps a group key to the ESCO skill URIs ticked for it. Every activity with
    rows to issue needs at least one skill (``no_skills``), at most 40, all known to ESCO.
    ``interrupted`` says that an import still marked ``issuing`` is not running any more (the
    process stopped): its transaction was lost, nothing of it was issued, it may be confirmed again.
    It is refused (``import_running``) when a runner, in this process or another, still holds it.
    """
    row = get_import(ctx, association, import_id)
    confirmable = ("preview", "failed", "issuing") if interrupted else ("preview", "failed")
    if row.status not in confirmable:
        raise ConflictError(
            f"this import is {row.status}: it cannot be confirmed", code="import_not_confirmable"
        )
    if row.status == "issuing" and not _unclaimed(ctx.session, [row.id]):
        raise ConflictError("this import is being issued", code="import_running")
    if row.file_errors and any(e["code"] != "encoding_problem" for e in row.file_errors):
        raise ValidationFailed(
            "the file has errors: fix it and upload it again", code="import_has_file_errors"
        )
    issuable = [r for r in row.rows if r["state"] == "ok"]
    if not issuable:
        raise ValidationFailed("no row of this file is left to issue", code="nothing_to_issue")
    issuance.require_accredited(association)
    index = mapping.get_bundle().index
    groups = []
    for group in row.groups:
        chosen = list(dict.fromkeys(selections.get(group["key"], [])))
        needs = group["rows"] > group["rows_with_own_skills"]
        if needs and not chosen:
            raise ValidationFailed(
                f"choose at least one skill for the activity {group['title']!r}",
                code="no_skills",
                extra={"activity": group["title"]},
            )
        if len(chosen) > MAX_SKILLS:
            raise ValidationFailed(f"at most {MAX_SKILLS} skills per activity", code="too_many_skills")
        unknown = [uri for uri in chosen if not index.has(uri)]
        if unknown:
            raise ValidationFailed(f"unknown ESCO skill {unknown[0]}", code="unknown_skill")
        groups.append({**group, "selected": chosen})
    row.groups = groups
    row.status = "issuing"
    row.confirmed_at = ctx.now()
    row.error_code = None
    ctx.session.flush()
    return row


def issuing_elsewhere(ctx: ServiceContext, row: BulkImport) -> bool:
    """Whether a runner of another process holds this ``issuing`` import (PostgreSQL: a live
    transaction locks its row). SQLite cannot tell: a runner there holds the write lock, which a
    reader does not see, so the answer is False."""
    if row.status != "issuing" or ctx.session.get_bind().dialect.name != "postgresql":
        return False
    return not _unclaimed(ctx.session, [row.id])


def _unclaimed(session: Session, import_ids: Sequence[str] | None = None) -> list[BulkImport]:
    """The imports marked ``issuing`` (of ``import_ids``, or all) that no live transaction holds,
    locked for the caller's transaction. A runner's transaction locks its import's row until it
    ends: on PostgreSQL ``FOR UPDATE`` (``SKIP LOCKED`` leaves those rows out); on SQLite the
    caller holds the write lock, so no runner's transaction is open at all."""
    query = select(BulkImport).where(BulkImport.status == "issuing")
    if import_ids is not None:
        query = query.where(BulkImport.id.in_(import_ids))
    return list(session.scalars(query.with_for_update(skip_locked=True)))


def _interrupted() -> SkillsVCError:
    return SkillsVCError(
        "the service stopped before this import was issued: nothing of it was issued, confirm it again",
        code=INTERRUPTED,
        status=503,
    )


@dataclass
class Progress:
    """How far an import issued by this process has come, and how it ended. It is kept once the
    import has ended: a reader whose snapshot still shows the import ``issuing`` learns the end
    here instead of taking it for interrupted."""

    total: int
    done: int = 0
    outcome: str | None = None  # "done", or the error code it failed with


def _volunteers(
    ctx: ServiceContext, association: Association, rows: Sequence[dict[str, Any]]
) -> dict[str, str]:
    """The volunteer id of each person of the file: found among the association's volunteers by
    email (with the same name), or recorded now."""
    emails = [r["values"]["volunteer_email"].lower() for r in rows if r["values"].get("volunteer_email")]
    known = repo.volunteers_by_email(ctx.session, association.id, emails)
    out: dict[str, str] = {}
    new: list[dict[str, Any]] = []
    for r in rows:
        values = r["values"]
        email = (values.get("volunteer_email") or "").lower()
        person = _person(values)
        if person in out:
            continue
        volunteer = known.get(email) if email else None
        if volunteer is not None and records.normalised_name(volunteer.name) == records.normalised_name(
            values["volunteer_name"]
        ):
            out[person] = volunteer.id
            continue
        out[person] = str(uuid.uuid4())
        new.append(
            {
                "id": out[person],
                "association_id": association.id,
                "name": values["volunteer_name"],
                "email": email or None,
                "holder_did": None,
                "created_at": ctx.now(),
            }
        )
    if new:
        ctx.session.execute(insert(Volunteer), new)
    return out


def _person(values: dict[str, str]) -> str:
    """One person of the file: the same email and name (or the same name, without an email)."""
    email = (values.get("volunteer_email") or "").lower()
    return f"{email}\n{records.normalised_name(values['volunteer_name'])}"


def issue(
    ctx: ServiceContext,
    import_id: str,
    report: Callable[[int, int], None],
    stop: Callable[[], bool] | None = None,
) -> BulkImport:
    """Issue every valid row of a confirmed import in the caller's transaction (all or nothing).

    The import's row stays locked until the transaction ends: that lock is how other processes
    know the import is running. ``stop`` is asked before each chunk; when it says so, the import
    raises ``import_interrupted`` and the caller's rollback leaves nothing of it.
    """
    row = ctx.session.get(BulkImport, import_id, with_for_update=True)
    if row is None:
        raise NotFoundError(f"no import {import_id!r}", code="import_not_found")
    if row.status != "issuing":
        raise ConflictError(f"this import is {row.status}, not confirmed", code="import_not_confirmed")
    association = ctx.session.get(Association, row.association_id)
    if association is None:
        raise NotFoundError("the import's association is gone", code="association_not_found")
    rows = [dict(r) for r in row.rows]
    pending = [r for r in rows if r["state"] == "ok"]
    _mark_already_issued(ctx, association, pending)
    todo = [r for r in pending if r["state"] == "ok"]
    report(0, len(todo))
    groups = {g["key"]: g for g in row.groups}
    suggested = {
        key: [
            {"uri": s["uri"], "label": s["label"], "score": s["score"], "rank": i + 1}
            for i, s in enumerate(g["suggestions"])
        ]
        for key, g in groups.items()
    }
    options = row.options
    volunteers = _volunteers(ctx, association, todo)
    labelled: dict[tuple[tuple[str, ...], str], list[dict[str, str]]] = {}
    done = 0
    for start in range(0, len(todo), CHUNK):
        if stop is not None and stop():
            raise _interrupted()
        chunk = todo[start : start + CHUNK]
        activities: list[dict[str, Any]] = []
        for r in chunk:
            values = r["values"]
            skills = tuple(_split(values.get("skills")) or groups[r["group"]]["selected"])
            language = values["language"]
            if (skills, language) not in labelled:
                labelled[skills, language] = mapping.confirmed_skills(list(skills), language)
            new = records.NewActivity(
                volunteer_id=volunteers[_person(values)],
                title=values["activity_title"],
                description=values["description"],
                role=values["role"],
                start_date=date.fromisoformat(values["start_date"]),
                end_date=date.fromisoformat(values["end_date"]),
                hours=int(values["hours"]),
                language=language,
                coordinator_name=values.get("coordinator_name") or options["coordinator_name"],
                coordinator_role=values.get("coordinator_role") or options["coordinator_role"],
                skills=[records.SkillRef(uri) for uri in skills],
                tasks=_split(values.get("tasks")),
                location=values.get("location") or None,
            )
            activities.append(
                records.activity_values(
                    ctx,
                    association,
                    new.volunteer_id,
                    new,
                    suggested=suggested.get(r["group"]),
                    confirmed=labelled[skills, language],
                    import_key=r["key"],
                    import_id=row.id,
                )
            )
        ctx.session.execute(insert(Activity), activities)
        issued = issuance.issue_activities(ctx, association, [a["id"] for a in activities])
        for r, credential in zip(chunk, issued, strict=True):
            r["state"] = "issued"
            r["credential_id"] = credential.id
        done += len(chunk)
        report(done, len(todo))
    row.rows = rows
    row.status = "done"
    row.issued_count = done
    row.finished_at = ctx.now()
    ctx.session.flush()
    return row


class ImportRunner:
    """Runs confirmed imports one at a time in a background thread, and keeps their progress.

    Each import is issued in one transaction of its own. If it fails, that transaction is rolled
    back (nothing issued) and the import is marked ``failed`` with the error's code. The process
    calls :meth:`recover` when it starts and :meth:`shutdown` when it stops.
    """

    def __init__(
        self, factory: sessionmaker[Session], make_context: Callable[[Session], ServiceContext]
    ) -> None:
        self._factory = factory
        self._make_context = make_context
        self._lock = threading.Lock()  # one import at a time: they would only wait for each other
        self._progress: dict[str, Progress] = {}
        self._threads: set[threading.Thread] = set()
        self._guard = threading.Lock()
        self._closing = threading.Event()  # no import starts any more
        self._stopping = threading.Event()  # the running import stops before its next chunk

    def progress(self, import_id: str) -> Progress | None:
        with self._guard:
            return self._progress.get(import_id)

    def start(self, import_id: str, total: int) -> threading.Thread:
        thread = threading.Thread(
            target=self._run, args=(import_id,), name=f"import-{import_id[:8]}", daemon=True
        )
        with self._guard:
            self._progress[import_id] = Progress(total=total)
            self._threads.add(thread)
        thread.start()
        return thread

    def recover(self) -> list[str]:
        """Mark ``failed`` (``import_interrupted``) the imports left ``issuing`` by a process that
        stopped, and return their ids; called once when the process starts.

        Their transaction was rolled back when the process died, so nothing of them was issued,
        and they may be confirmed again. Imports that a live process is issuing hold their row
        and are left alone. On SQLite this waits for the write lock (``busy_timeout``); if another
        process holds it longer, nothing is marked and the next start tries again.
        """
        session = self._factory()
        try:
            rows = _unclaimed(session)
            now = self._make_context(session).now()
            for row in rows:
                row.status, row.error_code, row.finished_at = "failed", INTERRUPTED, now
            session.commit()
        except OperationalError:
            session.rollback()
            log.warning("could not look for interrupted imports: the database is busy", exc_info=True)
            return []
        finally:
            session.close()
        for row in rows:
            log.warning("bulk import %s was interrupted by a stop of the service: marked failed", row.id)
        return [row.id for row in rows]

    def shutdown(self, finish_seconds: float = SHUTDOWN_FINISH_SECONDS) -> None:
        """Stop for the end of the process (SIGTERM), leaving no import ``issuing``.

        Imports waiting their turn are not started: they are marked ``failed`` with
        ``import_interrupted``. The running import has ``finish_seconds`` to finish; then it stops
        before its next chunk, its transaction is rolled back and it is marked the same way. If it
        does not stop either (blocked in the database), the process ends without it: its
        transaction is lost with the connection, and :meth:`recover` marks it at the next start.
        """
        self._closing.set()
        self._join(finish_seconds)
        self._stopping.set()
        self._join(_STOP_SECONDS)

    def _join(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        with self._guard:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _report(self, import_id: str) -> Callable[[int, int], None]:
        def report(done: int, total: int) -> None:
            with self._guard:
                progress = self._progress.get(import_id)
                if progress is not None:
                    progress.done, progress.total = done, total

        return report

    def _run(self, import_id: str) -> None:
        try:
            with self._lock:
                self._issue(import_id)
        finally:
            with self._guard:
                self._threads.discard(threading.current_thread())

    def _issue(self, import_id: str) -> None:
        outcome = "done"
        try:
            if self._closing.is_set():
                raise _interrupted()
            with transaction(self._factory) as session:
                issue(self._make_context(session), import_id, self._report(import_id), self._stopping.is_set)
        except SkillsVCError as exc:
            outcome = exc.code
        except Exception:
            log.exception("bulk import %s failed", import_id)
            outcome = "internal_error"
        if outcome != "done":
            self._fail(import_id, outcome)
        with self._guard:
            self._progress[import_id].outcome = outcome

    def _fail(self, import_id: str, code: str) -> None:
        session = self._factory()
        try:
            row = session.get(BulkImport, import_id)
            if row is not None and row.status == "issuing":
                row.status = "failed"
                row.error_code = code
                row.finished_at = self._make_context(session).now()
            session.commit()
        except Exception:
            session.rollback()
            log.exception("could not record the failure of import %s", import_id)
        finally:
            session.close()


RESULT_COLUMNS = (
    "line",
    "volunteer_name",
    "volunteer_email",
    "activity_title",
    "start_date",
    "end_date",
    "result",
    "error_codes",
    "credential_id",
    "credential_link",
)


def result_csv(row: BulkImport, link: Callable[[str], str]) -> bytes:
    """The result of an import, one line per row of the file (UTF-8 with BOM, ``;``, for Excel)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(RESULT_COLUMNS)
    for r in row.rows:
        values = r["values"]
        cid = r.get("credential_id") or ""
        writer.writerow(
            [
                r["line"],
                *(_cell(values.get(k, "")) for k in ("volunteer_name", "volunteer_email", "activity_title")),
                values.get("start_date", ""),
                values.get("end_date", ""),
                r["state"],
                " ".join(e["code"] for e in r["errors"]),
                cid,
                link(cid) if cid else "",
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(value: str) -> str:
    # A cell that a spreadsheet would run as a formula is written as text.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60] or "volunteer"


def certificate_entries(row: BulkImport) -> Iterator[tuple[str, str]]:
    """(file name in the ZIP, credential id) for every credential of the import."""
    for r in row.rows:
        cid = r.get("credential_id")
        if cid and r["state"] in ("issued", "already_issued"):
            yield f"{r['line']:05d}-{_slug(r['values'].get('volunteer_name', ''))}.pdf", cid


def printable_entries(row: BulkImport) -> list[tuple[str, str]]:
    """The certificates a ZIP of the import will hold, checked before any is built."""
    entries = list(certificate_entries(row))
    if not entries:
        raise ValidationFailed("this import has no credential to print", code="nothing_to_print", status=404)
    if len(entries) > MAX_ZIP:
        raise ValidationFailed(
            f"at most {MAX_ZIP} certificates per ZIP; use the CSV of links", code="zip_too_large", status=413
        )
    return entries


class _Chunks(io.RawIOBase):
    """A write-only, unseekable stream that keeps what is written until it is taken."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out, self._parts = b"".join(self._parts), []
        return out


def certificates_zip_stream(
    ctx: ServiceContext,
    association: Association,
    entries: Sequence[tuple[str, str]],
    lang: str,
    printed: list[str] | None = None,
) -> Iterator[bytes]:
    """The ZIP of the certificates (PDF), yielded piece by piece as each certificate is built, so a
    download starts at once. Revoked credentials are not printed: they are left out. The names of
    the files written are appended to ``printed``."""
    stream = _Chunks()
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, cid in entries:
            try:
                pdf = certificate.certificate_pdf(ctx, association, cid, lang)
            except ConflictError as exc:
                if exc.code == "credential_revoked":
                    continue
                raise
            archive.writestr(name, pdf)
            if printed is not None:
                printed.append(name)
            yield stream.take()
    yield stream.take()


def certificates_zip(
    ctx: ServiceContext, association: Association, row: BulkImport, lang: str, out: IO[bytes]
) -> int:
    """Write the ZIP of the import's certificates to ``out``; returns how many it holds."""
    printed: list[str] = []
    for piece in certificates_zip_stream(ctx, association, printable_entries(row), lang, printed):
        out.write(piece)
    return len(printed)
