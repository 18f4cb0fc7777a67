"""Mapper behaviour: ranking, languages, explanations, templates and bad input."""

from __future__ import annotations

import pytest

from skills_vc.core.skills.langdetect import detect_language
from skills_vc.core.skills.mapper import MAX_TEXT_CHARS, MapperConfig
from skills_vc.errors import NotFoundError, ValidationFailed
from skills_vc.services import mapping

SKILL = "http://data.europa.eu/esco/skill/"
SEW_FABRIC = SKILL + "a3ef84f9-c436-437a-bc6f-4956ae13e1eb"
INSTALL_OS = SKILL + "c330db31-7fa9-4a8c-8ad6-baa957bcfed1"
ANSWER_CALLS = SKILL + "5a0bffcf-4ff6-49cf-a7db-4142e63f5f04"
MANAGE_VOLUNTEERS = SKILL + "232f854a-f5b9-4d8a-8499-23f59852273c"


def _uris(result: dict[str, object]) -> list[str]:
    suggestions = result["suggestions"]
    assert isinstance(suggestions, list)
    return [s["uri"] for s in suggestions]


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("Elle a cousu des masques en tissu pour la maison de repos.", "fr", SEW_FABRIC),
        ("Ik installeerde het besturingssysteem op geschonken laptops.", "nl", INSTALL_OS),
        ("Answered incoming calls on the Covid helpline.", "en", ANSWER_CALLS),
        ("Coordination des bénévoles et planning des équipes.", "fr", MANAGE_VOLUNTEERS),
    ],
)
def test_expected_skill_ranks_in_top_ten(
    bundle: mapping.MapperBundle, text: str, lang: str, expected: str
) -> None:
    assert expected in _uris(mapping.suggest(text, lang=lang))


def test_result_shape_labels_in_requested_language(bundle: mapping.MapperBundle) -> None:
    result = mapping.suggest("Installation de Linux sur des ordinateurs donnés", lang="fr")
    assert result["lang"] == "fr" and result["lang_detected"] is False
    assert "European Commission" in result["attribution"]
    first = result["suggestions"][0]
    assert set(first) >= {"uri", "label", "label_lang", "score", "skill_type", "transversal"}
    assert all(s["label_lang"] in ("fr", "en") for s in result["suggestions"])
    assert any(s["label_lang"] == "fr" for s in result["suggestions"])
    scores = [s["score"] for s in result["suggestions"]]
    assert scores == sorted(scores, reverse=True)


def test_explanation_names_the_matched_words_and_label(bundle: mapping.MapperBundle) -> None:
    result = mapping.suggest("installed the operating system on laptops", lang="en", limit=20)
    hit = next(s for s in result["suggestions"] if s["uri"] == INSTALL_OS)
    assert "operating" in hit["explanation"]["matched_words"]
    assert hit["explanation"]["matched_label"] == "install operating system"
    assert hit["explanation"]["matched_label_kind"] == "preferred label"


def test_template_id_puts_its_core_skills_first(bundle: mapping.MapperBundle) -> None:
    template = bundle.mapper.catalogue.get("volunteer-coordination")
    result = mapping.suggest("Aide le samedi.", lang="fr", template_id="volunteer-coordination")
    top = _uris(result)[: len(template.core)]
    assert set(top) == set(template.core)
    assert result["templates"][0] == {"id": "volunteer-coordination", "confidence": 1.0}
    first = result["suggestions"][0]["explanation"]
    assert "volunteer-coordination" in first["templates"]


def test_template_alone_is_enough(bundle: mapping.MapperBundle) -> None:
    result = mapping.suggest("", template_id="helpline", lang="nl")
    assert ANSWER_CALLS in _uris(result)


def test_tasks_are_part_of_the_description(bundle: mapping.MapperBundle) -> None:
    without = _uris(mapping.suggest("Bénévole à l'ASBL.", lang="fr"))
    tasks = ["installer le système d'exploitation"]
    with_tasks = _uris(mapping.suggest("Bénévole à l'ASBL.", lang="fr", tasks=tasks))
    assert INSTALL_OS not in without
    assert INSTALL_OS in with_tasks


def test_components_can_be_switched_off(bundle: mapping.MapperBundle) -> None:
    lexical_only = bundle.mapper.with_config(MapperConfig(dense=False, templates=False))
    result = lexical_only.suggest("sew masks", lang="en")
    assert result.templates == ()
    assert all(s.dense == 0 and s.template == 0 for s in result.suggestions)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("J'ai préparé des colis pour les familles du quartier avec les autres bénévoles.", "fr"),
        ("Ik heb voedselpakketten klaargemaakt voor de gezinnen in de buurt.", "nl"),
        ("I packed food parcels for the families of the neighbourhood.", "en"),
    ],
)
def test_language_is_detected_when_absent(
    bundle: mapping.MapperBundle, text: str, lang: str
) -> None:
    result = mapping.suggest(text)
    assert result["lang"] == lang and result["lang_detected"] is True


def test_detection_refuses_another_language() -> None:
    with pytest.raises(ValidationFailed) as err:
        detect_language("Ich habe für die Nachbarn eingekauft und das ist nicht so schwer.")
    assert err.value.code == "unsupported_language"


def test_text_without_clue_defaults_to_english() -> None:
    assert detect_language("Excel 365") == "en"


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_is_refused(bundle: mapping.MapperBundle, text: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        mapping.suggest(text)
    assert err.value.code == "empty_text"


def test_ten_thousand_characters_are_refused(bundle: mapping.MapperBundle) -> None:
    with pytest.raises(ValidationFailed) as err:
        mapping.suggest("couture de masques " * 530, lang="fr")  # about 10,000 characters
    assert err.value.code == "text_too_long"
    assert str(MAX_TEXT_CHARS) in err.value.detail


def test_text_at_the_limit_is_accepted(bundle: mapping.MapperBundle) -> None:
    text = ("Couture de masques. " * 400)[:MAX_TEXT_CHARS]
    assert mapping.suggest(text, lang="fr")["suggestions"]


@pytest.mark.parametrize("lang", ["de", "english", "", "zz"])
def test_unsupported_language_is_refused(bundle: mapping.MapperBundle, lang: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        mapping.suggest("sewing masks", lang=lang)
    assert err.value.code == "unsupported_language"


def test_unknown_template_is_refused(bundle: mapping.MapperBundle) -> None:
    with pytest.raises(NotFoundError) as err:
        mapping.suggest("sewing masks", template_id="no-such-template")
    assert err.value.code == "unknown_template"
    assert err.value.status == 404


@pytest.mark.parametrize("limit", [0, -1, 51])
def test_limit_out_of_range_is_refused(bundle: mapping.MapperBundle, limit: int) -> None:
    with pytest.raises(ValidationFailed) as err:
        mapping.suggest("sewing masks", lang="en", limit=limit)
    assert err.value.code == "invalid_limit"


def test_too_many_tasks_are_refused(bundle: mapping.MapperBundle) -> None:
    with pytest.raises(ValidationFailed) as err:
        mapping.suggest("help", lang="en", tasks=["task"] * 21)
    assert err.value.code == "too_many_tasks"


def test_gibberish_gives_few_or_no_lexical_hits(bundle: mapping.MapperBundle) -> None:
    result = mapping.suggest("qwxz vbnm plkj", lang="en")
    assert all(s["signals"]["lexical"] == 0 for s in result["suggestions"])


def test_concurrent_requests_give_the_same_answers(bundle: mapping.MapperBundle) -> None:
    from concurrent.futures import ThreadPoolExecutor

    texts = [
        "Couture de masques en tissu pour la maison de repos.",
        "Voedselpakketten klaarmaken in het magazijn van de voedselbank.",
        "Answered calls on the helpline and referred people to services.",
        "Reconditionnement d'ordinateurs portables pour des élèves.",
    ] * 4
    expected = [_uris(mapping.suggest(t)) for t in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda t: _uris(mapping.suggest(t)), texts))
    assert got == expected
