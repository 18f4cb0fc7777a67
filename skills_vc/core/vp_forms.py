"""The forms a presentation comes in, its data model, and the proof of a ``vp+jwt``.

``classify`` tells a ``vp+jwt`` from an SD-JWT from a presentation object, bare or in an
``EnvelopedVerifiablePresentation`` (whose ``@context``, ``type`` and ``data:`` URL it checks);
``credentials_of`` checks a ``VerifiablePresentation`` against the VC 2.0 data model and returns
its credential entries; ``verify_vp_jwt`` checks a ``vp+jwt`` (VC-JOSE-COSE: the payload is the
presentation, no ``vp`` claim) against the holder key its ``kid`` names (``did:jwk``, ``did:key``).
Each raises ``PresentationError``, which is fatal to the presentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from skills_vc.core.formats.sdjwt import ENVELOPE_PREFIXES as SD_JWT_PREFIXES
from skills_vc.core.holder import jwk_from_did
from skills_vc.core.jws import ALGORITHMS, JwsFormatError, json_object, split_compact, verify_signature
from skills_vc.core.keys import public_key_from_jwk

__all__ = [
    "MAX_CREDENTIALS",
    "VC2",
    "VP_JWT_PREFIX",
    "PresentationError",
    "ProvenPresentation",
    "classify",
    "credentials_of",
    "verify_vp_jwt",
]

VC2 = "https://www.w3.org/ns/credentials/v2"
VP_JWT_PREFIX = "data:application/vp+jwt,"
MAX_CREDENTIALS = 20
_SKEW = 300


class PresentationError(Exception):
    """The presentation's proof does not hold or the presentation cannot be read (fatal)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class ProvenPresentation:
    """A vp+jwt whose signature held: who signed it and what it says."""

    holder: str
    holder_jwk: dict[str, str]
    presentation: dict[str, Any]
    nonce: Any
    aud: Any
    iss: Any = None


def _is_url(value: Any) -> bool:
    if not isinstance(value, str) or any(ch.isspace() for ch in value):
        return False
    scheme, sep, rest = value.partition(":")
    return bool(sep and rest and scheme[:1].isalpha() and all(c.isalnum() or c in "+.-" for c in scheme))


def _types(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return value
    return None


def _check_context(value: Any, what: str) -> None:
    contexts = [value] if isinstance(value, str) else value
    if not isinstance(contexts, list) or not contexts or contexts[0] != VC2:
        raise PresentationError("presentation_malformed", f"the {what}'s @context must begin with {VC2}")
    for item in contexts[1:]:
        if not (_is_url(item) or isinstance(item, dict)):
            raise PresentationError(
                "presentation_malformed", f"the {what}'s @context holds {item!r}: not a URL nor an object"
            )


def credentials_of(presentation: Any) -> list[Any]:
    """Check a VerifiablePresentation's data model; return its credential entries."""
    if not isinstance(presentation, dict):
        raise PresentationError("presentation_malformed", "a presentation is a JSON object")
    _check_context(presentation.get("@context"), "presentation")
    types = _types(presentation.get("type"))
    if types is None or "VerifiablePresentation" not in types:
        raise PresentationError(
            "presentation_malformed", "the presentation's type must include VerifiablePresentation"
        )
    if "id" in presentation and not _is_url(presentation["id"]):
        raise PresentationError("presentation_malformed", "the presentation's id is not a URL")
    holder = presentation.get("holder")
    if holder is not None and not _is_url(holder.get("id") if isinstance(holder, dict) else holder):
        raise PresentationError(
            "presentation_malformed", "the holder must be a URL or an object whose id is a URL"
        )
    entries = presentation.get("verifiableCredential", [])
    entries = [entries] if isinstance(entries, dict) else entries
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise PresentationError(
            "presentation_malformed", "verifiableCredential holds objects only (not strings, numbers or URLs)"
        )
    if len(entries) > MAX_CREDENTIALS:
        raise PresentationError("presentation_malformed", f"more than {MAX_CREDENTIALS} credentials")
    for entry in entries:
        kinds = _types(entry.get("type")) or []
        if "VerifiableCredential" not in kinds and "EnvelopedVerifiableCredential" not in kinds:
            raise PresentationError(
                "presentation_malformed",
                "a credential's type must include VerifiableCredential or EnvelopedVerifiableCredential",
            )
    return entries


def _data_url(value: str) -> tuple[str, str]:
    """(media type, data) of a ``data:`` URL with no parameters."""
    header, sep, data = value.partition(",")
    if not value.startswith("data:") or not sep or ";" in header:
        raise PresentationError(
            "presentation_malformed", "the envelope's id is not a data: URL with a media type"
        )
    return header[len("data:") :], data


def classify(presented: Any) -> tuple[str, Any]:
    """The form of ``presented``: (``vp+jwt``, token), (``dc+sd-jwt``, text) or (``object``, dict)."""
    if isinstance(presented, dict):
        types = _types(presented.get("type")) or []
        if "EnvelopedVerifiablePresentation" not in types:
            return "object", presented
        if types != ["EnvelopedVerifiablePresentation"]:
            raise PresentationError(
                "presentation_malformed", "an envelope's type is EnvelopedVerifiablePresentation"
            )
        _check_context(presented.get("@context"), "envelope")
        ident = presented.get("id")
        if not isinstance(ident, str):
            raise PresentationError("presentation_malformed", "the envelope has no id")
        media, data = _data_url(ident)
    elif isinstance(presented, str) and presented.strip().startswith("data:"):
        media, data = _data_url(presented.strip())
    elif isinstance(presented, str):
        data = presented.strip()
        media = "application/dc+sd-jwt" if "~" in data else "application/vp+jwt"
    else:
        raise PresentationError("presentation_malformed", "a presentation is a JSON object or a string")
    if "data:" + media + "," == VP_JWT_PREFIX:
        return "vp+jwt", data
    if "data:" + media + "," in SD_JWT_PREFIXES:
        if "~" not in data or data.split("~", 1)[0].count(".") != 2:
            raise PresentationError("presentation_malformed", "an SD-JWT is '<JWT>~<disclosures>~<KB-JWT>'")
        return "dc+sd-jwt", data
    raise PresentationError(
        "presentation_unsupported_format",
        f"{media} is not a supported presentation (application/vp+jwt, application/dc+sd-jwt)",
    )


def _holder_key(kid: Any) -> tuple[dict[str, str], str]:
    if not isinstance(kid, str):
        raise PresentationError("holder_key_unusable", "the JOSE header has no kid naming the holder's key")
    try:
        jwk, did = jwk_from_did(kid)
    except (ValueError, TypeError, KeyError, JwsFormatError) as exc:
        raise PresentationError("holder_key_unusable", f"the kid names no usable key: {exc}") from None
    fragment = kid.partition("#")[2]
    expected = "0" if did.startswith("did:jwk:") else did.removeprefix("did:key:")
    if fragment and fragment != expected:
        raise PresentationError("holder_key_unusable", f"the kid's fragment is not #{expected}")
    return jwk, did


def _numeric(payload: dict[str, Any], name: str) -> int | None:
    value = payload.get(name)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise PresentationError("presentation_malformed", f"the JWT claim {name} is not a NumericDate")
    return value


def verify_vp_jwt(token: str, now: int) -> ProvenPresentation:
    """Check a vp+jwt's form, signature and times; raises ``PresentationError``."""
    try:
        header_bytes, payload_bytes, signature = split_compact(token)
        header = json_object(header_bytes)
    except JwsFormatError as exc:
        raise PresentationError("presentation_malformed", f"not a compact JWT: {exc}") from None
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise PresentationError("unsupported_algorithm", f"algorithm {alg!r} is not accepted (EdDSA, ES256)")
    if header.get("typ") not in ("vp+jwt", "vp+ld+jwt"):
        raise PresentationError(
            "presentation_malformed", f"JOSE header typ {header.get('typ')!r} is not vp+jwt"
        )
    if "crit" in header:
        raise PresentationError(
            "presentation_malformed", "critical JOSE header extensions are not understood"
        )
    jwk, did = _holder_key(header.get("kid"))
    expected = "EdDSA" if jwk["kty"] == "OKP" else "ES256"
    if alg != expected:
        raise PresentationError(
            "unsupported_algorithm", f"the holder's {jwk['crv']} key signs with {expected}"
        )
    if not verify_signature(token, alg, public_key_from_jwk(jwk), signature):
        raise PresentationError("presentation_signature_invalid", "not signed by the key its kid names")
    try:
        payload = json_object(payload_bytes)
    except JwsFormatError as exc:
        raise PresentationError("presentation_malformed", f"the JWT payload is {exc}") from None
    if "vp" in payload:
        raise PresentationError("presentation_malformed", "VC 1.1 JWT (a 'vp' claim) is not VC-JOSE-COSE")
    exp, nbf, iat = (_numeric(payload, name) for name in ("exp", "nbf", "iat"))
    if exp is not None and now > exp:
        raise PresentationError("presentation_expired", "the presentation's exp has passed")
    if (nbf is not None and now + _SKEW < nbf) or (iat is not None and now + _SKEW < iat):
        raise PresentationError(
            "presentation_not_yet_valid", "the presentation's nbf or iat is in the future"
        )
    presentation = {
        k: v for k, v in payload.items() if k not in ("iss", "aud", "nonce", "iat", "exp", "nbf", "jti")
    }
    return ProvenPresentation(
        did, jwk, presentation, payload.get("nonce"), payload.get("aud"), payload.get("iss")
    )
