"""Verification as a list of named checks, each with a status, a stable code and a message in
French, Dutch and English.

Checks run in a fixed order: ``signature``, ``issuer_trusted``, ``validity_period``, ``status``,
``schema``. A failed signature is fatal: the other checks are reported as ``skipped`` because
nothing in an unproven credential can be trusted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "CHECK_NAMES",
    "Check",
    "CheckStatus",
    "Report",
    "Verdict",
    "message_for",
]

CheckStatus = Literal["passed", "failed", "skipped", "not_checked"]
Verdict = Literal["verified", "verified_status_not_checked", "not_verified"]
CHECK_NAMES = ("signature", "issuer_trusted", "validity_period", "status", "schema")

# code -> (fr, nl, en). Placeholders are filled from the check's params.
MESSAGES: dict[str, tuple[str, str, str]] = {
    "signature_valid": (
        "La signature est valide : le contenu n'a pas été modifié depuis son émission par {issuer}.",
        "De handtekening is geldig: de inhoud is niet gewijzigd sinds {issuer} ze uitgaf.",
        "The signature is valid: the content has not changed since {issuer} issued it.",
    ),
    "signature_invalid": (
        "La signature ne correspond pas au contenu : l'attestation a été modifiée ou falsifiée.",
        "De handtekening klopt niet met de inhoud: het attest is gewijzigd of vervalst.",
        "The signature does not match the content: the credential was altered or forged.",
    ),
    "malformed_credential": (
        "L'attestation est illisible ou mal formée : {detail}",
        "Het attest is onleesbaar of misvormd: {detail}",
        "The credential is unreadable or malformed: {detail}",
    ),
    "unsupported_format": (
        "Le format de l'attestation n'est pas pris en charge.",
        "Het formaat van het attest wordt niet ondersteund.",
        "The credential's format is not supported.",
    ),
    "unsupported_algorithm": (
        "L'algorithme de signature n'est pas accepté ({detail}).",
        "Het handtekeningalgoritme wordt niet aanvaard ({detail}).",
        "The signature algorithm is not accepted ({detail}).",
    ),
    "unknown_key": (
        "La clé de signature n'est connue d'aucune association du registre.",
        "De ondertekeningssleutel is bij geen enkele vereniging in het register bekend.",
        "The signing key is not known for any association in the registry.",
    ),
    "key_not_issuer": (
        "La clé de signature n'appartient pas à l'émetteur indiqué dans l'attestation.",
        "De ondertekeningssleutel behoort niet toe aan de uitgever die in het attest staat.",
        "The signing key does not belong to the issuer named in the credential.",
    ),
    "issuer_accredited": (
        "{issuer_name} était une association agréée au moment de l'émission.",
        "{issuer_name} was een erkende vereniging op het moment van uitgifte.",
        "{issuer_name} was an accredited association when the credential was issued.",
    ),
    "issuer_not_trusted": (
        "L'émetteur n'était pas une association agréée au moment de l'émission ({detail}).",
        "De uitgever was geen erkende vereniging op het moment van uitgifte ({detail}).",
        "The issuer was not an accredited association when the credential was issued ({detail}).",
    ),
    "within_validity_period": (
        "L'attestation est dans sa période de validité.",
        "Het attest valt binnen de geldigheidsperiode.",
        "The credential is within its validity period.",
    ),
    "not_yet_valid": (
        "L'attestation n'est pas encore valide (valable à partir du {valid_from}).",
        "Het attest is nog niet geldig (geldig vanaf {valid_from}).",
        "The credential is not valid yet (valid from {valid_from}).",
    ),
    "expired": (
        "L'attestation a expiré le {valid_until}.",
        "Het attest is verlopen op {valid_until}.",
        "The credential expired on {valid_until}.",
    ),
    "invalid_validity_period": (
        "Les dates de validité sont incohérentes ou mal formées.",
        "De geldigheidsdata zijn tegenstrijdig of misvormd.",
        "The validity dates are inconsistent or malformed.",
    ),
    "status_active": (
        "L'attestation n'a été ni révoquée ni suspendue.",
        "Het attest is niet ingetrokken en niet geschorst.",
        "The credential has been neither revoked nor suspended.",
    ),
    "status_none": (
        "L'attestation ne déclare aucun statut à vérifier.",
        "Het attest vermeldt geen status om te controleren.",
        "The credential declares no status to check.",
    ),
    "revoked": (
        "L'association a révoqué cette attestation.",
        "De vereniging heeft dit attest ingetrokken.",
        "The association has revoked this credential.",
    ),
    "suspended": (
        "L'association a suspendu cette attestation.",
        "De vereniging heeft dit attest geschorst.",
        "The association has suspended this credential.",
    ),
    "status_unavailable": (
        "La liste de statut n'a pas pu être obtenue : impossible de savoir si l'attestation est révoquée.",
        "De statuslijst kon niet worden opgehaald: niet te zeggen of het attest is ingetrokken.",
        "The status list could not be retrieved: whether the credential is revoked is unknown.",
    ),
    "status_list_invalid": (
        "La liste de statut n'est pas authentique ou pas lisible : {detail}",
        "De statuslijst is niet echt of niet leesbaar: {detail}",
        "The status list is not authentic or not readable: {detail}",
    ),
    "status_list_length_error": (
        "La liste de statut est trop courte pour être valable.",
        "De statuslijst is te kort om geldig te zijn.",
        "The status list is too short to be valid.",
    ),
    "status_range_error": (
        "L'index de statut de l'attestation est en dehors de la liste.",
        "De statusindex van het attest valt buiten de lijst.",
        "The credential's status index lies outside the list.",
    ),
    "status_entry_invalid": (
        "L'entrée de statut de l'attestation est mal formée : {detail}",
        "De statusvermelding van het attest is misvormd: {detail}",
        "The credential's status entry is malformed: {detail}",
    ),
    "schema_valid": (
        "Le contenu respecte les schémas {schemas}.",
        "De inhoud voldoet aan de schema's {schemas}.",
        "The content conforms to the schemas {schemas}.",
    ),
    "schema_invalid": (
        "Le contenu ne respecte pas le schéma : {detail}",
        "De inhoud voldoet niet aan het schema: {detail}",
        "The content does not conform to the schema: {detail}",
    ),
    "schema_undefined_term": (
        "Le contenu utilise des propriétés non définies : {detail}",
        "De inhoud gebruikt niet-gedefinieerde eigenschappen: {detail}",
        "The content uses undefined properties: {detail}",
    ),
    "schema_unavailable": (
        "Un schéma déclaré n'est pas disponible pour vérification : {detail}",
        "Een vermeld schema is niet beschikbaar voor controle: {detail}",
        "A declared schema is not available to check against: {detail}",
    ),
    "status_not_checked_offline": (
        "Statut non vérifié hors ligne : sans liste de statut récente, une révocation ne peut être exclue.",
        "Status offline niet gecontroleerd: zonder recente statuslijst is intrekking niet uit te sluiten.",
        "Status not checked offline: without a recent status list a revocation cannot be ruled out.",
    ),
    "status_list_too_old": (
        "Statut non vérifié : la liste de statut en cache est trop ancienne ({detail}).",
        "Status niet gecontroleerd: de bewaarde statuslijst is te oud ({detail}).",
        "Status not checked: the cached status list is too old ({detail}).",
    ),
    "disclosures_valid": (
        "Les {count} informations dévoilées par le titulaire ont toutes été signées par l'émetteur.",
        "De {count} gegevens die de houder toont, zijn allemaal door de uitgever ondertekend.",
        "All {count} claims the holder disclosed were signed by the issuer.",
    ),
    "disclosure_not_signed": (
        "Une information dévoilée n'a pas été signée par l'émetteur : elle a été ajoutée ou modifiée.",
        "Een getoond gegeven is niet door de uitgever ondertekend: het is toegevoegd of gewijzigd.",
        "A disclosed claim was not signed by the issuer: it was added or altered.",
    ),
    "disclosure_malformed": (
        "Une information dévoilée est mal formée : {detail}",
        "Een getoond gegeven is misvormd: {detail}",
        "A disclosed claim is malformed: {detail}",
    ),
    "disclosure_repeated": (
        "Une information est dévoilée deux fois.",
        "Een gegeven wordt twee keer getoond.",
        "A claim is disclosed twice.",
    ),
    "key_binding_valid": (
        "Le titulaire a prouvé détenir la clé de l'attestation (présentation destinée à {aud}).",
        "De houder heeft bewezen de sleutel van het attest te bezitten (voorstelling bestemd voor {aud}).",
        "The holder proved possession of the credential's key (presentation meant for {aud}).",
    ),
    "key_binding_invalid": (
        "La preuve de détention de la clé n'est pas valable : {detail}",
        "Het bewijs van sleutelbezit is niet geldig: {detail}",
        "The proof of key possession is not valid: {detail}",
    ),
    "key_binding_wrong_key": (
        "La preuve de détention n'est pas signée par la clé du titulaire de l'attestation.",
        "Het bewijs van bezit is niet ondertekend met de sleutel van de houder van het attest.",
        "The proof of possession is not signed by the credential holder's key.",
    ),
    "key_binding_sd_hash": (
        "La preuve de détention ne porte pas sur les informations présentées (sd_hash différent).",
        "Het bewijs van bezit slaat niet op de getoonde gegevens (andere sd_hash).",
        "The proof of possession does not cover the presented claims (sd_hash differs).",
    ),
    "key_binding_no_holder_key": (
        "L'attestation ne désigne aucune clé de titulaire : la preuve de détention ne peut être vérifiée.",
        "Het attest noemt geen sleutel van de houder: het bewijs van bezit kan niet worden gecontroleerd.",
        "The credential names no holder key: the proof of possession cannot be checked.",
    ),
    "skipped_after_signature": (
        "Non vérifié : sans signature valide, rien dans l'attestation n'est digne de confiance.",
        "Niet gecontroleerd: zonder geldige handtekening is niets in het attest betrouwbaar.",
        "Not checked: without a valid signature nothing in the credential can be trusted.",
    ),
    # Presentations (core/vp.py): the holder's proof, challenge, domain, credentials, holder binding.
    "presentation_signature_valid": (
        "La présentation est signée par la clé de son titulaire ({holder}).",
        "De voorstelling is ondertekend met de sleutel van de houder ({holder}).",
        "The presentation is signed by its holder's key ({holder}).",
    ),
    "presentation_signature_invalid": (
        "La signature de la présentation ne correspond pas à sa clé : elle a été modifiée ou falsifiée.",
        "De handtekening van de voorstelling klopt niet met haar sleutel: ze is gewijzigd of vervalst.",
        "The presentation's signature does not match its key: it was altered or forged.",
    ),
    "presentation_malformed": (
        "La présentation est illisible ou mal formée : {detail}",
        "De voorstelling is onleesbaar of misvormd: {detail}",
        "The presentation is unreadable or malformed: {detail}",
    ),
    "presentation_unsupported_format": (
        "Le format de la présentation n'est pas pris en charge : {detail}",
        "Het formaat van de voorstelling wordt niet ondersteund: {detail}",
        "The presentation's format is not supported: {detail}",
    ),
    "presentation_unsecured": (
        "La présentation ne porte aucune preuve du titulaire : rien ne montre qui la présente.",
        "De voorstelling draagt geen bewijs van de houder: niets toont wie ze voorlegt.",
        "The presentation carries no proof from its holder: nothing shows who presents it.",
    ),
    "presentation_proof_unsupported": (
        "La preuve de la présentation est d'un type non pris en charge ({detail}) : elle ne prouve rien.",
        "Het bewijs van de voorstelling is van een niet-ondersteund type ({detail}): het bewijst niets.",
        "The presentation's proof is of a type not supported ({detail}): it proves nothing.",
    ),
    "presentation_expired": (
        "La présentation a expiré : elle ne peut plus être acceptée.",
        "De voorstelling is verlopen: ze kan niet meer worden aanvaard.",
        "The presentation has expired: it can no longer be accepted.",
    ),
    "presentation_not_yet_valid": (
        "La présentation est datée dans le futur : {detail}",
        "De voorstelling is in de toekomst gedateerd: {detail}",
        "The presentation is dated in the future: {detail}",
    ),
    "holder_key_unusable": (
        "La clé du titulaire désignée par la présentation est inutilisable : {detail}",
        "De sleutel van de houder die de voorstelling noemt, is onbruikbaar: {detail}",
        "The holder key the presentation names cannot be used: {detail}",
    ),
    "key_binding_missing": (
        "L'attestation est présentée sans preuve de détention de sa clé : rien ne montre qui la présente.",
        "Het attest wordt voorgelegd zonder bewijs van sleutelbezit: niets toont wie het voorlegt.",
        "The credential is presented without proof of possession of its key: nothing shows who presents it.",
    ),
    "skipped_after_credential_proof": (
        "Non vérifié : la preuve de l'attestation elle-même n'est pas valable.",
        "Niet gecontroleerd: het bewijs van het attest zelf is niet geldig.",
        "Not checked: the credential's own proof does not hold.",
    ),
    "skipped_after_presentation_proof": (
        "Non vérifié : sans preuve valable du titulaire, la présentation n'est pas digne de confiance.",
        "Niet gecontroleerd: zonder geldig bewijs van de houder is de voorstelling niet betrouwbaar.",
        "Not checked: without a valid proof from the holder, the presentation cannot be trusted.",
    ),
    "challenge_valid": (
        "La présentation répond au défi demandé : elle a été faite pour cette vérification.",
        "De voorstelling beantwoordt de gevraagde uitdaging: ze is voor deze controle gemaakt.",
        "The presentation answers the challenge asked: it was made for this verification.",
    ),
    "challenge_mismatch": (
        "La présentation répond à un autre défi que celui demandé : elle a pu être rejouée.",
        "De voorstelling beantwoordt een andere uitdaging dan gevraagd: ze kan opnieuw zijn afgespeeld.",
        "The presentation answers another challenge than the one asked: it may be replayed.",
    ),
    "challenge_missing": (
        "Un défi était demandé mais la présentation n'en porte aucun.",
        "Er werd een uitdaging gevraagd, maar de voorstelling bevat er geen.",
        "A challenge was asked but the presentation carries none.",
    ),
    "challenge_not_requested": (
        "Aucun défi n'était demandé : rien n'empêche de rejouer cette présentation.",
        "Er werd geen uitdaging gevraagd: niets belet dat deze voorstelling opnieuw wordt afgespeeld.",
        "No challenge was asked: nothing prevents this presentation from being replayed.",
    ),
    "domain_valid": (
        "La présentation est destinée à ce vérificateur ({value}).",
        "De voorstelling is bestemd voor deze verificateur ({value}).",
        "The presentation is meant for this verifier ({value}).",
    ),
    "domain_mismatch": (
        "La présentation est destinée à un autre vérificateur ({found}) que {expected}.",
        "De voorstelling is bestemd voor een andere verificateur ({found}) dan {expected}.",
        "The presentation is meant for another verifier ({found}) than {expected}.",
    ),
    "domain_missing": (
        "Un domaine ({expected}) était demandé mais la présentation ne dit pas à qui elle est destinée.",
        "Er werd een domein ({expected}) gevraagd, maar de voorstelling zegt niet voor wie ze bestemd is.",
        "A domain ({expected}) was asked but the presentation does not say whom it is meant for.",
    ),
    "domain_not_requested": (
        "Aucun domaine n'était demandé.",
        "Er werd geen domein gevraagd.",
        "No domain was asked.",
    ),
    "credentials_verified": (
        "Les {count} attestations de la présentation sont vérifiées.",
        "De {count} attesten van de voorstelling zijn geverifieerd.",
        "All {count} credentials in the presentation are verified.",
    ),
    "credentials_none": (
        "La présentation ne contient aucune attestation.",
        "De voorstelling bevat geen attest.",
        "The presentation carries no credential.",
    ),
    "credential_not_verified": (
        "L'attestation n° {position} de la présentation n'est pas vérifiée (contrôle {check} : {code}).",
        "Attest nr. {position} van de voorstelling is niet geverifieerd (controle {check}: {code}).",
        "Credential {position} in the presentation is not verified (check {check}: {code}).",
    ),
    "holder_binding_valid": (
        "Les attestations présentées sont bien celles du titulaire qui les présente ({holder}).",
        "De voorgelegde attesten zijn wel degelijk van de houder die ze voorlegt ({holder}).",
        "The credentials presented belong to the holder who presents them ({holder}).",
    ),
    "holder_not_subject": (
        "L'attestation n° {position} n'appartient pas au titulaire qui la présente ({holder}).",
        "Attest nr. {position} behoort niet toe aan de houder die het voorlegt ({holder}).",
        "Credential {position} does not belong to the holder who presents it ({holder}).",
    ),
    "holder_mismatch": (
        "La présentation se dit celle de {named}, mais elle est signée par {holder}.",
        "De voorstelling zegt van {named} te zijn, maar is ondertekend door {holder}.",
        "The presentation says it is from {named}, but {holder} signed it.",
    ),
    "holder_binding_no_credentials": (
        "Aucune attestation à rattacher au titulaire.",
        "Geen attest om aan de houder te koppelen.",
        "No credential to bind to the holder.",
    ),
    "holder_binding_unproven": (
        "Non vérifié : sans preuve du titulaire, rien ne rattache les attestations à qui les présente.",
        "Niet gecontroleerd: zonder bewijs van de houder koppelt niets de attesten aan wie ze voorlegt.",
        "Not checked: without a proof from the holder, nothing binds the credentials to who presents them.",
    ),
}

_LANGS = ("fr", "nl", "en")


class _Defaults(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def message_for(code: str, params: dict[str, Any]) -> dict[str, str]:
    """The message of ``code`` in French, Dutch and English."""
    texts = MESSAGES.get(code, (code, code, code))
    values = _Defaults(params)
    return {lang: text.format_map(values) for lang, text in zip(_LANGS, texts, strict=True)}


@dataclass(frozen=True)
class Check:
    name: str
    status: CheckStatus
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> dict[str, str]:
        return message_for(self.code, self.params)

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.name, "status": self.status, "code": self.code, "message": self.message}


@dataclass
class Report:
    """The outcome of verifying one presented credential."""

    format: str | None
    checks: list[Check] = field(default_factory=list)
    credential: dict[str, Any] | None = None

    @property
    def verified(self) -> bool:
        """Every check of ``CHECK_NAMES`` passed, and so did every other check that was made
        (an SD-JWT's ``disclosures`` and ``key_binding``)."""
        names = {check.name for check in self.checks if check.status == "passed"}
        return all(name in names for name in CHECK_NAMES) and all(
            check.status == "passed" for check in self.checks
        )

    @property
    def verdict(self) -> Verdict:
        """``verified``; ``verified_status_not_checked`` when every check passed except a status that
        could not be checked offline (still not ``verified``); otherwise ``not_verified``."""
        if self.verified:
            return "verified"
        others = [c for c in self.checks if c.name != "status"]
        status = self.check("status")
        if (
            status is not None
            and status.status == "not_checked"
            and len(others) == len(CHECK_NAMES) - 1
            and all(c.status == "passed" for c in others)
        ):
            return "verified_status_not_checked"
        return "not_verified"

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        problems = [
            {
                "type": f"urn:skills-vc:problem:{c.code}",
                "code": c.code,
                "title": c.message["en"],
            }
            for c in self.checks
            if c.status in ("failed",)
        ]
        body: dict[str, Any] = {
            "verified": self.verified,
            "verdict": self.verdict,
            "format": self.format,
            "checks": [c.as_dict() for c in self.checks],
            "problemDetails": problems,
        }
        if self.credential is not None:
            body["credential"] = self.credential
        return body
