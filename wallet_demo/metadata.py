"""Where an issuer's metadata lives, and what of it a volunteer is shown (in their language).

Pure helpers: the URLs of well-known documents, and the display names an issuer publishes per
locale. RFC 8615 puts ``/.well-known/<name>`` right after the host and the identifier's path
after it; the older habit of appending it to the identifier is kept as a fallback.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "appended_well_known",
    "configuration_display",
    "configuration_format",
    "display_name",
    "pick_localized",
    "well_known",
]

_FALLBACK_ORDER = ("fr", "nl", "en")


def well_known(identifier: str, name: str) -> str:
    """``<scheme>://<host>/.well-known/<name><path>`` (RFC 8615 with the path inserted after)."""
    parts = urlsplit(identifier)
    path = parts.path.rstrip("/")
    return f"{parts.scheme}://{parts.netloc}/.well-known/{name}{path}"


def appended_well_known(identifier: str, name: str) -> str:
    """``<identifier>/.well-known/<name>``: where some issuers publish instead."""
    return f"{identifier.rstrip('/')}/.well-known/{name}"


def _primary(locale: Any) -> str | None:
    return locale.split("-")[0].lower() if isinstance(locale, str) and locale else None


def pick_localized(entries: Any, lang: str) -> dict[str, Any] | None:
    """The ``display`` entry for ``lang``: exact language, then one without locale, then fr/nl/en."""
    if not isinstance(entries, list):
        return None
    candidates = [e for e in entries if isinstance(e, dict)]
    by_lang: dict[str | None, dict[str, Any]] = {}
    for entry in candidates:
        by_lang.setdefault(_primary(entry.get("locale")), entry)
    for key in (lang, None, *_FALLBACK_ORDER):
        if key in by_lang:
            return by_lang[key]
    return candidates[0] if candidates else None


def display_name(entries: Any, lang: str) -> str | None:
    """The ``name`` of the best ``display`` entry, if it has one."""
    entry = pick_localized(entries, lang)
    name = entry.get("name") if entry else None
    return name if isinstance(name, str) and name.strip() else None


def _configuration(metadata: dict[str, Any], configuration_id: str) -> dict[str, Any]:
    supported = metadata.get("credential_configurations_supported")
    found = supported.get(configuration_id) if isinstance(supported, dict) else None
    return found if isinstance(found, dict) else {}


def configuration_display(metadata: dict[str, Any], configuration_id: str, lang: str) -> str | None:
    """The name of a credential configuration (OpenID4VCI 1.0 keeps it in ``credential_metadata``)."""
    config = _configuration(metadata, configuration_id)
    nested = config.get("credential_metadata")
    entries = nested.get("display") if isinstance(nested, dict) else None
    return display_name(entries if entries is not None else config.get("display"), lang)


def configuration_format(metadata: dict[str, Any], configuration_id: str) -> str | None:
    """The ``format`` of a credential configuration (``dc+sd-jwt``, ``jwt_vc_json``, …)."""
    value = _configuration(metadata, configuration_id).get("format")
    return value if isinstance(value, str) else None
