"""JSON Schema validation of credentials against the schemas of the repository's ``schemas/``.

The W3C VC 2.0 schema always applies; the Open Badges 3.0 AchievementCredential schema applies to
every credential that names it in ``credentialSchema`` or is an ``OpenBadgeCredential``. Our own
schema (``ob3-credential-subject.schema.json``), which constrains only the credential subject,
applies to a credential that names it in ``credentialSchema``, as the credentials this service
issues do: a declared schema is a promise the issuer makes, so it is applied exactly when
declared, and credentials issued before it existed (or by others) are not held to it. Like any
VC 2.0 ``JsonSchema`` entry it validates the whole credential, so a verifier that applies
``credentialSchema`` itself reaches the same verdict. Top-level properties must
be terms the credential's contexts define: JSON-LD drops undefined terms, so a verifier must not
accept data that the signature covers but no context gives a meaning to.

No schema is ever fetched: the ``$id`` of each is read from its file and ``credentialSchema``
entries are matched against those.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import jsonschema_rs

from skills_vc.published import load_schema

__all__ = [
    "KNOWN_SCHEMAS",
    "OB3_SCHEMA_FILE",
    "OB3_SCHEMA_ID",
    "SUBJECT_SCHEMA_FILE",
    "SUBJECT_SCHEMA_ID",
    "VC2_SCHEMA_FILE",
    "VC2_SCHEMA_ID",
    "SchemaViolation",
    "allowed_top_level_terms",
    "validate_credential",
]

VC2_SCHEMA_FILE = "w3c-vc-2.0.schema.json"
OB3_SCHEMA_FILE = "1edtech-ob-3.0-achievementcredential.schema.json"
SUBJECT_SCHEMA_FILE = "ob3-credential-subject.schema.json"
VC2_SCHEMA_ID: str = load_schema(VC2_SCHEMA_FILE)["$id"]
OB3_SCHEMA_ID: str = load_schema(OB3_SCHEMA_FILE)["$id"]
SUBJECT_SCHEMA_ID: str = load_schema(SUBJECT_SCHEMA_FILE)["$id"]
KNOWN_SCHEMAS = frozenset({OB3_SCHEMA_ID, VC2_SCHEMA_ID, SUBJECT_SCHEMA_ID})
_CONTEXT_FILES = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-context-3.0.3.json",
}


class SchemaViolation(ValueError):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


def _load_context(name: str) -> Any:
    return json.loads(resources.files("skills_vc.data").joinpath("contexts", name).read_text("utf-8"))


@cache
def _vc2_validator() -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(load_schema(VC2_SCHEMA_FILE), offline=True)


@cache
def _ob3_validator(multiple_status: bool) -> jsonschema_rs.Validator:
    schema = load_schema(OB3_SCHEMA_FILE)
    if multiple_status:
        # Open Badges 3.0 allows at most one credentialStatus; VC 2.0 allows a set. A credential
        # carrying both a revocation and a suspension entry is checked against the OB 3.0 schema
        # with only that multiplicity widened (1EdTech openbadges-specification issue 623).
        single = schema["properties"]["credentialStatus"]
        schema["properties"]["credentialStatus"] = {
            "oneOf": [single, {"type": "array", "minItems": 1, "items": single}]
        }
    return jsonschema_rs.validator_for(schema, offline=True)


@cache
def _subject_validator() -> jsonschema_rs.Validator:
    # The subject schema builds on the OB 3.0 AchievementSubject by reference: the registry holds
    # the unmodified OB 3.0 schema under its $id, so nothing is fetched.
    registry = jsonschema_rs.Registry([(OB3_SCHEMA_ID, load_schema(OB3_SCHEMA_FILE))])
    return jsonschema_rs.validator_for(load_schema(SUBJECT_SCHEMA_FILE), registry=registry, offline=True)


@cache
def allowed_top_level_terms(context_url: str) -> frozenset[str]:
    """The terms a known context defines for the top level of a credential."""
    document = _load_context(_CONTEXT_FILES[context_url])["@context"]
    terms = {key for key in document if not key.startswith("@")}
    scoped = document.get("VerifiableCredential", {})
    if isinstance(scoped, dict) and isinstance(scoped.get("@context"), dict):
        terms |= {key for key in scoped["@context"] if not key.startswith("@")}
    return frozenset(terms)


@lru_cache(maxsize=64)
def _terms_of(contexts: tuple[Any, ...]) -> frozenset[str] | None:
    """The top-level terms these contexts define together; None if one is not held here."""
    terms: set[str] = set()
    for context in contexts:
        if isinstance(context, str) and context in _CONTEXT_FILES:
            terms |= allowed_top_level_terms(context)
        else:
            # A context we do not hold may define anything: the term check cannot be made.
            return None
    return frozenset(terms)


def _check_terms(credential: dict[str, Any]) -> None:
    contexts = credential.get("@context")
    if not isinstance(contexts, list):
        return  # the VC 2.0 schema reports it
    try:
        terms = _terms_of(tuple(contexts))
    except TypeError:  # an unhashable entry (an inline context object)
        terms = None
    if terms is None:
        return
    unknown = sorted(key for key in credential if not key.startswith("@") and key not in terms)
    if unknown:
        raise SchemaViolation(
            "schema_undefined_term",
            "top-level properties not defined by the credential's contexts: " + ", ".join(unknown),
        )


def _first_error(validator: jsonschema_rs.Validator, instance: Any) -> str | None:
    if validator.is_valid(instance):
        return None
    # The deepest error names the offending property most precisely.
    error = max(validator.iter_errors(instance), key=lambda e: len(e.instance_path))
    where = "/".join(str(part) for part in error.instance_path) or "(root)"
    return f"{where}: {error.message[:300]}"


def validate_credential(credential: dict[str, Any]) -> list[str]:
    """Validate; returns the ids of the schemas applied, or raises ``SchemaViolation``."""
    problem = _first_error(_vc2_validator(), credential)
    if problem:
        raise SchemaViolation("schema_invalid", f"W3C VC 2.0 schema: {problem}")
    applied = [VC2_SCHEMA_ID]
    declared = credential.get("credentialSchema", [])
    declared_list = declared if isinstance(declared, list) else [declared]
    ids = {entry.get("id") for entry in declared_list if isinstance(entry, dict)}
    unknown = sorted(str(i) for i in ids - KNOWN_SCHEMAS)
    if unknown:
        raise SchemaViolation("schema_unavailable", "no local copy of credentialSchema " + ", ".join(unknown))
    types = credential.get("type", [])
    if OB3_SCHEMA_ID in ids or "OpenBadgeCredential" in types or "AchievementCredential" in types:
        multiple = isinstance(credential.get("credentialStatus"), list)
        problem = _first_error(_ob3_validator(multiple), credential)
        if problem:
            raise SchemaViolation("schema_invalid", f"Open Badges 3.0 schema: {problem}")
        applied.append(OB3_SCHEMA_ID)
    if SUBJECT_SCHEMA_ID in ids:
        problem = _first_error(_subject_validator(), credential)
        if problem:
            raise SchemaViolation("schema_invalid", f"skills-vc credential subject schema: {problem}")
        applied.append(SUBJECT_SCHEMA_ID)
    _check_terms(credential)
    return applied
