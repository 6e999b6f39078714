"""Stances in the languages policy discovery supports besides English (analyzer/policy/languages.py,
stance_languages.yaml), in wording of this file's own: the bench set
(bench/data/policy_stances_languages.yaml) uses other sentences."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from analyzer.knowledge import load_knowledge
from analyzer.policy import analyze_policy
from analyzer.policy.evaluation import load_stance_set, score_stances
from analyzer.policy.languages import LanguageFileError, compile_languages, languages

ROOT = Path(__file__).resolve().parents[1]
LANGUAGE_FILE = ROOT / "analyzer" / "policy" / "stance_languages.yaml"


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def stance(text: str, field: str, kb) -> str:
    return getattr(analyze_policy(text, knowledge=kb), field).value


# (field, label) → one sentence per language.
SENTENCES: dict[tuple[str, str], dict[str, str]] = {
    ("dnt", "honors"): {
        "de": "Do-Not-Track-Einstellungen Ihres Browsers werden von uns berücksichtigt.",
        "fr": "Les signaux Do Not Track de votre navigateur sont respectés.",
        "es": "Nuestro sitio respeta la configuración Do Not Track de su navegador.",
        "it": "Il nostro sito rispetta le impostazioni Do Not Track del browser.",
        "nl": "Onze website honoreert Do Not Track-instellingen.",
        "pt": "O nosso site respeita as definições Do Not Track do navegador.",
        "pl": "Nasza witryna respektuje ustawienia Do Not Track przeglądarki.",
    },
    ("dnt", "does_not_honor"): {
        "de": "Do-Not-Track-Signale haben keinen Einfluss auf die Datenerhebung auf unserer Website.",
        "fr": "Nous ne donnons pas suite aux signaux Do Not Track.",
        "es": "Las señales Do Not Track no tienen ningún efecto en nuestro sitio.",
        "it": "Le richieste Do Not Track non hanno alcun effetto sul nostro sito.",
        "nl": "Do Not Track-signalen hebben geen invloed op onze gegevensverzameling.",
        "pt": "Os sinais Do Not Track não têm qualquer efeito no nosso site.",
        "pl": "Sygnały Do Not Track nie mają wpływu na zbieranie danych w naszej witrynie.",
    },
    ("dnt", "unclear"): {
        "de": "Wir versuchen, Do-Not-Track nach Möglichkeit umzusetzen.",
        "fr": "Nous tâchons de respecter les signaux Do Not Track lorsque cela est techniquement possible.",
        "es": "Intentaremos atender las solicitudes Do Not Track cuando sea técnicamente posible.",
        "it": "Cerchiamo di onorare le richieste Do Not Track laddove possibile.",
        "nl": "Wij trachten Do Not Track-verzoeken waar mogelijk te volgen.",
        "pt": "Procuramos respeitar os pedidos Do Not Track quando tecnicamente possível.",
        "pl": "Staramy się uwzględniać żądania Do Not Track, gdy jest to technicznie możliwe.",
    },
    ("gpc", "honors"): {
        "de": "Wir respektieren Global Privacy Control (GPC).",
        "fr": "Notre site reconnaît le signal Global Privacy Control.",
        "es": "Aceptamos la señal Global Privacy Control como solicitud de exclusión.",
        "it": "Riconosciamo il segnale Global Privacy Control.",
        "nl": "Wij respecteren het Global Privacy Control-signaal.",
        "pt": "Reconhecemos o sinal Global Privacy Control como um pedido de exclusão.",
        "pl": "Honorujemy sygnał Global Privacy Control.",
    },
    ("gpc", "does_not_honor"): {
        "de": "GPC-Signale werden von uns nicht beachtet.",
        "fr": "Le signal GPC n'a aucun effet sur notre collecte de données.",
        "es": "No respondemos a la señal GPC.",
        "it": "Il segnale GPC non viene preso in considerazione.",
        "nl": "Wij reageren niet op GPC-signalen.",
        "pt": "Não respondemos ao sinal GPC.",
        "pl": "Nie reagujemy na sygnał GPC.",
    },
    ("sale", "sells_or_shares"): {
        "de": "Wir stellen Werbenetzwerken Cookie-Kennungen zur Verfügung.",
        "fr": "Nous transmettons des données de navigation à des régies publicitaires.",
        "es": "Cedemos datos de navegación a redes publicitarias para mostrar publicidad dirigida.",
        "it": "Trasmettiamo identificativi dei cookie a reti pubblicitarie.",
        "nl": "Wij geven cookie-ID's door aan adverteerders.",
        "pt": "Transmitimos identificadores de cookies a redes de publicidade.",
        "pl": "Udostępniamy dane o przeglądaniu sieciom reklamowym.",
    },
    ("sale", "does_not_sell"): {
        "de": "Personenbezogene Daten werden von uns nicht verkauft.",
        "fr": "Nous ne vendons jamais les informations de nos clients.",
        "es": "Nunca vendemos la información personal de nuestros clientes.",
        "it": "Non vendiamo mai le informazioni dei nostri clienti.",
        "nl": "Wij verkopen nooit gegevens van onze klanten.",
        "pt": "Nunca vendemos informações dos nossos clientes.",
        "pl": "Nigdy nie sprzedajemy informacji o naszych klientach.",
    },
}
CASES = [(lang, field, label, text) for (field, label), by_lang in SENTENCES.items() for lang, text in by_lang.items()]


@pytest.mark.parametrize("lang, field, label, text", CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_stances_per_language_and_class(kb, lang, field, label, text):
    assert stance(text, field, kb) == label


@pytest.mark.parametrize(
    "text, expected",
    [
        # The signal named in one sentence, the stance in the next ("solche Signale", "ce signal").
        ("Einige Browser bieten eine Do-Not-Track-Funktion an. Auf solche Signale reagieren wir derzeit nicht.",
         "does_not_honor"),
        # The negation inside the signal's own name ("Ne pas me pister", "No rastrear") is not the site's.
        ("Votre navigateur peut envoyer un signal « Ne pas me pister ». Nous respectons ce signal.", "honors"),
        ("Su navegador puede enviar una señal de «No rastrear». No respondemos a dicha señal.", "does_not_honor"),
        ("Algunos navegadores envían una señal «No rastrear».", "unclear"),
    ],
)
def test_signal_passages(kb, text, expected):
    assert stance(text, "dnt", kb) == expected


def test_every_discovery_language_has_stance_wording():
    links = yaml.safe_load((ROOT / "crawler" / "data" / "policy_links.yaml").read_text(encoding="utf-8"))
    discovered = set(links["privacy"]["text"]) - {"en"}
    assert discovered == {w.code for w in languages().wordings}


def test_english_sentences_stay_with_the_english_reader():
    items = load_stance_set(ROOT / "bench" / "data" / "policy_stances.yaml")
    for item in (i for i in items if i.source == "own"):
        as_english, _ = languages().readers_for(item.text)
        assert as_english, item.text


def test_the_labelled_language_set_is_read_accurately(kb):
    items = load_stance_set(ROOT / "bench" / "data" / "policy_stances_languages.yaml")
    assert {i.lang for i in items} == {w.code for w in languages().wordings}
    assert {i.split for i in items} == {"dev", "heldout"}
    scores = score_stances(items, kb)
    for (lang, field), confusion in scores.by_lang.items():
        assert confusion.accuracy >= 0.9, (lang, field, confusion.counts)
    for field in ("dnt", "gpc", "sale"):
        assert scores.by_split[(field, "heldout")].accuracy >= 0.9, field


def _raw() -> dict:
    return yaml.safe_load(LANGUAGE_FILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["languages"]["de"].pop("hedge"), "hedge"),
        (lambda d: d["languages"]["fr"].update(negation="(pas"), "fr.negation"),
        (lambda d: d["languages"]["es"]["sale"].update(we_sell="[vend"), "es.sale.we_sell"),
        (lambda d: d["languages"]["it"].update(markers=[False]), "markers"),  # YAML's unquoted `no`
        (lambda d: d["languages"]["nl"].update(surprise="x"), "surprise"),
        (lambda d: d["languages"]["pt"]["triggers"].update(sale=[]), "pt.triggers.sale"),
        (lambda d: d["languages"].update(en=copy.deepcopy(d["languages"]["de"])), "vocabulary.yaml"),
    ],
)
def test_a_broken_language_file_is_refused_with_the_reason(change, message):
    data = _raw()
    change(data)
    with pytest.raises(LanguageFileError, match=message.replace(".", r"\.")):
        compile_languages(data)


@pytest.mark.parametrize(
    "text, field, expected",
    [
        # Wording whose only sale words are the language's own (no English trigger in it).
        ("Wir übermitteln Nutzungsdaten für zielgerichtete Werbung an Dritte.", "sale", "sells_or_shares"),
        ("Ces échanges peuvent être considérés comme un « partage » de données.", "sale", "sells_or_shares"),
        ("Nous ne louons pas vos données personnelles.", "sale", "does_not_sell"),
        ("Condividiamo i dati con terzi per mostrare annunci personalizzati.", "sale", "sells_or_shares"),
        ("Nasza strona ignoruje sygnał „Nie śledź”.", "dnt", "does_not_honor"),
    ],
)
def test_language_words_pass_the_trigger_gate(kb, text, field, expected):
    assert stance(text, field, kb) == expected
