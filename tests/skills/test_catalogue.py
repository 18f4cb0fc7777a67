"""The activity catalogue and the labelled development set refer to real ESCO skills."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np

from skills_vc.core.skills.catalogue import Catalogue
from skills_vc.services import mapping

DEVSET = Path(__file__).parent / "eval" / "devset.json"


def _catalogue_raw() -> bytes:
    return (resources.files("skills_vc") / "data" / "catalogue" / "activities.json").read_bytes()


def test_catalogue_has_thirty_trilingual_templates() -> None:
    catalogue = Catalogue.from_json(_catalogue_raw())
    assert len(catalogue) >= 30
    assert len({t.id for t in catalogue.templates}) == len(catalogue)
    for t in catalogue.templates:
        for lang in ("fr", "nl", "en"):
            assert t.name[lang].strip() and t.description[lang].strip()
        assert t.core and t.transversal


def test_every_catalogue_uri_exists_in_the_index(bundle: mapping.MapperBundle) -> None:
    catalogue = Catalogue.from_json(_catalogue_raw())
    missing = [(t.id, u) for t in catalogue.templates for u in t.skills if not bundle.index.has(u)]
    assert missing == []


def test_packaged_template_embeddings_match_the_catalogue() -> None:
    raw = (resources.files("skills_vc") / "data" / "esco" / "templates.npz").read_bytes()
    import io

    with np.load(io.BytesIO(raw)) as data:
        assert str(data["digest"]) == mapping.catalogue_digest(_catalogue_raw()), (
            "the catalogue changed: run `make esco-index` "
            "(or scripts/build_esco_index.py --templates-only)"
        )


def test_devset_is_large_trilingual_and_valid(bundle: mapping.MapperBundle) -> None:
    cases = json.loads(DEVSET.read_text(encoding="utf-8"))["cases"]
    assert len(cases) >= 60
    for lang in ("fr", "nl", "en"):
        assert sum(c["lang"] == lang for c in cases) >= 20
    for case in cases:
        assert 2 <= len(case["essential"]) <= 5, case["id"]
        assert all(bundle.index.has(u) for u in case["essential"]), case["id"]
