"""Occupations suggested from confirmed skills."""

from __future__ import annotations

import pytest

from skills_vc.errors import NotFoundError, ValidationFailed
from skills_vc.services import mapping


def test_occupations_cover_the_confirmed_skills(bundle: mapping.MapperBundle) -> None:
    template = bundle.mapper.catalogue.get("computer-refurbishing")
    result = mapping.suggest_occupations(list(template.core), "fr", limit=5)
    assert result["lang"] == "fr"
    first = result["occupations"][0]
    assert first["essential_matched"], "the best occupation shares essential skills"
    assert 0 < first["coverage"] <= 1
    assert set(first["essential_matched"]) <= set(template.core)
    assert len(first["essential_matched"]) >= 2
    scores = [o["score"] for o in result["occupations"]]
    assert scores == sorted(scores, reverse=True)
    assert "European Commission" in result["attribution"]


def test_unknown_skill_uris_are_named(bundle: mapping.MapperBundle) -> None:
    bad = "http://data.europa.eu/esco/skill/00000000-0000-0000-0000-000000000000"
    with pytest.raises(NotFoundError) as err:
        mapping.suggest_occupations(
            ["http://data.europa.eu/esco/skill/a3ef84f9-c436-437a-bc6f-4956ae13e1eb", bad], "en"
        )
    assert err.value.code == "unknown_skill"
    assert err.value.extra["unknown"] == [bad]


def test_empty_skill_list_is_refused(bundle: mapping.MapperBundle) -> None:
    with pytest.raises(ValidationFailed) as err:
        mapping.suggest_occupations([], "en")
    assert err.value.code == "no_skills"


def test_record_helpers_keep_suggestions_and_issue_only_confirmed(
    bundle: mapping.MapperBundle,
) -> None:
    suggested = mapping.suggestions_for_record("Couture de masques en tissu", "fr", limit=5)
    assert len(suggested) == 5
    assert set(suggested[0]) == {"uri", "label", "score", "rank"}
    uuid = "a3ef84f9-c436-437a-bc6f-4956ae13e1eb"
    confirmed = mapping.confirmed_skills([uuid, uuid], "fr")
    assert confirmed == [
        {
            "uri": "http://data.europa.eu/esco/skill/" + uuid,
            "label": "coudre des morceaux de tissu",
        }
    ]
    with pytest.raises(ValidationFailed):
        mapping.confirmed_skills(["http://data.europa.eu/esco/skill/nope"], "fr")
