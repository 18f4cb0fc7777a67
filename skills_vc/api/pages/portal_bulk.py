"""Bulk issuance in the association portal: upload a CSV file, read the preview, confirm, follow the
progress, download the result (a CSV of links and a ZIP of certificates).

``/portal/bulk`` is the upload form (with the template to download); ``/portal/bulk/{id}`` shows
an import at each of its steps: the preview with the errors of every row and the skills to tick
per distinct activity, then the progress bar (a script polls ``/progress``; without a script the
page refreshes itself), then the result.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import StreamingResponse

from skills_vc.api.deps import ContextDep, app_context
from skills_vc.api.pages import share
from skills_vc.api.pages.i18n import LANGS, choose_lang
from skills_vc.api.pages.portal import HOME, _page, portal_routers
from skills_vc.api.pages.portal_auth import StaffCsrf, StaffSignedIn, association_of
from skills_vc.errors import PayloadTooLargeError, ValidationFailed
from skills_vc.services import associations, bulk_import
from skills_vc.services.bulk_csv import COLUMNS, HEADERS, REQUIRED, CsvLimits, template_csv
from skills_vc.services.bulk_import import ImportOptions, ImportRunner, Progress
from skills_vc.store import portal as repo
from skills_vc.store.tables import Association, BulkImport

__all__ = ["BULK_UPLOAD_BYTES", "BULK_UPLOAD_PATH", "api_router", "router"]

BULK_UPLOAD_PATH = HOME + "/bulk"
BULK_UPLOAD_BYTES = CsvLimits().max_bytes
# Rows shown in the preview table; every error is counted, and all are in the result CSV.
SHOWN_ROWS = 300

router, api_router = portal_routers()


def runner(request: Request) -> ImportRunner:
    """The application's import runner (created on first use)."""
    state = request.app.state
    existing: ImportRunner | None = getattr(state, "import_runner", None)
    if existing is None:
        existing = state.import_runner = ImportRunner(state.session_factory, partial(app_context, state))
    return existing


def _import_path(import_id: str) -> str:
    return f"{BULK_UPLOAD_PATH}/{import_id}"


@router.get(BULK_UPLOAD_PATH, response_class=HTMLResponse)
def upload_form(request: Request, ctx: ContextDep, user: StaffSignedIn) -> HTMLResponse:
    """The upload form, the template to download and the recent imports."""
    association = association_of(ctx, user)
    return _page(
        request,
        "portal_bulk_upload.html",
        user,
        imports=repo.recent_imports(ctx.session, association.id, limit=10),
        accreditation=associations.accreditation_status(association),
        columns=COLUMNS,
        required=REQUIRED,
        headers=HEADERS[choose_lang(request)],
        limit_mib=BULK_UPLOAD_BYTES // (1024 * 1024),
        max_rows=CsvLimits().max_rows,
        default_language=choose_lang(request),
    )


@router.get(BULK_UPLOAD_PATH + "/template.csv")
def template(request: Request, user: StaffSignedIn, lang: str = "") -> Response:
    """The CSV template in the reader's language (UTF-8 with BOM, ``;``: opens as is in Excel)."""
    lang = lang if lang in LANGS else choose_lang(request)
    return Response(
        template_csv(lang),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="skills-vc-template-{lang}.csv"'},
    )


@router.post(BULK_UPLOAD_PATH, response_model=None)
async def upload(request: Request, ctx: ContextDep, user: StaffCsrf) -> Response:
    """Read the file and store its preview (nothing is issued), then show it."""
    form = await request.form(max_files=1, max_fields=10)
    upload_file = form.get("file")
    if not isinstance(upload_file, UploadFile) or not upload_file.size:
        raise ValidationFailed("choose a CSV file", code="no_file", status=400)
    data = await upload_file.read(BULK_UPLOAD_BYTES + 1)
    if len(data) > BULK_UPLOAD_BYTES:
        raise PayloadTooLargeError(
            f"CSV files are limited to {BULK_UPLOAD_BYTES} bytes", code="file_too_large"
        )

    def text(name: str, default: str = "") -> str:
        value = form.get(name)
        return value if isinstance(value, str) else default

    options = ImportOptions(
        language=text("language", choose_lang(request)),
        coordinator_name=text("coordinator_name", user.name),
        coordinator_role=text("coordinator_role"),
    )
    association = association_of(ctx, user)
    row = await run_in_threadpool(
        bulk_import.preview,
        ctx,
        association,
        user.staff_id,
        upload_file.filename or "import.csv",
        data,
        options,
    )
    return RedirectResponse(_import_path(row.id), status_code=303)


def _view(row: BulkImport) -> dict[str, Any]:
    rows = row.rows
    errors = [r for r in rows if r["state"] == "error"]
    shown = (
        errors[:SHOWN_ROWS] + [r for r in rows if r["state"] != "error"][: max(0, SHOWN_ROWS - len(errors))]
    )
    shown.sort(key=lambda r: r["line"])
    counts = {state: 0 for state in ("ok", "error", "already_issued", "issued")}
    for r in rows:
        counts[r["state"]] = counts.get(r["state"], 0) + 1
    return {"shown": shown, "counts": counts, "hidden": len(rows) - len(shown)}


@router.get(BULK_UPLOAD_PATH + "/{import_id}", response_class=HTMLResponse)
def import_page(request: Request, import_id: str, ctx: ContextDep, user: StaffSignedIn) -> HTMLResponse:
    """An import: its preview, its progress or its result."""
    association = association_of(ctx, user)
    row = bulk_import.get_import(ctx, association, import_id)
    running = runner(request).progress(row.id)
    stage, done, total, _ = _stage(
        row, running, bulk_import.issuing_elsewhere(ctx, row) if running is None else False
    )
    return _page(
        request,
        "portal_bulk.html",
        user,
        imp=row,
        view=_view(row),
        done=done,
        total=total,
        interrupted=stage == "interrupted",
        accreditation=associations.accreditation_status(association),
        path=_import_path(row.id),
    )


def _selections(form: Any, row: BulkImport) -> dict[str, list[str]]:
    return {
        group["key"]: [v for v in form.getlist(f"skills-{group['key']}") if isinstance(v, str)][:100]
        for group in row.groups
    }


@router.post(BULK_UPLOAD_PATH + "/{import_id}/confirm", response_model=None)
async def confirm(request: Request, import_id: str, ctx: ContextDep, user: StaffCsrf) -> Response:
    """Record the ticked skills and start the issuance; the page then shows its progress."""
    form = await request.form(max_files=0, max_fields=5000)
    association = association_of(ctx, user)
    row = bulk_import.get_import(ctx, association, import_id)
    running = runner(request).progress(row.id)
    interrupted = row.status == "issuing" and (running is None or running.outcome is not None)
    row = bulk_import.confirm(ctx, association, row.id, _selections(form, row), interrupted=interrupted)
    total = sum(1 for r in row.rows if r["state"] == "ok")
    # The issuance runs in a transaction of its own, which must see this one's confirmation.
    ctx.session.commit()
    runner(request).start(row.id, total)
    return RedirectResponse(_import_path(row.id), status_code=303)


@api_router.get(BULK_UPLOAD_PATH + "/{import_id}/progress")
def progress(request: Request, import_id: str, ctx: ContextDep, user: StaffSignedIn) -> JSONResponse:
    """How far the issuance is: ``{"status", "done", "total", "error"}`` (polled by the page's script).

    The counts of a running import come from the runner's memory (its transaction is not
    committed yet); the request reads the import in a transaction that waits for no writer.
    """
    row = bulk_import.get_import(ctx, association_of(ctx, user), import_id)
    running = runner(request).progress(row.id)
    elsewhere = bulk_import.issuing_elsewhere(ctx, row) if running is None else False
    status, done, total, error = _stage(row, running, elsewhere)
    return JSONResponse(
        {"status": status, "done": done, "total": total, "error": error},
        headers={"Cache-Control": "no-store"},
    )


def _stage(
    row: BulkImport, running: Progress | None, elsewhere: bool = False
) -> tuple[str, int, int, str | None]:
    """(status, done, total, error code) of an import, from its row and the runner's progress.

    An import marked ``issuing`` that this process does not run is issuing in another process
    when ``elsewhere`` (its count is that process's: 0 here until it ends), else interrupted (the
    process that ran it stopped). For one this process ran, the runner's record says how it
    ended, even when the reader's snapshot predates the end.
    """
    if row.status != "issuing":
        return row.status, row.issued_count, row.valid_count, row.error_code
    if running is None:
        return ("issuing" if elsewhere else "interrupted"), 0, row.valid_count, None
    if running.outcome is None:
        return "issuing", running.done, running.total, None
    if running.outcome == "done":
        return "done", running.done, running.total, None
    return "failed", 0, running.total, running.outcome


@router.get(BULK_UPLOAD_PATH + "/{import_id}/result.csv")
def result(request: Request, import_id: str, ctx: ContextDep, user: StaffSignedIn) -> Response:
    """Every row of the file with its result: issued (with the link), already issued, or its errors."""
    row = bulk_import.get_import(ctx, association_of(ctx, user), import_id)
    body = bulk_import.result_csv(row, lambda cid: share.share_link(request, cid))
    stem = row.filename.rsplit(".", 1)[0][:80] or "import"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{_ascii(stem)}-result.csv"',
            "Cache-Control": "no-store",
        },
    )


def _ascii(text: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "-" for ch in text) or "import"


@router.get(BULK_UPLOAD_PATH + "/{import_id}/certificates.zip")
def certificates(
    request: Request, import_id: str, ctx: ContextDep, user: StaffSignedIn, lang: str = ""
) -> Response:
    """A ZIP of the PDF certificates of the import's credentials (in the chosen language).

    What can be refused is checked first; the ZIP is then streamed as each certificate is built
    (about 60 ms each), in a read-only transaction of its own, so the download starts at once.
    """
    lang = lang if lang in LANGS else choose_lang(request)
    association = association_of(ctx, user)
    row = bulk_import.get_import(ctx, association, import_id)
    entries = bulk_import.printable_entries(row)
    association_id, factory = association.id, request.app.state.read_only_session_factory

    def pieces() -> Iterator[bytes]:
        session = factory()
        try:
            own = app_context(request.app.state, session)
            # Associations are never deleted: the one read in the request's transaction is here.
            own_association = own.session.get_one(Association, association_id)
            yield from bulk_import.certificates_zip_stream(own, own_association, entries, lang)
        finally:
            session.rollback()
            session.close()

    return StreamingResponse(
        pieces(),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="certificates-{row.id[:8]}.zip"',
            "Cache-Control": "no-store",
        },
    )
