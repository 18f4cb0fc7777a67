"""JSON Schema validation of credentials against local copies of the published schemas.

The W3C VC 2.0 schema always applies; the Open Badges 3.0 AchievementCredential schema applies to
every credential that names it in ``credentialSchema`` or is an ``OpenBadgeCredential``. Top-level
properties must be terms the credential's contexts define: JSON-LD drops undefined terms, so a
verifier must not accept data that the signature covers but no context gives a meaning to.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs

__all__ = ["KNOWN_SCHEMAS", "SchemaViolation", "allowed_top_level_terms", "validate_credential"]

OB3_SCHEMA_ID = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential-jsonschema1.json"
)
VC2_SCHEMA_ID = "https://www.w3.org/2022/credentials/v2/verifiable-credential-schema.json"
KNOWN_SCHEMAS = frozenset({OB3_SCHEMA_ID, VC2_SCHEMA_ID})
_CONTEXT_FILES = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-context-3.0.3.json",
}


class SchemaViolation(ValueError):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


def _load(folder: str, name: str) -> Any:
    return json.loads(resources.files("skills_vc.data").joinpath(folder, name).read_text("utf-8"))


@cache
def _vc2_validator() -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(_load("schemas", "verifiable-credential-schema.json"))


@cache
def _ob3_validator(multiple_status: bool) -> jsonschema_rs.Validator:
    schema = _load("schemas", "achievementcredential.json")
    if multiple_status:
        # Open Badges 3.0 allows at most one credentialStatus; VC 2.0 allows a set. A credential
        # carrying both a revocation and a suspension entry is checked against the OB 3.0 schema
        # with only that multiplicity widened (1EdTech openbadges-specification issue 623).
        schema = copy.deepcopy(schema)
        single = schema["properties"]["credentialStatus"]
        schema["properties"]["credentialStatus"] = {
            "oneOf": [single, {"type": "array", "minItems": 1, "items": single}]
        }
    return jsonschema_rs.validator_for(schema)


@cache
def allowed_top_level_terms(context_url: str) -> frozenset[str]:
    """The terms a known context defines for the top level of a credential."""
    document = _load("contexts", _CONTEXT_FILES[context_url])["@context"]
    terms = {key for key in document if not key.startswith("@")}
    scoped = document.get("VerifiableCredential", {})
    if isinstance(scoped, dict) and isinstance(scoped.get("@context"), dict):
        terms |= {key for key in scoped["@context"] if not key.startswith("@")}
    return frozenset(terms)


def _check_terms(credential: dict[str, Any]) -> None:
    contexts = credential.get("@context")
    if not isinstance(contexts, list):
        return  # the VC 2.0 schema reports it
    terms: set[str] = set()
    for context in contexts:
        if isinstance(context, str) and context in _CONTEXT_FILES:
            terms |= allowed_top_level_terms(context)
        else:
            # A context we do not hold may define anything: the term check cannot be made.
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
    _check_terms(credential)
    return applied
