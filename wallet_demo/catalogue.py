"""The wallet's words in French and Dutch; the English text is the key (data only).

Terms follow the service's own catalogues (attestation/attest, révoquée/ingetrokken,
aptitudes/vaardigheden) so a volunteer reads the same words in the wallet and on the
association's pages. ``ERRORS`` holds the message of each :class:`WalletError` code. Long lines
are allowed here: a sentence kept on one line is easier to check against its translations.
"""

# ruff: noqa: E501

from __future__ import annotations

__all__ = ["ERRORS", "MESSAGES"]

MESSAGES: dict[str, tuple[str, str]] = {
    # Layout.
    "My skills wallet": ("Mon portefeuille de compétences", "Mijn competentieportefeuille"),
    "Skip to the content": ("Aller au contenu", "Naar de inhoud"),
    "Wallet": ("Portefeuille", "Portefeuille"),
    "My credentials": ("Mes attestations", "Mijn attesten"),
    "Add a credential": ("Ajouter une attestation", "Een attest toevoegen"),
    "Language": ("Langue", "Taal"),
    "This demonstration wallet keeps your credentials in a file on this computer only.": (
        "Ce portefeuille de démonstration garde vos attestations dans un fichier sur cet ordinateur uniquement.",
        "Deze demonstratieportefeuille bewaart uw attesten alleen in een bestand op deze computer.",
    ),
    # The list.
    "Your credentials are kept here. Each one shows the association, the activity and the skills it attests.": (
        "Vos attestations sont gardées ici. Chacune montre l'association, l'activité et les aptitudes qu'elle atteste.",
        "Uw attesten worden hier bewaard. Elk toont de vereniging, de activiteit en de vaardigheden die het bevestigt.",
    ),
    "No credential yet. When an association offers you one, add it here with its link or QR code.": (
        "Aucune attestation pour l'instant. Quand une association vous en propose une, ajoutez-la ici avec son lien "
        "ou son code QR.",
        "Nog geen attest. Wanneer een vereniging u er een aanbiedt, voeg het hier toe met de link of de QR-code.",
    ),
    "Details": ("Détails", "Details"),
    "Check again": ("Vérifier à nouveau", "Opnieuw controleren"),
    "Status checked at %(time)s.": ("Statut vérifié à %(time)s.", "Status gecontroleerd om %(time)s."),
    "The credential was added to your wallet.": (
        "L'attestation a été ajoutée à votre portefeuille.",
        "Het attest is aan uw portefeuille toegevoegd.",
    ),
    "The credential was deleted.": ("L'attestation a été supprimée.", "Het attest is verwijderd."),
    # Status.
    "Valid": ("Valide", "Geldig"),
    "Revoked": ("Révoquée", "Ingetrokken"),
    "Suspended": ("Suspendue", "Geschorst"),
    "Status unknown": ("Statut inconnu", "Status onbekend"),
    "Status": ("Statut", "Status"),
    "The association has revoked this credential. A revocation is final.": (
        "L'association a révoqué cette attestation. Une révocation est définitive.",
        "De vereniging heeft dit attest ingetrokken. Een intrekking is definitief.",
    ),
    "The association has suspended this credential for now.": (
        "L'association a suspendu cette attestation pour l'instant.",
        "De vereniging heeft dit attest voorlopig geschorst.",
    ),
    "The status could not be checked (the association's service may be unreachable). Try again later.": (
        "Le statut n'a pas pu être vérifié (le service de l'association est peut-être injoignable). "
        "Réessayez plus tard.",
        "De status kon niet worden gecontroleerd (de dienst van de vereniging is misschien onbereikbaar). "
        "Probeer het later opnieuw.",
    ),
    "The association's status list says this credential is valid.": (
        "La liste de statuts de l'association indique que cette attestation est valide.",
        "De statuslijst van de vereniging zegt dat dit attest geldig is.",
    ),
    # Facts.
    "Association": ("Association", "Vereniging"),
    "Enterprise number": ("Numéro d'entreprise", "Ondernemingsnummer"),
    "Volunteer": ("Bénévole", "Vrijwilliger"),
    "Role": ("Rôle", "Rol"),
    "Dates": ("Dates", "Data"),
    "Hours": ("Heures", "Uren"),
    "Issued on": ("Délivrée le", "Uitgereikt op"),
    "Valid until": ("Valable jusqu'au", "Geldig tot"),
    "Received on": ("Reçue le", "Ontvangen op"),
    "Skills": ("Aptitudes", "Vaardigheden"),
    "%(start)s to %(end)s": ("du %(start)s au %(end)s", "van %(start)s tot %(end)s"),
    "Untitled activity": ("Activité sans titre", "Activiteit zonder titel"),
    "Paper QR code": ("Code QR papier", "Papieren QR-code"),
    "QR code of the paper credential": ("Code QR de l'attestation papier", "QR-code van het papieren attest"),
    "A counsellor can scan this code to check the credential, even without the internet.": (
        "Un conseiller peut scanner ce code pour vérifier l'attestation, même sans internet.",
        "Een consulent kan deze code scannen om het attest te controleren, zelfs zonder internet.",
    ),
    "Formats kept": ("Formats conservés", "Bewaarde formaten"),
    "Selective disclosure (SD-JWT VC)": (
        "Divulgation sélective (SD-JWT VC)",
        "Selectieve openbaarmaking (SD-JWT VC)",
    ),
    "Open Badges 3.0 (vc+jwt)": ("Open Badges 3.0 (vc+jwt)", "Open Badges 3.0 (vc+jwt)"),
    "Bound to the wallet key %(kid)s.": (
        "Liée à la clé du portefeuille %(kid)s.",
        "Gebonden aan de portefeuillesleutel %(kid)s.",
    ),
    "Delete this credential": ("Supprimer cette attestation", "Dit attest verwijderen"),
    # Adding.
    "Paste the link the association sent you, scan its QR code, or choose a picture of the QR code.": (
        "Collez le lien envoyé par l'association, scannez son code QR ou choisissez une photo du code QR.",
        "Plak de link die de vereniging u stuurde, scan de QR-code of kies een foto van de QR-code.",
    ),
    "Offer link": ("Lien de l'offre", "Link van het aanbod"),
    "It starts with openid-credential-offer:// or https://": (
        "Il commence par openid-credential-offer:// ou https://",
        "Hij begint met openid-credential-offer:// of https://",
    ),
    "Scan the QR code with the camera": (
        "Scanner le code QR avec la caméra",
        "De QR-code scannen met de camera",
    ),
    "Stop the camera": ("Arrêter la caméra", "De camera stoppen"),
    "Point the camera at the QR code.": (
        "Dirigez la caméra vers le code QR.",
        "Richt de camera op de QR-code.",
    ),
    "The camera cannot be used here; choose a picture of the QR code instead.": (
        "La caméra ne peut pas être utilisée ici ; choisissez plutôt une photo du code QR.",
        "De camera kan hier niet worden gebruikt; kies in plaats daarvan een foto van de QR-code.",
    ),
    "Or a picture of the QR code": ("Ou une photo du code QR", "Of een foto van de QR-code"),
    "A PNG or JPEG photo of the whole QR code.": (
        "Une photo PNG ou JPEG du code QR entier.",
        "Een PNG- of JPEG-foto van de hele QR-code.",
    ),
    "Continue": ("Continuer", "Doorgaan"),
    "Cancel": ("Annuler", "Annuleren"),
    # Accepting.
    "Accept a credential": ("Accepter une attestation", "Een attest aanvaarden"),
    "%(issuer)s offers you:": ("%(issuer)s vous propose :", "%(issuer)s biedt u aan:"),
    "An association": ("Une association", "Een vereniging"),
    "Code received from the association": ("Code reçu de l'association", "Code ontvangen van de vereniging"),
    "The %(length)s-digit code the association gave you apart from the link.": (
        "Le code de %(length)s chiffres que l'association vous a donné à part du lien.",
        "De code van %(length)s cijfers die de vereniging u apart van de link gaf.",
    ),
    "The association's note: %(text)s": (
        "Note de l'association : %(text)s",
        "Opmerking van de vereniging: %(text)s",
    ),
    "Receive the credential": ("Recevoir l'attestation", "Het attest ontvangen"),
    "The credential will be bound to this wallet's key and kept on this computer.": (
        "L'attestation sera liée à la clé de ce portefeuille et gardée sur cet ordinateur.",
        "Het attest wordt aan de sleutel van deze portefeuille gebonden en op deze computer bewaard.",
    ),
    "The credential could not be added.": (
        "L'attestation n'a pas pu être ajoutée.",
        "Het attest kon niet worden toegevoegd.",
    ),
    # Deleting.
    "Delete %(title)s?": ("Supprimer %(title)s ?", "%(title)s verwijderen?"),
    "The credential is removed from this wallet. The association keeps its record; ask it for a new offer "
    "if you need the credential again.": (
        "L'attestation est retirée de ce portefeuille. L'association garde son dossier ; demandez-lui une "
        "nouvelle offre si vous avez encore besoin de l'attestation.",
        "Het attest wordt uit deze portefeuille verwijderd. De vereniging bewaart haar gegevens; vraag haar "
        "een nieuw aanbod als u het attest opnieuw nodig hebt.",
    ),
    "Yes, delete it": ("Oui, la supprimer", "Ja, verwijderen"),
    # Showing a credential (OpenID4VP).
    "Show a credential": ("Montrer une attestation", "Een attest tonen"),
    "A counsellor asks to see a credential: scan the QR code of their request, paste its link, or choose a picture of the QR code. You will see who asks for what before anything is sent.": (
        "Un conseiller demande à voir une attestation : scannez le code QR de sa demande, collez son lien ou choisissez une photo du code QR. Vous verrez qui demande quoi avant que quoi que ce soit ne soit envoyé.",
        "Een consulent vraagt een attest te zien: scan de QR-code van zijn verzoek, plak de link of kies een foto van de QR-code. U ziet wie wat vraagt voordat er iets wordt verstuurd.",
    ),
    "The request could not be opened.": (
        "La demande n'a pas pu être ouverte.",
        "Het verzoek kon niet worden geopend.",
    ),
    "Request link": ("Lien de la demande", "Link van het verzoek"),
    "It starts with openid4vp://": ("Il commence par openid4vp://", "Hij begint met openid4vp://"),
    "The credential could not be shown.": (
        "L'attestation n'a pas pu être montrée.",
        "Het attest kon niet worden getoond.",
    ),
    "%(verifier)s asks for:": ("%(verifier)s demande :", "%(verifier)s vraagt:"),
    "The request is signed by %(did)s; this wallet checked its signature.": (
        "La demande est signée par %(did)s ; ce portefeuille a vérifié sa signature.",
        "Het verzoek is ondertekend door %(did)s; deze portefeuille heeft de handtekening gecontroleerd.",
    ),
    "Your answer is sent to %(host)s.": (
        "Votre réponse est envoyée à %(host)s.",
        "Uw antwoord wordt naar %(host)s gestuurd.",
    ),
    "No credential in this wallet matches this request.": (
        "Aucune attestation de ce portefeuille ne correspond à cette demande.",
        "Geen enkel attest in deze portefeuille past bij dit verzoek.",
    ),
    "The verifier asks for a credential with: %(claims)s.": (
        "Le vérificateur demande une attestation avec : %(claims)s.",
        "De verificateur vraagt een attest met: %(claims)s.",
    ),
    "Which credential?": ("Quelle attestation ?", "Welk attest?"),
    "The values below are those of the first credential.": (
        "Les valeurs ci-dessous sont celles de la première attestation.",
        "De waarden hieronder zijn die van het eerste attest.",
    ),
    "From your credential %(title)s": ("De votre attestation %(title)s", "Uit uw attest %(title)s"),
    "The association has revoked %(title)s: the verifier will see it.": (
        "L'association a révoqué %(title)s : le vérificateur le verra.",
        "De vereniging heeft %(title)s ingetrokken: de verificateur zal het zien.",
    ),
    "The association has suspended %(title)s: the verifier will see it.": (
        "L'association a suspendu %(title)s : le vérificateur le verra.",
        "De vereniging heeft %(title)s geschorst: de verificateur zal het zien.",
    ),
    "What will be shown": ("Ce qui sera montré", "Wat getoond wordt"),
    "Not in your credential.": ("Absent de votre attestation.", "Niet in uw attest."),
    "Required by the verifier.": ("Exigé par le vérificateur.", "Vereist door de verificateur."),
    "Always part of the credential.": (
        "Fait toujours partie de l'attestation.",
        "Maakt altijd deel uit van het attest.",
    ),
    "Optional: untick it to keep it back.": (
        "Facultatif : décochez pour ne pas le montrer.",
        "Optioneel: vink het uit om het niet te tonen.",
    ),
    "The association, the type of credential, its dates of issue and expiry, its status and this wallet's key are always part of the credential.": (
        "L'association, le type d'attestation, ses dates de délivrance et d'expiration, son statut et la clé de ce portefeuille font toujours partie de l'attestation.",
        "De vereniging, het soort attest, de data van uitreiking en vervaldatum, de status en de sleutel van deze portefeuille maken altijd deel uit van het attest.",
    ),
    "Share with %(verifier)s": ("Partager avec %(verifier)s", "Delen met %(verifier)s"),
    "Decline": ("Refuser", "Weigeren"),
    "You declined the request: nothing was shared.": (
        "Vous avez refusé la demande : rien n'a été partagé.",
        "U hebt het verzoek geweigerd: er werd niets gedeeld.",
    ),
    "Credential shown": ("Attestation montrée", "Attest getoond"),
    "Sent to %(verifier)s.": ("Envoyée à %(verifier)s.", "Verstuurd naar %(verifier)s."),
    "What was shown": ("Ce qui a été montré", "Wat getoond werd"),
    "Continue on %(verifier)s": ("Continuer sur %(verifier)s", "Verdergaan op %(verifier)s"),
    "See the credential": ("Voir l'attestation", "Het attest bekijken"),
    "Sharing history": ("Historique des partages", "Geschiedenis van het delen"),
    "Shown to %(verifier)s on %(date)s at %(time)s:": (
        "Montrée à %(verifier)s le %(date)s à %(time)s :",
        "Getoond aan %(verifier)s op %(date)s om %(time)s:",
    ),
    "(the verifier refused the answer)": (
        "(le vérificateur a refusé la réponse)",
        "(de verificateur weigerde het antwoord)",
    ),
    "Not shown to anyone yet.": ("Pas encore montrée à qui que ce soit.", "Nog aan niemand getoond."),
    "Technical detail: %(detail)s": ("Détail technique : %(detail)s", "Technisch detail: %(detail)s"),
    # What a verifier may ask for (claim_labels.py).
    "The whole activity": ("Toute l'activité", "De hele activiteit"),
    "Activity title": ("Titre de l'activité", "Titel van de activiteit"),
    "Description of the activity": ("Description de l'activité", "Beschrijving van de activiteit"),
    "Start date": ("Date de début", "Begindatum"),
    "End date": ("Date de fin", "Einddatum"),
    "Tasks": ("Tâches", "Taken"),
    "Place": ("Lieu", "Plaats"),
    "Language of the activity": ("Langue de l'activité", "Taal van de activiteit"),
    "Your name and email address": ("Votre nom et votre adresse e-mail", "Uw naam en e-mailadres"),
    "Your name": ("Votre nom", "Uw naam"),
    "Your email address": ("Votre adresse e-mail", "Uw e-mailadres"),
    "The association": ("L'association", "De vereniging"),
    "Association name": ("Nom de l'association", "Naam van de vereniging"),
    "The association's identifier": ("L'identifiant de l'association", "De identificatie van de vereniging"),
    "Issuer": ("Émetteur", "Uitgever"),
    "Type of credential": ("Type d'attestation", "Soort attest"),
    "Date of issue": ("Date de délivrance", "Uitreikingsdatum"),
    # Errors.
    "Something went wrong": ("Un problème est survenu", "Er ging iets mis"),
    "Back to my credentials": ("Retour à mes attestations", "Terug naar mijn attesten"),
}

ERRORS: dict[str, tuple[str, str, str]] = {
    "empty_link": (
        "Collez le lien de l'offre ou choisissez une photo de son code QR.",
        "Plak de link van het aanbod of kies een foto van de QR-code.",
        "Paste the offer link, or choose a picture of its QR code.",
    ),
    "not_an_offer": (
        "Ce n'est pas un lien d'offre d'attestation. Il commence par openid-credential-offer://",
        "Dit is geen link van een aanbod voor een attest. Hij begint met openid-credential-offer://",
        "This is not a credential offer link. It starts with openid-credential-offer://",
    ),
    "bad_offer": (
        "L'offre est illisible. Demandez-en une nouvelle à l'association.",
        "Het aanbod is onleesbaar. Vraag de vereniging om een nieuw aanbod.",
        "The offer cannot be read. Ask the association for a new one.",
    ),
    "unsupported_grant": (
        "Ce portefeuille accepte seulement les offres accompagnées d'un code (pré-autorisées).",
        "Deze portefeuille aanvaardt alleen aanbiedingen met een code (vooraf toegestaan).",
        "This wallet only accepts offers that come with a code (pre-authorized offers).",
    ),
    "http_not_allowed": (
        "L'offre vient d'un site sans connexion sécurisée (http) ; ce portefeuille la refuse.",
        "Het aanbod komt van een site zonder beveiligde verbinding (http); deze portefeuille weigert het.",
        "The offer comes from a site without a secure connection (http); this wallet refuses it.",
    ),
    "qr_not_found": (
        "Aucun code QR d'offre n'a été trouvé sur la photo. Prenez une photo nette du code QR entier.",
        "Er werd geen QR-code van een aanbod op de foto gevonden. Neem een scherpe foto van de hele QR-code.",
        "No offer QR code was found in the picture. Take a sharp picture of the whole QR code.",
    ),
    "unreadable_picture": (
        "La photo est illisible. Choisissez une image PNG ou JPEG.",
        "De foto is onleesbaar. Kies een PNG- of JPEG-afbeelding.",
        "The picture cannot be read. Choose a PNG or JPEG image.",
    ),
    "picture_too_large": (
        "La photo est trop grande. Prenez-la en plus basse résolution.",
        "De foto is te groot. Neem ze in een lagere resolutie.",
        "The picture is too large. Take it at a lower resolution.",
    ),
    "service_unreachable": (
        "Le service de l'association est injoignable. Vérifiez votre connexion et réessayez plus tard.",
        "De dienst van de vereniging is onbereikbaar. Controleer uw verbinding en probeer het later opnieuw.",
        "The association's service cannot be reached. Check your connection and try again later.",
    ),
    "invalid_response": (
        "Le service de l'association a donné une réponse que ce portefeuille ne comprend pas. Réessayez plus tard.",
        "De dienst van de vereniging gaf een antwoord dat deze portefeuille niet begrijpt. Probeer het later opnieuw.",
        "The association's service gave an answer this wallet does not understand. Try again later.",
    ),
    "issuer_error": (
        "Le service de l'association a refusé la demande. Réessayez plus tard ou contactez l'association.",
        "De dienst van de vereniging weigerde het verzoek. Probeer het later opnieuw of neem contact op met de vereniging.",
        "The association's service refused the request. Try again later or contact the association.",
    ),
    "offer_not_found": (
        "Cette offre n'existe pas ou n'est plus disponible. Demandez-en une nouvelle à l'association.",
        "Dit aanbod bestaat niet of is niet meer beschikbaar. Vraag de vereniging om een nieuw aanbod.",
        "This offer does not exist or is no longer available. Ask the association for a new one.",
    ),
    "offer_expired": (
        "Cette offre a expiré. Demandez-en une nouvelle à l'association.",
        "Dit aanbod is verlopen. Vraag de vereniging om een nieuw aanbod.",
        "This offer has expired. Ask the association for a new one.",
    ),
    "offer_used": (
        "Cette offre a déjà été utilisée. Une offre ne sert qu'une fois ; demandez-en une nouvelle si nécessaire.",
        "Dit aanbod is al gebruikt. Een aanbod dient maar één keer; vraag zo nodig een nieuw aanbod.",
        "This offer has already been used. An offer works once; ask the association for a new one if needed.",
    ),
    "offer_locked": (
        "Cette offre a été retirée (trop de codes erronés, ou l'association en a fait une nouvelle). Demandez une nouvelle offre à l'association.",
        "Dit aanbod is ingetrokken (te veel foute codes, of de vereniging maakte een nieuw aanbod). Vraag de vereniging om een nieuw aanbod.",
        "This offer was withdrawn (too many wrong codes, or the association made a new one). Ask the association for a new offer.",
    ),
    "wrong_tx_code": (
        "Le code n'est pas le bon. Vérifiez le code envoyé par l'association et tapez-le à nouveau.",
        "De code klopt niet. Controleer de code die de vereniging u stuurde en typ hem opnieuw.",
        "The code is not right. Check the code the association sent you and type it again.",
    ),
    "tx_code_required": (
        "Tapez le code envoyé par l'association.",
        "Typ de code die de vereniging u stuurde.",
        "Type the code the association sent you.",
    ),
    "tx_code_format": (
        "Le code n'a pas la bonne forme : tapez les chiffres exactement comme vous les avez reçus.",
        "De code heeft niet de juiste vorm: typ de cijfers precies zoals u ze ontving.",
        "The code does not have the right form: type the digits exactly as you received them.",
    ),
    "offer_session_expired": (
        "Cette page a expiré. Collez à nouveau le lien de l'offre.",
        "Deze pagina is verlopen. Plak de link van het aanbod opnieuw.",
        "This page has expired. Paste the offer link again.",
    ),
    "credential_unverified": (
        "L'attestation reçue n'a pas pu être vérifiée (signature ou lien avec ce portefeuille) ; elle n'a pas été "
        "gardée.",
        "Het ontvangen attest kon niet worden gecontroleerd (handtekening of band met deze portefeuille); het is "
        "niet bewaard.",
        "The credential received could not be checked (its signature or its link to this wallet), so it was not kept.",
    ),
    "invalid_credential": (
        "Le service a envoyé une attestation que ce portefeuille ne sait pas lire ; elle n'a pas été gardée.",
        "De dienst stuurde een attest dat deze portefeuille niet kan lezen; het is niet bewaard.",
        "The service sent a credential this wallet cannot read; it was not kept.",
    ),
    "unsupported_credential": (
        "Le service propose l'attestation d'une manière que ce portefeuille ne gère pas (émission différée).",
        "De dienst biedt het attest aan op een manier die deze portefeuille niet ondersteunt (uitgestelde uitgifte).",
        "The service offers the credential in a way this wallet does not support (deferred issuance).",
    ),
    "card_not_found": (
        "Cette attestation n'est pas dans le portefeuille (elle a peut-être été supprimée).",
        "Dit attest zit niet in de portefeuille (het is misschien verwijderd).",
        "This credential is not in the wallet (it may have been deleted).",
    ),
    "csrf_failed": (
        "Le formulaire n'est plus à jour. Rechargez la page et réessayez.",
        "Het formulier is verouderd. Laad de pagina opnieuw en probeer het nog eens.",
        "The form is out of date. Reload the page and try again.",
    ),
    "wallet_key": (
        "La clé du portefeuille ne peut pas être ouverte avec ce secret de portefeuille.",
        "De sleutel van de portefeuille kan niet worden geopend met dit portefeuillegeheim.",
        "The wallet's key cannot be opened with this wallet secret.",
    ),
    "request_failed": (
        "La demande n'a pas pu être traitée. Revenez en arrière et réessayez.",
        "Het verzoek kon niet worden verwerkt. Ga terug en probeer het opnieuw.",
        "The request could not be handled. Go back and try again.",
    ),
    "not_found": ("Cette page n'existe pas.", "Deze pagina bestaat niet.", "This page does not exist."),
    # Presentation requests (OpenID4VP).
    "empty_request_link": (
        "Collez le lien de la demande ou choisissez une photo de son code QR.",
        "Plak de link van het verzoek of kies een foto van de QR-code.",
        "Paste the request link, or choose a picture of its QR code.",
    ),
    "not_a_request": (
        "Ce n'est pas un lien de demande d'attestation. Il commence par openid4vp://",
        "Dit is geen link van een verzoek om een attest. Hij begint met openid4vp://",
        "This is not a credential request link. It starts with openid4vp://",
    ),
    "request_qr_not_found": (
        "Aucun code QR de demande n'a été trouvé sur la photo. Prenez une photo nette du code QR entier.",
        "Er werd geen QR-code van een verzoek op de foto gevonden. Neem een scherpe foto van de hele QR-code.",
        "No request QR code was found in the picture. Take a sharp picture of the whole QR code.",
    ),
    "unsigned_request": (
        "Cette demande n'est pas signée : impossible de vérifier qui la fait. Ce portefeuille la refuse.",
        "Dit verzoek is niet ondertekend: er kan niet worden gecontroleerd wie het doet. Deze portefeuille weigert het.",
        "This request is not signed, so who makes it cannot be checked. This wallet refuses it.",
    ),
    "unsupported_client": (
        "Ce portefeuille ne répond qu'aux vérificateurs identifiés par un DID (did:web).",
        "Deze portefeuille antwoordt alleen aan verificateurs die met een DID (did:web) geïdentificeerd zijn.",
        "This wallet only answers verifiers identified by a DID (did:web).",
    ),
    "request_http_not_allowed": (
        "La demande vient d'un site sans connexion sécurisée (http) ; ce portefeuille la refuse.",
        "Het verzoek komt van een site zonder beveiligde verbinding (http); deze portefeuille weigert het.",
        "The request comes from a site without a secure connection (http); this wallet refuses it.",
    ),
    "request_not_found": (
        "Cette demande n'existe plus ou a déjà reçu une réponse. Demandez un nouveau code QR au conseiller.",
        "Dit verzoek bestaat niet meer of werd al beantwoord. Vraag de consulent om een nieuwe QR-code.",
        "This request no longer exists or has already been answered. Ask the counsellor for a new QR code.",
    ),
    "request_refused": (
        "Le service du vérificateur a refusé de donner la demande. Demandez un nouveau code QR au conseiller.",
        "De dienst van de verificateur weigerde het verzoek te geven. Vraag de consulent om een nieuwe QR-code.",
        "The verifier's service refused to hand over the request. Ask the counsellor for a new QR code.",
    ),
    "verifier_unreachable": (
        "Le service du vérificateur est injoignable. Vérifiez votre connexion et réessayez.",
        "De dienst van de verificateur is onbereikbaar. Controleer uw verbinding en probeer het opnieuw.",
        "The verifier's service cannot be reached. Check your connection and try again.",
    ),
    "request_unverified": (
        "La demande n'a pas pu être vérifiée (sa signature, ou qui elle dit l'envoyer). Ce portefeuille la refuse.",
        "Het verzoek kon niet worden gecontroleerd (de handtekening, of van wie het zegt te komen). Deze portefeuille weigert het.",
        "The request could not be checked (its signature, or who it says it comes from). This wallet refuses it.",
    ),
    "request_invalid": (
        "La demande est mal formée. Demandez un nouveau code QR au conseiller.",
        "Het verzoek is onjuist opgesteld. Vraag de consulent om een nieuwe QR-code.",
        "The request is malformed. Ask the counsellor for a new QR code.",
    ),
    "request_expired": (
        "Cette demande a expiré. Demandez un nouveau code QR au conseiller.",
        "Dit verzoek is verlopen. Vraag de consulent om een nieuwe QR-code.",
        "This request has expired. Ask the counsellor for a new QR code.",
    ),
    "unsupported_request": (
        "La demande utilise une forme que ce portefeuille ne gère pas.",
        "Het verzoek gebruikt een vorm die deze portefeuille niet ondersteunt.",
        "The request uses a form this wallet does not support.",
    ),
    "request_session_expired": (
        "Cette demande n'est plus ouverte (elle a expiré ou a déjà reçu une réponse). Demandez un nouveau code QR au conseiller.",
        "Dit verzoek is niet meer open (het is verlopen of al beantwoord). Vraag de consulent om een nieuwe QR-code.",
        "This request is no longer open (it expired or was already answered). Ask the counsellor for a new QR code.",
    ),
    "no_matching_credential": (
        "Aucune attestation de ce portefeuille ne correspond à cette demande.",
        "Geen enkel attest in deze portefeuille past bij dit verzoek.",
        "No credential in this wallet matches this request.",
    ),
    "claims_unsatisfied": (
        "Ces choix ne suffisent pas au vérificateur : gardez cochées au moins les informations qu'il exige.",
        "Deze keuzes volstaan niet voor de verificateur: laat ten minste de gegevens aangevinkt die hij vereist.",
        "These choices are not enough for the verifier: keep at least the information it requires ticked.",
    ),
    "verifier_refused": (
        "Le vérificateur a refusé la réponse.",
        "De verificateur weigerde het antwoord.",
        "The verifier refused the answer.",
    ),
}
