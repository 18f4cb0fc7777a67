"""HTTP to issuers, with every failure turned into a :class:`RemoteError` the wallet can explain.

The wallet talks to the skills-vc service only over HTTP, like any wallet would. A connection
failure, a timeout, an error answer (OAuth-style ``{"error", "error_description", "reason"}``)
and a body that is not what was expected are distinct cases because the volunteer is told
different things: "try again later" is right for the first two, not for the others.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

__all__ = ["Remote", "RemoteError"]

_MAX_BODY = 4 * 1024 * 1024


class RemoteError(Exception):
    """A failed exchange. ``kind`` is ``unreachable``, ``error`` (an error answer) or ``invalid``."""

    def __init__(
        self,
        kind: str,
        detail: str,
        *,
        status: int | None = None,
        error: str | None = None,
        reason: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind = kind
        self.status = status
        self.error = error
        self.reason = reason
        self.description = description


class Remote:
    """A thin wrapper over one ``httpx.Client`` (the app owns it and closes it at shutdown)."""

    def __init__(self, client: httpx.Client, *, allow_http: bool) -> None:
        self.client = client
        self.allow_http = allow_http

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        # One place for the http policy: offers, metadata, keys, status lists and redirects alike.
        if not self.allow_http and not url.lower().startswith("https://"):
            raise RemoteError("invalid", f"{method} {url}: only https is allowed")
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise RemoteError("unreachable", f"{method} {url}: timed out") from exc
        except (httpx.RequestError, httpx.InvalidURL) as exc:
            raise RemoteError("unreachable", f"{method} {url}: {type(exc).__name__}: {exc}") from exc
        if not self.allow_http and response.url.scheme != "https":
            raise RemoteError("invalid", f"{method} {url}: redirected to plain http")
        if len(response.content) > _MAX_BODY:
            raise RemoteError("invalid", f"{method} {url}: the answer is too large")
        if response.status_code >= 400:
            raise _error_answer(method, url, response)
        return response

    def get_json(self, url: str) -> dict[str, Any]:
        return _json_object(self._send("GET", url, headers={"Accept": "application/json"}), url)

    def get_text(self, url: str, accept: str) -> str:
        return self._send("GET", url, headers={"Accept": accept}).text.strip()

    def post_form(self, url: str, form: dict[str, str]) -> dict[str, Any]:
        return _json_object(self._send("POST", url, data=form, headers={"Accept": "application/json"}), url)

    def post_form_text(self, url: str, form: dict[str, str], accept: str) -> str:
        return self._send("POST", url, data=form, headers={"Accept": accept}).text.strip()

    def post_form_lenient(self, url: str, form: dict[str, str]) -> dict[str, Any]:
        """POST a form; a success answer's JSON object, or ``{}`` when its body is empty or not JSON."""
        response = self._send("POST", url, data=form, headers={"Accept": "application/json"})
        try:
            value = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return {}
        return value if isinstance(value, dict) else {}

    def post_json(self, url: str, body: dict[str, Any] | None, *, token: str | None = None) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return _json_object(self._send("POST", url, json=body, headers=headers), url)


def _json_object(response: httpx.Response, url: str) -> dict[str, Any]:
    try:
        value = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise RemoteError("invalid", f"{url}: the answer is not JSON", status=response.status_code) from None
    if not isinstance(value, dict):
        raise RemoteError("invalid", f"{url}: the answer is not a JSON object", status=response.status_code)
    return value


def _error_answer(method: str, url: str, response: httpx.Response) -> RemoteError:
    """An error answer, with the OAuth fields when the body has them (skills-vc adds ``reason``)."""
    body: Any = None
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    fields = body if isinstance(body, dict) else {}

    def text(name: str) -> str | None:
        value = fields.get(name)
        return value if isinstance(value, str) else None

    error = text("error")
    description = text("error_description") or text("detail")
    return RemoteError(
        "error",
        f"{method} {url}: {response.status_code} {error or ''} {description or ''}".strip(),
        status=response.status_code,
        error=error,
        reason=text("reason"),
        description=description,
    )
