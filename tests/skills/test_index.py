"""The packaged ESCO index: contents, label fallback, hierarchy, Competent codes."""

from __future__ import annotations

import pytest

from skills_vc.core.skills.index import ATTRIBUTION, FALLBACK, SKILL_PREFIX, check_lang
from skills_vc.errors import NotFoundError, ValidationFailed
from skills_vc.services import mapping

SEW = "a3ef84f9-c436-437a-bc6f-4956ae13e1eb"  # sew pieces of fabric
WORK_IN_TEAMS = "60c78287-22eb-4103-9c8c-28deaa460da0"
# "train volunteers" has no French and no Dutch label in the packaged data.
TRAIN_VOLUNTEERS = "2c438b4b-4212-45f5-9625-ee21ac5061a9"


def test_index_holds_all_esco_111_skills_and_occupations(bundle: mapping.MapperBundle) -> None:
    index = bundle.index
    assert index.version == "1.1.1"
    assert len(index) == 13_896
    assert len(index.occupations["uuid"]) == 3_007
    assert sum(index.is_transversal(i) for i in range(len(index))) >= 90


def test_index_loads_without_the_encoder() -> None:
    # How fast it loads is measured by `make bench` (cold start), not asserted here.
    bundle = mapping.load_bundle(use_encoder=False)
    assert bundle.index.has(SEW)


def test_labels_in_three_languages(bundle: mapping.MapperBundle) -> None:
    i = bundle.index.position(SEW)
    assert bundle.index.label(i, "en").text == "sew pieces of fabric"
    assert bundle.index.label(i, "fr").text == "coudre des morceaux de tissu"
    assert bundle.index.label(i, "fr").lang == "fr"
    assert bundle.index.label(i, "nl").lang == "nl"


def test_missing_label_falls_back_in_stated_order(bundle: mapping.MapperBundle) -> None:
    assert FALLBACK["nl"] == ("nl", "fr", "en")
    i = bundle.index.position(TRAIN_VOLUNTEERS)
    label = bundle.index.label(i, "nl")
    assert label.lang == "en"
    assert label.text == "train volunteers"
    assert bundle.index.label(i, "fr").lang == "en"


def test_lookup_by_uri_or_uuid(bundle: mapping.MapperBundle) -> None:
    index = bundle.index
    assert index.position(SEW) == index.position(SKILL_PREFIX + SEW)
    assert index.uri(index.position(SEW)) == SKILL_PREFIX + SEW
    with pytest.raises(NotFoundError) as err:
        index.position("00000000-0000-0000-0000-000000000000")
    assert err.value.code == "unknown_skill"


def test_skill_view_has_type_collections_hierarchy_and_competent(
    bundle: mapping.MapperBundle,
) -> None:
    view = mapping.get_skill(WORK_IN_TEAMS, "fr")
    assert view["transversal"] is True
    assert "transversal" in view["collections"]
    assert view["skill_type"] == "skill/competence"
    assert view["broader"], "every skill sits somewhere in the hierarchy"
    assert all(b["label"] and not b["label"].startswith("http") for b in view["broader"])
    assert view["attribution"] == ATTRIBUTION
    assert "European Commission" in view["attribution"]
    sew = mapping.get_skill(SEW, "nl")
    assert sew["competent"], "the crosswalk maps this skill"
    assert all(c["code"][:3] in {"KN-", "SK-", "SO-"} for c in sew["competent"])


def test_get_skill_rejects_unknown_language_and_uuid(bundle: mapping.MapperBundle) -> None:
    with pytest.raises(ValidationFailed) as err:
        mapping.get_skill(SEW, "de")
    assert err.value.code == "unsupported_language"
    with pytest.raises(NotFoundError):
        mapping.get_skill("not-a-uuid", "en")


@pytest.mark.parametrize("value", ["fr", "NL", " en "])
def test_check_lang_accepts_supported(value: str) -> None:
    assert check_lang(value) == value.strip().lower()
