"""Reading the verification page's HTML in tests."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote

from tests.conftest import Platform


class Elements(HTMLParser):
    """Every start tag of a page with its attributes, and the page's text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]

    def by_id(self, element_id: str) -> dict[str, str | None]:
        return next(attrs for _, attrs in self.tags if attrs.get("id") == element_id)


def export_of(html: str) -> dict[str, Any]:
    """The JSON report behind the page's "export" link."""
    href = Elements(html).by_id("export-json")["href"] or ""
    prefix = "data:application/json;charset=utf-8,"
    assert href.startswith(prefix)
    return dict(json.loads(unquote(href[len(prefix) :])))


def qr_text(platform: Platform, association: dict[str, Any], credential_id: str) -> str:
    response = platform.client.get(f"/credentials/{credential_id}/qr.txt", headers=association["headers"])
    assert response.status_code == 200, response.text
    return response.text


def certificate_pdf(platform: Platform, association: dict[str, Any], credential_id: str) -> bytes:
    response = platform.client.get(
        f"/credentials/{credential_id}/certificate.pdf?lang=fr", headers=association["headers"]
    )
    assert response.status_code == 200, response.text
    return response.content


def revoke(platform: Platform, association: dict[str, Any], credential_id: str) -> None:
    response = platform.client.post(
        f"/credentials/{credential_id}/revoke", json={"reason": "erreur"}, headers=association["headers"]
    )
    assert response.status_code == 200, response.text
