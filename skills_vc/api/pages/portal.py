"""The association portal: record an activity with the mapper's suggestions and issue it, find the
credentials issued, download them, suspend or revoke them. Bulk issuance is in ``portal_bulk``.

Every page needs a staff session (``portal_auth``); every form that changes something carries the
session's CSRF token. GET pages only read, in a transaction that waits for no writer (a bulk
issuance may hold SQLite's write lock for a few seconds). Errors are pages in the reader's
language with the error's 4xx status; the JSON helpers of the form (suggestions, skill search)
answer errors as JSON.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import orjson
from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from skills_vc.api.deps import ContextDep, read_only_transaction
from skills_vc.api.pages import security, share
from skills_vc.api.pages.error_pages import error_page_route
from skills_vc.api.pages.i18n import LANGS, choose_lang
from skills_vc.api.pages.portal_auth import (
    LOGIN_PATH,
    StaffCsrf,
    StaffCsrfHeader,
    StaffSignedIn,
    StaffUser,
    association_of,
)
from skills_vc.api.pages.routes import render
from skills_vc.api.pages.wallet_offer import OfferView, offer_view
from skills_vc.core.formats import get_format
from skills_vc.errors import SkillsVCError, ValidationFailed
from skills_vc.services import associations, certificate, mapping, paper, records, revocation, wallet_offers
from skills_vc.services.context import ServiceContext
from skills_vc.services.issuance import issue_activity
from skills_vc.services.presentation import SkillView, grouped_skills
from skills_vc.store import portal as repo
from skills_vc.store.tables import Association, Credential

__all__ = ["api_router", "portal_routers", "router"]

HOME = "/portal"
PAGE_SIZE = 25
_STATES = ("active", "suspended", "revoked")
_ACTIONS: tuple[revocation.Action, ...] = ("suspend", "unsuspend", "revoke")


def _portal_error(request: Request, code: str, status: int) -> Response:
    if code == "not_signed_in":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{LOGIN_PATH}?{urlencode({'next': target})}", status_code=303)
    return render(request, "portal_error.html", status, error=code, switch_path=HOME)


def portal_routers() -> tuple[APIRouter, APIRouter]:
    """A router of portal pages (errors shown as pages) and one of the pages' JSON helpers, called
    with fetch() (errors as JSON, like the rest of the API); their GET requests only read."""
    read_only = [Depends(read_only_transaction)]
    pages = APIRouter(
        tags=["web pages"],
        route_class=error_page_route(_portal_error),
        include_in_schema=False,
        dependencies=read_only,
    )
    return pages, APIRouter(tags=["web pages"], include_in_schema=False, dependencies=read_only)


router, api_router = portal_routers()


def _page(
    request: Request, template: str, user: StaffUser, status: int = 200, **context: Any
) -> HTMLResponse:
    flash = security.read_flash(request)
    context.setdefault("switch_path", request.url.path)
    response = render(
        request, template, status, user=user, csrf_token=user.csrf_token, flash=flash, **context
    )
    security.clear_flash(request, response)
    return response


# --- the list -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CredentialRow:
    id: str
    volunteer: str
    email: str | None
    activity: str
    start: date | None
    end: date | None
    hours: int | None
    state: str
    issued_at: datetime


def _parse_day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            f"{name} must be a date (YYYY-MM-DD)", code="invalid_filter_date", status=400
        ) from None


def _row(line: repo.CredentialLine) -> CredentialRow:
    c, a, v = line.credential, line.activity, line.volunteer
    return CredentialRow(
        id=c.id,
        volunteer=v.name if v else "—",
        email=v.email if v else None,
        activity=a.title if a else "—",
        start=a.start_date if a else None,
        end=a.end_date if a else None,
        hours=a.hours if a else None,
        state=revocation.state_of(c),
        issued_at=c.issued_at,
    )


@router.get(HOME, response_class=HTMLResponse)
def home(
    request: Request,
    ctx: ContextDep,
    user: StaffSignedIn,
    q: Annotated[str, Query(max_length=200)] = "",
    state: Annotated[str, Query(max_length=20)] = "",
    issued_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    issued_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    import_id: Annotated[str, Query(alias="import", max_length=36)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """The credentials issued by the association, newest first, with search and filters."""
    association = association_of(ctx, user)
    start, end = _parse_day(issued_from, "from"), _parse_day(issued_to, "to")
    where = repo.CredentialFilter(
        text=q.strip() or None,
        state=state if state in _STATES else None,
        issued_from=datetime.combine(start, time.min, UTC) if start else None,
        issued_before=datetime.combine(end + timedelta(days=1), time.min, UTC) if end else None,
        import_id=import_id or None,
    )
    lines, total = repo.search_credentials(
        ctx.session, association.id, where, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    filters = {"q": q, "state": state, "from": issued_from, "to": issued_to, "import": import_id}
    kept = {k: v for k, v in filters.items() if v}

    def page_href(n: int) -> str:
        return HOME + "?" + urlencode({**kept, "page": n})

    return _page(
        request,
        "portal_home.html",
        user,
        rows=[_row(line) for line in lines],
        total=total,
        page=page,
        pages=max(1, math.ceil(total / PAGE_SIZE)),
        page_href=page_href,
        filters=filters,
        filtered=bool(kept),
        accreditation=associations.accreditation_status(association),
        imports=repo.recent_imports(ctx.session, association.id, limit=5),
        quote=quote,
    )


# --- recording one activity -----------------------------------------------------------------------


@dataclass
class RecordForm:
    """The record form's values, as typed (so the form can be shown again with an error)."""

    volunteer_name: str = ""
    volunteer_email: str = ""
    title: str = ""
    role: str = ""
    description: str = ""
    tasks: str = ""
    start_date: str = ""
    end_date: str = ""
    hours: str = ""
    language: str = ""
    location: str = ""
    coordinator_name: str = ""
    coordinator_role: str = ""
    skills: list[str] = field(default_factory=list)


def _suggest(form: RecordForm) -> list[dict[str, Any]]:
    text = f"{form.title.strip()}. {form.description.strip()}".strip(". ")
    if len(text) < 3:
        return []
    lang = form.language if form.language in LANGS else None
    tasks = [t for t in form.tasks.splitlines() if t.strip()]
    return mapping.suggestion_cards(mapping.suggest(text, lang=lang, tasks=tasks or None, limit=10))


def _search(query: str, lang: str) -> list[dict[str, Any]]:
    return mapping.suggestion_cards(mapping.suggest(query, lang=lang if lang in LANGS else None, limit=10))


def _record_page(
    request: Request, user: StaffUser, form: RecordForm, status: int = 200, **context: Any
) -> HTMLResponse:
    lang = form.language if form.language in LANGS else choose_lang(request)
    chosen = mapping.skill_cards(form.skills, lang)
    chosen_uris = {s["uri"] for s in chosen}
    suggestions = [s for s in context.pop("suggestions", []) if s["uri"] not in chosen_uris]
    # A skill is listed once on the page (its checkbox has one id): ticked, suggested, or found.
    listed = chosen_uris | {s["uri"] for s in suggestions}
    context["search_results"] = [s for s in context.get("search_results", []) if s["uri"] not in listed]
    return _page(
        request,
        "portal_record.html",
        user,
        status,
        form=form,
        chosen=chosen,
        suggestions=suggestions,
        **context,
    )


@router.get(HOME + "/record", response_class=HTMLResponse)
def record_form(request: Request, ctx: ContextDep, user: StaffSignedIn) -> HTMLResponse:
    """The form to record what a volunteer did."""
    association = association_of(ctx, user)
    form = RecordForm(language=choose_lang(request), coordinator_name=user.name)
    return _record_page(request, user, form, accreditation=associations.accreditation_status(association))


def _form_values(raw: Any) -> RecordForm:
    form = RecordForm()
    for name in RecordForm.__dataclass_fields__:
        if name == "skills":
            form.skills = [str(v) for v in raw.getlist("skills") if isinstance(v, str)][:100]
        else:
            value = raw.get(name)
            setattr(form, name, value[:10_000] if isinstance(value, str) else "")
    return form


def _new_activity(form: RecordForm, volunteer_id: str) -> records.NewActivity:
    def day(value: str, name: str) -> date:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationFailed(
                f"{name} must be a date", code="invalid_date", extra={"field": name}
            ) from None

    hours_text = form.hours.strip()
    if not hours_text.isdigit():
        raise ValidationFailed("hours must be a whole number", code="invalid_hours")
    if form.language not in records.LANGUAGES:
        raise ValidationFailed("choose the activity's language", code="unsupported_language")
    return records.NewActivity(
        volunteer_id=volunteer_id,
        title=form.title,
        description=form.description,
        role=form.role,
        start_date=day(form.start_date, "start_date"),
        end_date=day(form.end_date, "end_date"),
        hours=int(hours_text),
        language=form.language,
        coordinator_name=form.coordinator_name,
        coordinator_role=form.coordinator_role,
        skills=[records.SkillRef(u) for u in dict.fromkeys(form.skills)],
        tasks=[t for t in form.tasks.splitlines() if t.strip()],
        location=form.location.strip() or None,
    )


_LIMITS = {
    "volunteer_name": 200,
    "volunteer_email": 320,
    "title": 300,
    "role": 200,
    "location": 300,
    "coordinator_name": 200,
    "coordinator_role": 200,
    "description": 5000,
}


def _issue_from_form(ctx: ServiceContext, user: StaffUser, form: RecordForm) -> str:
    """Record the volunteer and the activity and issue the credential; returns its id."""
    for name, limit in _LIMITS.items():
        if len(getattr(form, name).strip()) > limit:
            raise ValidationFailed(f"{name} is longer than {limit} characters", code="value_too_long")
    email = form.volunteer_email.strip().lower() or None
    association = association_of(ctx, user)
    if not form.skills:
        raise ValidationFailed("tick at least one skill", code="no_skills")
    # A volunteer the association already knows by this email and name is the same person.
    known = repo.volunteers_by_email(ctx.session, association.id, [email]) if email else {}
    same = known.get(email or "")
    if same is not None and records.normalised_name(same.name) != records.normalised_name(
        form.volunteer_name
    ):
        same = None
    volunteer = same or records.record_volunteer(
        ctx, association, records.NewVolunteer(name=form.volunteer_name, email=email)
    )
    activity = records.record_activity(ctx, association, _new_activity(form, volunteer.id))
    return issue_activity(ctx, association, activity.id).id


@router.post(HOME + "/record", response_model=None)
async def record(request: Request, ctx: ContextDep, user: StaffCsrf) -> Response:
    """Suggest skills (without JavaScript), or record the activity and issue its credential."""
    raw = await request.form(max_files=0, max_fields=200)
    form = _form_values(raw)
    query = raw.get("skill_query")
    query = query.strip()[:200] if isinstance(query, str) else ""
    if raw.get("action") in ("suggest", "search"):
        # Without the script: suggestions for the description, and the skills the search box names
        # (Enter in any field of the form sends it with this action, never "issue").
        suggestions = await run_in_threadpool(_suggest, form)
        found = await run_in_threadpool(_search, query, form.language) if len(query) >= 2 else []
        return _record_page(
            request,
            user,
            form,
            suggestions=suggestions,
            suggested=True,
            skill_query=query,
            search_results=found,
        )
    try:
        credential_id = await run_in_threadpool(_issue_from_form, ctx, user, form)
    except SkillsVCError as exc:
        # Nothing of the failed attempt is kept: not the volunteer, not the activity.
        ctx.session.rollback()
        suggestions = await run_in_threadpool(_suggest, form)
        return _record_page(
            request,
            user,
            form,
            exc.status,
            error=exc.code,
            error_field=exc.extra.get("field"),
            suggestions=suggestions,
        )
    response = RedirectResponse(_credential_path(credential_id), status_code=303)
    security.set_flash(request, response, "issued")
    return response


class SuggestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(default="", max_length=300)
    description: str = Field(default="", max_length=5000)
    tasks: str = Field(default="", max_length=10_000)
    language: str = Field(default="", max_length=5)


@api_router.post(HOME + "/suggest")
def suggest(body: SuggestIn, user: StaffCsrfHeader) -> JSONResponse:
    """Live suggestions for the record form (the script sends the form's CSRF token in a header)."""
    form = RecordForm(
        title=body.title, description=body.description, tasks=body.tasks, language=body.language
    )
    return JSONResponse({"suggestions": _suggest(form)}, headers={"Cache-Control": "no-store"})


@api_router.get(HOME + "/skills/search")
def search_skills(
    user: StaffSignedIn,
    q: Annotated[str, Query(min_length=2, max_length=200)],
    lang: Annotated[str, Query(max_length=2)] = "en",
) -> JSONResponse:
    """ESCO skills whose labels match ``q`` (the form's "search a skill" box)."""
    return JSONResponse({"skills": _search(q, lang)}, headers={"Cache-Control": "no-store"})


# --- one credential -------------------------------------------------------------------------------


def _credential_path(credential_id: str) -> str:
    return f"{HOME}/credentials/{quote(credential_id, safe=':')}"


@dataclass(frozen=True)
class CredentialPage:
    id: str
    state: str
    volunteer: str
    activity: str
    role: str
    description: str
    start: date | None
    end: date | None
    hours: int | None
    skills: dict[str, list[SkillView]]
    issued_at: datetime
    valid_until: datetime | None
    revoked_at: datetime | None
    revocation_reason: str | None
    suspended_at: datetime | None
    suspension_reason: str | None
    import_id: str | None


def _credential_page(
    ctx: ServiceContext, association: Association, row: Credential, lang: str
) -> CredentialPage:
    document = get_format(row.format).read(row.secured)
    subject = document.get("credentialSubject", {})
    achievement = subject.get("achievement", {})
    # A credential issued through the VC API has no recorded activity: the credential says it all.
    activity = records.get_activity(ctx, association, row.activity_id) if row.activity_id else None
    uris = [a.get("targetUrl", "") for a in achievement.get("alignment", []) if isinstance(a, dict)]
    return CredentialPage(
        id=row.id,
        state=revocation.state_of(row),
        volunteer=str(subject.get("name", "—")),
        activity=str(achievement.get("name", "—")),
        role=str(subject.get("role", "")),
        description=activity.description if activity else str(achievement.get("description", "")),
        start=activity.start_date if activity else None,
        end=activity.end_date if activity else None,
        hours=activity.hours if activity else None,
        skills=grouped_skills(uris, lang),
        issued_at=row.issued_at,
        valid_until=row.valid_until,
        revoked_at=row.revoked_at,
        revocation_reason=row.revocation_reason,
        suspended_at=row.suspended_at,
        suspension_reason=row.suspension_reason,
        import_id=activity.import_id if activity else None,
    )


@router.get(HOME + "/credentials/{credential_id}", response_class=HTMLResponse)
def credential_page(
    request: Request, credential_id: str, ctx: ContextDep, user: StaffSignedIn
) -> HTMLResponse:
    """One credential: what it says, its downloads, and suspend / reinstate / revoke."""
    association = association_of(ctx, user)
    return _show_credential(request, ctx, user, revocation.get_credential(ctx, association, credential_id))


def _show_credential(
    request: Request, ctx: ServiceContext, user: StaffUser, row: Credential, offer: OfferView | None = None
) -> HTMLResponse:
    view = _credential_page(ctx, association_of(ctx, user), row, choose_lang(request))
    return _page(
        request,
        "portal_credential.html",
        user,
        view=view,
        path=_credential_path(row.id),
        share_url=share.share_link(request, row.id) if view.state != "revoked" else None,
        offer=offer,
        switch_path=_credential_path(row.id),
    )


@router.post(HOME + "/credentials/{credential_id}/wallet-offer", response_class=HTMLResponse)
def wallet_offer(request: Request, credential_id: str, ctx: ContextDep, user: StaffCsrf) -> HTMLResponse:
    """A wallet offer for the volunteer: the QR, the link and the 6-digit code to pass on."""
    association = association_of(ctx, user)
    offer = wallet_offers.create_offer(ctx, association, credential_id, actor=f"staff:{user.staff_id}")
    row = revocation.get_credential(ctx, association, credential_id)
    return _show_credential(request, ctx, user, row, offer_view(offer, ctx.settings.demo_wallet_url))


@router.post(HOME + "/credentials/{credential_id}/status", response_model=None)
def change_status(
    request: Request,
    credential_id: str,
    ctx: ContextDep,
    user: StaffCsrf,
    action: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=5000)] = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Suspend, reinstate or revoke, with a reason and a ticked confirmation (not to reinstate)."""
    chosen = next((a for a in _ACTIONS if a == action), None)
    if chosen is None:
        raise ValidationFailed(
            "action must be suspend, unsuspend or revoke", code="invalid_action", status=400
        )
    if action != "unsuspend" and confirm != "yes":
        raise ValidationFailed("tick the box to confirm", code="confirmation_required", status=400)
    association = association_of(ctx, user)
    row = revocation.change_status(
        ctx,
        association,
        credential_id,
        chosen,
        reason,
        actor=f"staff:{user.staff_id}",
    )
    response = RedirectResponse(_credential_path(row.id), status_code=303)
    security.set_flash(request, response, action)
    return response


def _file_stem(row: Credential) -> str:
    return "credential-" + row.id.rsplit(":", 1)[-1][:36]


@router.get(HOME + "/credentials/{credential_id}/credential.json")
def credential_json(credential_id: str, ctx: ContextDep, user: StaffSignedIn) -> Response:
    row = revocation.get_credential(ctx, association_of(ctx, user), credential_id)
    body = orjson.dumps(share.envelope(row), option=orjson.OPT_INDENT_2)
    return share.attachment(body, "application/json", _file_stem(row) + ".json")


@router.get(HOME + "/credentials/{credential_id}/credential.jwt")
def credential_jwt(credential_id: str, ctx: ContextDep, user: StaffSignedIn) -> Response:
    row = revocation.get_credential(ctx, association_of(ctx, user), credential_id)
    return share.attachment(row.secured.encode(), "application/vc+jwt", _file_stem(row) + ".jwt")


@router.get(HOME + "/credentials/{credential_id}/certificate.pdf")
def credential_pdf(
    request: Request, credential_id: str, ctx: ContextDep, user: StaffSignedIn, lang: str = ""
) -> Response:
    association = association_of(ctx, user)
    row = revocation.get_credential(ctx, association, credential_id)
    pdf = certificate.certificate_pdf(
        ctx, association, row.id, lang if lang in LANGS else choose_lang(request)
    )
    return share.attachment(pdf, "application/pdf", _file_stem(row) + ".pdf")


@router.get(HOME + "/credentials/{credential_id}/qr.png")
def credential_qr(credential_id: str, ctx: ContextDep, user: StaffSignedIn) -> Response:
    association = association_of(ctx, user)
    row = revocation.get_credential(ctx, association, credential_id)
    png = paper.qr_png(paper.qr_text(ctx, association, row.id))
    return share.attachment(png, "image/png", _file_stem(row) + "-qr.png")
