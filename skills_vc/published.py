"""The project's published schemas: the files of the repository's top-level ``schemas/`` folder.

That folder is the one copy of every schema the service publishes and reads (JSON Schemas, the
CDDL of the paper QR, the CSV format of bulk issuance, the SD-JWT VC type metadata): the code reads
them from there and the API serves them from there, so what is published is what is enforced. The
project is installed editable (``pip install -e .``), so the folder is found next to this package;
an installation without the repository (a plain wheel) has no ``schemas/`` and gets
``PublishedFolderMissing`` with what to do, rather than a bare ``FileNotFoundError``.

Pure: path logic and file loading, nothing about HTTP.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from skills_vc.errors import NotFoundError, SkillsVCError

__all__ = [
    "INTEGRITY_PLACEHOLDER",
    "PUBLIC_PLACEHOLDER",
    "SCHEMAS_DIR",
    "PublishedDocument",
    "PublishedFolderMissing",
    "SchemaNotFound",
    "integrity",
    "load_cddl_constants",
    "load_schema",
    "published_names",
    "render",
    "schema_path",
]

SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"
# Templates (the type metadata) name the deployment's own URLs with this placeholder, and the
# integrity of the published files they link with the second one; ``render`` fills both.
PUBLIC_PLACEHOLDER = "{PUBLIC}"
INTEGRITY_PLACEHOLDER = "{INTEGRITY}"
_MEDIA_TYPES = {
    ".schema.json": "application/schema+json",
    ".json": "application/json",
    ".cddl": "application/cddl",
}
# ``name = integer`` at the start of a line: a CDDL rule whose value is one integer.
_CDDL_CONSTANT = re.compile(r"^([A-Za-z@_$][A-Za-z0-9@_$.-]*)\s*=\s*(-?\d+)\s*(?:;.*)?$")


class PublishedFolderMissing(SkillsVCError):
    """The repository's ``schemas/`` folder is not where the package expects it."""

    code = "published_schemas_missing"
    status = 500


class SchemaNotFound(NotFoundError):
    """No published file by that name (also the answer to any name that is not a plain file name)."""

    code = "schema_not_found"


@dataclass(frozen=True)
class PublishedDocument:
    """The bytes served for a published file, and their media type."""

    content: bytes
    media_type: str


def _folder() -> Path:
    if not SCHEMAS_DIR.is_dir():
        raise PublishedFolderMissing(
            f"the published schemas folder {SCHEMAS_DIR} is missing: skills-vc reads schemas/ from its "
            "repository, so install it from a checkout with `pip install -e .`"
        )
    return SCHEMAS_DIR


def _media_type(name: str) -> str | None:
    return next((media for suffix, media in _MEDIA_TYPES.items() if name.endswith(suffix)), None)


def published_names() -> list[str]:
    """The names of the files served and read: the JSON and CDDL files of ``schemas/``."""
    return sorted(p.name for p in _folder().iterdir() if p.is_file() and _media_type(p.name))


def schema_path(name: str) -> Path:
    """The path of a published file; ``SchemaNotFound`` for anything not listed in the folder.

    The name is looked up in the folder's listing, never joined to a path first, so ``..``,
    slashes or encoded separators cannot reach another file.
    """
    if name not in published_names():
        raise SchemaNotFound(f"no published schema {name!r}")
    return _folder() / name


@cache
def _parsed(name: str) -> dict[str, Any]:
    document = json.loads(schema_path(name).read_text("utf-8"))
    if not isinstance(document, dict):
        raise ValueError(f"{name} is not a JSON object")
    return document


def load_schema(name: str) -> dict[str, Any]:
    """A published JSON document, parsed: a copy of its own, so a caller may change it."""
    return copy.deepcopy(_parsed(name))


@cache
def load_cddl_constants(name: str) -> dict[str, int]:
    """The integer constants (``name = 42``) a published CDDL file defines, by rule name.

    Only this form of rule is read, so the map keys of a CBOR layout can be written once, in the
    CDDL, and used by the code that encodes and decodes it.
    """
    constants: dict[str, int] = {}
    for line in schema_path(name).read_text("utf-8").splitlines():
        match = _CDDL_CONSTANT.match(line)
        if match:
            if match.group(1) in constants:
                raise ValueError(f"{name}: {match.group(1)} is defined twice")
            constants[match.group(1)] = int(match.group(2))
    return constants


def integrity(content: bytes) -> str:
    """The W3C Subresource Integrity string of ``content`` (``sha256-`` and base64)."""
    return "sha256-" + base64.b64encode(hashlib.sha256(content).digest()).decode("ascii")


def _with_integrity(node: Any, public_url: str) -> Any:
    """Replace each ``"X#integrity": "{INTEGRITY}"`` by the integrity of the published file ``X``."""
    if isinstance(node, list):
        return [_with_integrity(item, public_url) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _with_integrity(value, public_url) for key, value in node.items()}
    prefix = f"{public_url}/schemas/"
    for key, value in node.items():
        if value != INTEGRITY_PLACEHOLDER:
            continue
        target = node.get(key.removesuffix("#integrity"))
        if not key.endswith("#integrity") or not isinstance(target, str) or not target.startswith(prefix):
            raise ValueError(f"{key}: an integrity placeholder must follow a link to a published file")
        out[key] = integrity(render(target[len(prefix) :], public_url).content)
    return out


@cache
def render(name: str, public_url: str) -> PublishedDocument:
    """A published file as served by the deployment at ``public_url`` (a trailing slash is dropped).

    Files without the ``{PUBLIC}`` placeholder are served byte for byte. A template (the SD-JWT VC
    type metadata) gets the deployment's URL, and the integrity of the published files it links.
    Cached: the files change only with a deployment.
    """
    path = schema_path(name)
    media_type = _media_type(name) or "application/octet-stream"
    raw = path.read_bytes()
    if PUBLIC_PLACEHOLDER.encode() not in raw:
        return PublishedDocument(raw, media_type)
    public_url = public_url.rstrip("/")
    document = json.loads(raw.decode("utf-8").replace(PUBLIC_PLACEHOLDER, public_url))
    filled = _with_integrity(document, public_url)
    text = json.dumps(filled, ensure_ascii=False, indent=2) + "\n"
    return PublishedDocument(text.encode("utf-8"), media_type)
