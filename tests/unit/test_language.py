import pytest

from privmap.detectors.language import detect_language

LANGS = ["en", "fr", "de", "es", "it", "nl", "pl", "pt"]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Please send the signed contract back to us before the end of the week.", "en"),
        ("Merci de nous renvoyer le contrat signé avant la fin de la semaine.", "fr"),
        ("Bitte senden Sie uns den unterschriebenen Vertrag bis Ende der Woche zurück.", "de"),
        ("Por favor, envíenos el contrato firmado antes del final de la semana.", "es"),
        ("Per favore, inviateci il contratto firmato entro la fine della settimana.", "it"),
        ("Stuur het ondertekende contract alstublieft voor het einde van de week terug.", "nl"),
        ("Prosimy o odesłanie podpisanej umowy do końca tygodnia.", "pl"),
    ],
)
def test_detects_each_language(text, lang):
    assert detect_language(text, LANGS, "en") == lang


def test_short_or_numeric_text_keeps_the_default():
    assert detect_language("OK 200", LANGS, "de") == "de"
    assert detect_language("81.2.69.160 - - 200 5123", LANGS, "fr") == "fr"
