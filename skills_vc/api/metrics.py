"""Prometheus metrics and ``GET /metrics``.

What is counted: HTTP requests and their latency by route template; credentials verified (VC API
and paper QR) and presentations verified, by format and outcome (``verified`` or the code of the
first failed check); credentials issued, by format; OpenID4VCI credential requests, by
configuration and outcome; lookups in the verifier's cache of checked status lists.

Every label takes its value from a set the code fixes (route templates, check codes, format
names), never from a path, an id or anything a client sent, so the number of series stays bounded.

Who may read: with ``SKILLS_VC_METRICS_TOKEN`` set, only a request with
``Authorization: Bearer <token>``; without it, anyone in development mode and nobody in production
(404), so a deployment never publishes its metrics by forgetting a setting.

Several workers (``skills-vc serve --workers N``) each count in their own process. With
``PROMETHEUS_MULTIPROC_DIR`` set (an empty directory, emptied before each start), prometheus-client
writes every worker's counts there and ``/metrics`` adds them up; without it, ``/metrics`` shows
the counts of whichever worker answered.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from skills_vc.api.issuance_counter import observe_issuance
from skills_vc.config import Settings
from skills_vc.core.checks import MESSAGES, Report
from skills_vc.core.formats import FORMATS
from skills_vc.core.verify import VerifiedListCache
from skills_vc.core.vp_report import PresentationReport
from skills_vc.errors import AuthenticationError, NotFoundError, OAuthError, SkillsVCError
from skills_vc.services.context import ServiceContext
from skills_vc.services.wallet_offers import CONFIGURATIONS

if TYPE_CHECKING:  # the cache's entry types, for the overrides' signatures only
    from skills_vc.core.tokenstatus import TokenStatusList
    from skills_vc.core.verify import _VerifiedList

__all__ = [
    "ObservedListCache",
    "install",
    "observe_presentation",
    "observe_request",
    "observe_verification",
    "observe_wallet_issuance",
    "router",
]

REQUESTS = Counter(
    "skills_vc_http_requests_total",
    "HTTP requests answered, by method, route template and status code",
    ("method", "route", "status"),
)
REQUEST_SECONDS = Histogram(
    "skills_vc_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template",
    ("method", "route"),
    # Most answers take milliseconds; a PDF, a scanned upload or a CSV import can take seconds.
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
VERIFICATIONS = Counter(
    "skills_vc_verifications_total",
    "Credentials verified (VC API, paper QR), by format and outcome: verified or the first failed check",
    ("format", "outcome"),
)
PRESENTATIONS = Counter(
    "skills_vc_presentation_verifications_total",
    "Presentations verified (VC API), by format and outcome: verified or the first failed check",
    ("format", "outcome"),
)
WALLET_ISSUANCES = Counter(
    "skills_vc_wallet_issuances_total",
    "OpenID4VCI credential requests, by configuration and outcome: issued or the refusal's reason",
    ("configuration", "outcome"),
)
STATUS_LIST_CACHE = Counter(
    "skills_vc_status_list_cache_total",
    "Status lists looked up among those whose signature was already checked, by kind and result",
    ("kind", "result"),
)

OTHER = "other"
_PRESENTATION_FORMATS = frozenset({"vp+jwt", "dc+sd-jwt", "unsecured", "data-integrity", "embedded-proof"})
# The service's own error codes; anything else is counted as "other".
_CODE = re.compile(r"[a-z][a-z0-9_]{0,47}")
_NO_STORE = {"Cache-Control": "no-store"}

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics_page(request: Request) -> Response:
    """The metrics in Prometheus' text format (who may read them: see this module's docstring)."""
    settings: Settings = request.app.state.settings
    _authorize(settings, request.headers.get("authorization", ""))
    return Response(generate_latest(_registry(settings)), media_type=CONTENT_TYPE_LATEST, headers=_NO_STORE)


def _authorize(settings: Settings, header: str) -> None:
    expected = settings.metrics_token
    if expected is None:
        if settings.mode == "production":
            raise NotFoundError("metrics are served in production only when SKILLS_VC_METRICS_TOKEN is set")
        return
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("send the metrics token as 'Authorization: Bearer <token>'")
    # Constant-time comparison, so the token cannot be guessed from response timings.
    if not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise AuthenticationError("the metrics token is not valid", code="invalid_metrics_token")


def _registry(settings: Settings) -> CollectorRegistry:
    if settings.prometheus_multiproc_dir is None:
        return REGISTRY
    # A fresh registry per scrape: the collector reads every worker's files as they are now.
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(  # type: ignore[no-untyped-call]
        registry, path=str(settings.prometheus_multiproc_dir)
    )
    return registry


def install(app: FastAPI) -> None:
    """``GET /metrics``, and the counters that watch the app's database engine and status list cache."""
    app.include_router(router)
    observe_issuance(app.state.engine)
    app.state.remote_lists.verified = ObservedListCache()


# The labelled series of each (method, route, status): ``labels()`` checks and locks on every
# call, which took most of the time the access middleware spent on a request. There are as many
# entries as series, which the labels' values already bound.
_REQUEST_SERIES: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """One HTTP request answered; ``method`` and ``route`` must already be bounded (see ``access``)."""
    series = _REQUEST_SERIES.get((method, route, status))
    if series is None:
        series = REQUESTS.labels(method, route, str(status)), REQUEST_SECONDS.labels(method, route)
        _REQUEST_SERIES[(method, route, status)] = series
    series[0].inc()
    series[1].observe(seconds)


def _outcome(verified: bool, first_failed: str | None) -> str:
    if verified:
        return "verified"
    if first_failed is None:
        return "not_verified"
    return first_failed if first_failed in MESSAGES else OTHER


def observe_verification(report: Report) -> Report:
    """Count a credential's verification; returns ``report`` so a route can wrap its call."""
    failed = next((c.code for c in report.checks if c.status == "failed"), None) or next(
        (c.code for c in report.checks if c.status == "not_checked"), None
    )
    fmt = report.format if report.format in FORMATS else (OTHER if report.format else "unknown")
    VERIFICATIONS.labels(fmt, _outcome(report.verified, failed)).inc()
    return report


def observe_presentation(report: PresentationReport) -> PresentationReport:
    """Count a presentation's verification; returns ``report`` so a route can wrap its call."""
    code, _detail = report.error()
    fmt = report.format if report.format in _PRESENTATION_FORMATS else (OTHER if report.format else "unknown")
    PRESENTATIONS.labels(fmt, _outcome(report.verified, None if report.verified else code)).inc()
    return report


WalletIssue = Callable[[ServiceContext, str, str, dict[str, Any]], dict[str, Any]]


def observe_wallet_issuance(issue: WalletIssue) -> WalletIssue:
    """``issue`` (``wallet_issuance.issue_to_wallet``), counting each request by configuration and outcome."""

    def counted(ctx: ServiceContext, slug: str, access_token: str, body: dict[str, Any]) -> dict[str, Any]:
        requested = body.get("credential_configuration_id")
        # Any JSON value may come here; the service refuses it, the label must not trip on it.
        configuration = requested if isinstance(requested, str) and requested in CONFIGURATIONS else OTHER
        try:
            answer = issue(ctx, slug, access_token, body)
        except OAuthError as exc:
            WALLET_ISSUANCES.labels(configuration, _code(exc.reason)).inc()
            raise
        except SkillsVCError as exc:
            WALLET_ISSUANCES.labels(configuration, _code(exc.code)).inc()
            raise
        WALLET_ISSUANCES.labels(configuration, "issued").inc()
        return answer

    return counted


def _code(code: str) -> str:
    return code if _CODE.fullmatch(code) else OTHER


class ObservedListCache(VerifiedListCache):
    """The verifier's cache of status lists whose signature was checked, counting hits and misses."""

    def get(self, text: str) -> _VerifiedList | None:
        found = super().get(text)
        STATUS_LIST_CACHE.labels("bitstring", "miss" if found is None else "hit").inc()
        return found

    def get_token_list(self, text: str) -> TokenStatusList | None:
        found = super().get_token_list(text)
        STATUS_LIST_CACHE.labels("token", "miss" if found is None else "hit").inc()
        return found
