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


def test_an_identifier_that_cannot_be_unpacked_halts_the_run_instead_of_failing_each_item(monkeypatch, detector):
    from py3langid.langid import LanguageIdentifier

    from privmap.config.models import ScanConfig, SourceConfig
    from privmap.detectors import language
    from privmap.model import Blob, Halt, Item, Location
    from privmap.scanner.crawl import scan_item

    def full_disk(*args, **kwargs):
        raise OSError(27, "File too large")

    monkeypatch.setattr(LanguageIdentifier, "from_model_file", full_disk)
    language._identifier.cache_clear()
    loc = Location("f", "file:///notes/a.txt")

    class OneFile:
        def open(self, item):
            return Blob(loc, "Rückruf bitte an Jürgen Müller unter +49 30 901820, danke.".encode())

    spec = SourceConfig(name="f", type="local", region="eu-west-1", options={"path": "."})
    try:
        with pytest.raises(Halt, match="language identifier could not be loaded: File too large"):
            scan_item(OneFile(), Item(loc, "file:///notes", "1"), spec, ScanConfig(), detector.detect)
    finally:
        language._identifier.cache_clear()
