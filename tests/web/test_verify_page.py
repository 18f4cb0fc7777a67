"""The counsellor's verification page, through HTTP: inputs, languages, the report, bad input."""

from __future__ import annotations

import html
import io
from typing import Any

import orjson
import pytest

from skills_vc.api.pages.i18n import environment
from skills_vc.core.checks import CHECK_NAMES, Check, Report
from skills_vc.services import presentation
from tests.conftest import MANAGE_VOLUNTEERS, SEW_PROTECTIVE, WORK_IN_TEAMS, Platform
from tests.web.helpers import Elements, certificate_pdf, export_of, qr_text, revoke

SKILLS = [SEW_PROTECTIVE, WORK_IN_TEAMS, MANAGE_VOLUNTEERS]


@pytest.fixture
def issued(site: Platform) -> dict[str, Any]:
    association = site.register("entraide-bxl")
    body = site.issue(association, skills=SKILLS)
    return {"association": association, "body": body, "id": body["id"]}


def _verify(site: Platform, text: str = "", lang: str = "nl", **files: Any) -> Any:
    return site.client.post(f"/verify?lang={lang}", data={"credential": text}, files=files or None)


def test_form_is_labelled_and_in_french_by_default(site: Platform) -> None:
    for path in ("/", "/verify"):
        response = site.client.get(path)
        assert response.status_code == 200
        page = Elements(response.text)
        assert page.named("html")[0]["lang"] == "fr"
        assert "Vérifier l'attestation d'un bénévole" in response.text
        labelled = {attrs["for"] for attrs in page.named("label")}
        fields = [a for a in page.named("input")]
        assert fields and all(a["id"] in labelled for a in fields)
        assert page.named("form")[0]["action"] == "/verify"
        assert page.named("link")[0]["href"] == "/static/pages.css"
    assert site.client.get("/static/pages.css").status_code == 200
    assert site.client.get("/static/pages.js").status_code == 200


def test_language_query_then_cookie_then_accept_language(site: Platform) -> None:
    client = site.client
    dutch = client.get("/verify", headers={"Accept-Language": "nl-BE,nl;q=0.9,fr;q=0.8"})
    assert Elements(dutch.text).named("html")[0]["lang"] == "nl" and "set-cookie" not in dutch.headers
    weighted = client.get("/verify", headers={"Accept-Language": "de, en;q=0.5, nl;q=0.7"})
    assert Elements(weighted.text).named("html")[0]["lang"] == "nl"
    unknown = client.get("/verify", headers={"Accept-Language": "de-DE"})
    assert Elements(unknown.text).named("html")[0]["lang"] == "fr"
    chosen = client.get("/verify?lang=en", headers={"Accept-Language": "nl"})
    assert Elements(chosen.text).named("html")[0]["lang"] == "en"
    assert "lang=en" in chosen.headers["set-cookie"] and chosen.headers["content-language"] == "en"
    # The cookie the switch set now wins over the browser's language.
    remembered = client.get("/verify", headers={"Accept-Language": "nl"})
    assert Elements(remembered.text).named("html")[0]["lang"] == "en"
    assert "Verify a volunteer's credential" in remembered.text
    ignored = client.get("/verify?lang=de")
    assert Elements(ignored.text).named("html")[0]["lang"] == "en" and "set-cookie" not in ignored.headers
    current = [a for a in Elements(remembered.text).named("a") if a.get("aria-current") == "true"]
    assert [a["hreflang"] for a in current] == ["en"]


def test_pasted_vc_jwt_verified_with_skills_in_dutch(site: Platform, issued: dict[str, Any]) -> None:
    response = _verify(site, issued["body"]["jwt"])
    assert response.status_code == 200, response.text
    text = response.text
    page = Elements(text)
    assert page.by_id("verdict")["data-verdict"] == "verified"
    assert "Geverifieerd" in text and "Handtekening" in text
    assert "De handtekening is geldig" in text  # every check in plain Dutch
    assert all(a["data-status"] == "passed" for a in page.named("li") if "data-check" in a)
    assert len([a for a in page.named("li") if "data-check" in a]) == 5
    # The association as the registry knows it.
    assert "Association entraide-bxl ASBL" in text and "erkend" in text
    assert issued["association"]["did"] in text
    digits = "04000001" + f"{97 - 4000001 % 97:02d}"  # the first number Platform.register gives
    assert f"{digits[:4]}.{digits[4:7]}.{digits[7:]}" in text
    # Dates, hours, skills grouped, ESCO links and Competent codes.
    assert "van 23 maart 2020 tot 30 juni 2020" in text and "240 uur" in text
    skills = {a["data-group"] for a in page.named("ul") if "data-group" in a}
    assert skills == {"skill", "transversal"}
    links = {a["href"] for a in page.named("a")}
    assert {s["uri"] for s in SKILLS} <= links
    assert "vrijwilligers leiden" in text and "in teams werken" in text
    assert "Competent: SK-9498" in text
    assert any(str(href).startswith("http://data.europa.eu/esco/occupation/") for href in links)
    assert "This service uses the ESCO classification of the European Commission." in text
    report = export_of(text)
    assert report["verdict"] == "verified" and report["lang"] == "nl"
    assert report["registry"]["legalName"] == "Association entraide-bxl ASBL"
    assert report["credential"]["id"] == issued["id"]
    assert response.headers["cache-control"] == "no-store"


def test_envelope_pasted_or_uploaded_as_json(site: Platform, issued: dict[str, Any]) -> None:
    envelope = issued["body"]["verifiable_credential"]
    pasted = _verify(site, orjson.dumps(envelope).decode(), lang="en")
    assert Elements(pasted.text).by_id("verdict")["data-verdict"] == "verified"
    record = orjson.dumps(issued["body"], option=orjson.OPT_INDENT_2)
    uploaded = _verify(site, lang="en", file=("credential.json", io.BytesIO(record), "application/json"))
    assert uploaded.status_code == 200, uploaded.text
    assert Elements(uploaded.text).by_id("verdict")["data-verdict"] == "verified"
    assert "Verified" in uploaded.text and "work in teams" in uploaded.text


def test_qr_text_and_uploaded_certificate(site: Platform, issued: dict[str, Any]) -> None:
    text = qr_text(site, issued["association"], issued["id"])
    by_text = _verify(site, text + "\n")
    assert Elements(by_text.text).by_id("verdict")["data-verdict"] == "verified"
    assert "vrijwilligers leiden" in by_text.text and "Aïcha Benali" in by_text.text
    pdf = certificate_pdf(site, issued["association"], issued["id"])
    by_pdf = _verify(site, file=("scan.pdf", io.BytesIO(pdf), "application/pdf"))
    assert by_pdf.status_code == 200, by_pdf.text
    assert Elements(by_pdf.text).by_id("verdict")["data-verdict"] == "verified"
    assert export_of(by_pdf.text)["format"] == "vsc1"
    png = site.client.get(f"/credentials/{issued['id']}/qr.png", headers=issued["association"]["headers"])
    by_png = _verify(site, file=("qr.png", io.BytesIO(png.content), "image/png"))
    assert Elements(by_png.text).by_id("verdict")["data-verdict"] == "verified"


def test_revoked_credential_is_not_verified(site: Platform, issued: dict[str, Any]) -> None:
    revoke(site, issued["association"], issued["id"])
    response = _verify(site, issued["body"]["jwt"], lang="fr")
    assert response.status_code == 200
    page = Elements(response.text)
    assert page.by_id("verdict")["data-verdict"] == "not_verified"
    text = html.unescape(response.text)
    assert "Non vérifiée" in text and "L'association a révoqué cette attestation." in text
    status = next(a for a in page.named("li") if a.get("data-check") == "status")
    assert status["data-status"] == "failed"


def test_registry_status_today_is_shown_next_to_a_valid_credential(
    site: Platform, issued: dict[str, Any]
) -> None:
    site.clock.advance(days=1)
    site.set_accreditation("entraide-bxl", "suspended")
    response = _verify(site, issued["body"]["jwt"], lang="en")
    # Issued while accredited, so still verified; the registry's status today is shown as it is.
    assert Elements(response.text).by_id("verdict")["data-verdict"] == "verified"
    assert "accreditation suspended" in response.text


def test_tampered_credential_shows_only_the_checks(site: Platform, issued: dict[str, Any]) -> None:
    head, payload, signature = issued["body"]["jwt"].split(".")
    forged = ".".join([head, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")])
    response = _verify(site, forged, lang="en")
    page = Elements(response.text)
    assert page.by_id("verdict")["data-verdict"] == "not_verified"
    assert "Aïcha Benali" not in response.text and "registry" not in {a.get("id") for _, a in page.tags}
    skipped = [a for a in page.named("li") if a.get("data-status") == "skipped"]
    assert len(skipped) == 4


def test_credential_text_is_escaped(site: Platform) -> None:
    association = site.register("echappe")
    hostile = "<script>alert(1)</script> <b>gras</b>"
    body = site.issue(association, title=hostile, role="<b>Rôle</b>", skills=SKILLS)
    page_html = _verify(site, body["jwt"]).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;gras&lt;/b&gt;" in page_html
    assert "&lt;b&gt;Rôle&lt;/b&gt;" in page_html
    page = Elements(page_html)
    assert not page.named("b")
    assert [s.get("src") for s in page.named("script")] == ["/static/pages.js"]
    assert "alert(1)" in "".join(page.text)
    assert "default-src 'self'" in site.client.get("/verify").headers["content-security-policy"]


@pytest.mark.parametrize(
    ("text", "files", "status", "message"),
    [
        ("", None, 400, "Plak een attest, scan de QR-code of kies een bestand"),
        ("   \n ", None, 400, "Plak een attest, scan de QR-code of kies een bestand"),
        ("hello, this is not a credential", None, 422, "Dit is geen attest dat deze pagina kan lezen"),
        ('{"verifiableCredential": ', None, 422, "De tekst lijkt op JSON maar is onleesbaar"),
        ('{"name": "a credential without a proof"}', None, 422, "Dit is geen attest"),
        ("", {"file": ("x.png", b"\x89PNG\r\n\x1a\nbroken", "image/png")}, 422, "Het bestand is onleesbaar"),
        ("", {"file": ("x.bin", bytes(range(256)) * 4, "application/octet-stream")}, 422, "onleesbaar"),
        ("", {"file": ("x.pdf", b"%PDF-1.7 broken", "application/pdf")}, 422, "Het bestand is onleesbaar"),
        ("", {"file": ("big.pdf", b"%PDF-" + b"0" * (4 * 1024 * 1024), "application/pdf")}, 413, "te groot"),
    ],
)
def test_bad_input_gives_a_message_not_a_500(
    site: Platform, text: str, files: dict[str, Any] | None, status: int, message: str
) -> None:
    response = site.client.post("/verify?lang=nl", data={"credential": text}, files=files)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = Elements(response.text)
    assert page.by_id("form-error")["role"] == "alert"
    assert message in response.text
    assert page.named("form"), "the form is shown again"


def test_image_without_a_qr_code(site: Platform) -> None:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (200, 200), 255).save(out, format="PNG")
    response = _verify(site, lang="en", file=("blank.png", out.getvalue(), "image/png"))
    assert response.status_code == 422
    assert "No certificate QR code was found in the file." in response.text


def test_status_not_checked_has_its_own_banner() -> None:
    checks = [Check(name, "passed", "signature_valid") for name in CHECK_NAMES if name != "status"]
    report = Report(
        format="vsc1", checks=[*checks, Check("status", "not_checked", "status_not_checked_offline")]
    )
    view = presentation.present(None, report, "en")  # type: ignore[arg-type]  # no credential: no lookups
    page = environment("en").get_template("result.html").render(view=view, export_href="#")
    assert Elements(page).by_id("verdict")["data-verdict"] == "verified_status_not_checked"
    assert "Verified, status not checked" in page and "a revocation cannot be ruled out" in page
