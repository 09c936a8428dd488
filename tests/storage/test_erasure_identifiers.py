"""Whom `forget` looks for (storage/sql_erasure.py `gather`): a person's identifiers and names,
matched as whole words whatever the case, spacing and accents; no database needed."""

from __future__ import annotations

from typing import Any


def test_identifiers_match_whole_words_only() -> None:
    import json

    from storage.sql_erasure import gather

    reference = json.dumps(
        {"user": {"id": "29:1x", "aadObjectId": "aad-1", "name": "Ana L."},
         "conversation": {"id": "a:chat-1"}, "serviceUrl": "https://smba.example/"}
    )  # fmt: skip
    found = gather(
        7,
        email="ana@x.com",
        name="Ana Lopez",
        title="CFO",
        pair_ids=[3],
        partner_ids=[7, 8],
        identities=[("U0ANA", "D0ANA", ""), ("aad-1", "a:chat-1", reference)],
    )
    assert found.platform_ids == ("29:1x", "D0ANA", "U0ANA", "a:chat-1", "aad-1")
    assert found.names == ("Ana L.", "Ana Lopez") and found.partner_ids == {8}
    for text in ("Mail ANA@X.com.", "Ana Lopez, CFO", "to slack:D0ANA", "<@u0ana>"):
        assert found.mentions(text), text
    for text in ("diana@x.com", "ana@x.com.au", "Banana", "Ana Diaz", "CFO", "U0ANAB"):
        assert not found.mentions(text), text
    assert found.mentions("Hi Ana, the CFO", weak=True)
    assert not found.mentions("Ana Diaz", weak=True)  # someone else's full name
    assert found.scrub("Ana Lopez (CFO): ana@x.com. Ana Diaz", "P") == "P (P): P. Ana Diaz"
    assert found.in_circle({"to": {"type": "person", "person_id": 8}})
    assert not found.refers_to({"to": {"type": "person", "person_id": 8}})
    assert found.refers_to({"pair": 3, "step": "prompt"})
    # Nameless: the local part stands in, when long enough to be no common word.
    assert gather(1, email="jo@x.com", name="", title="", pair_ids=[], partner_ids=[],
                  identities=[]).names == ()  # fmt: skip
    assert gather(1, email="forgotten-1@invalid", name="", title="", pair_ids=[], partner_ids=[],
                  identities=[]).pattern() is None  # fmt: skip


def test_names_match_whatever_the_case_spacing_and_accents() -> None:
    """A full name is found however it was typed: case, runs of whitespace, Unicode forms and
    accents on either side; whole words only, and another Ana stays."""
    import unicodedata

    from storage.sql_erasure import gather

    def identifiers(name: str) -> Any:
        return gather(2, email="ana@x.com", name=name, title="Data Wrangler", pair_ids=[],
                      partner_ids=[], identities=[])  # fmt: skip

    plain, accented = identifiers("Ana Lopez"), identifiers("Ana López")
    decomposed = unicodedata.normalize("NFD", "Ana López")
    for found in (plain, accented):
        for text in (
            "met ana lopez today",
            "ANA LOPEZ",
            "Ana  Lopez",
            "Ana\u00a0Lopez",  # a no-break space
            "Ana\n\tLopez",
            "Ana López",
            "ANA LÓPEZ",
            decomposed,
            "\uff21\uff4e\uff41 Lopez",  # full-width letters
            '{"text": "Ana L\\u00f3pez"}',  # as JSON may have escaped it: undone below
        ):
            if "\\u" in text:
                text = json_text(text)
            assert found.mentions(text), (found.names, text)
        for text in ("Ana Diaz", "Banana Lopezes", "diana@x.com", "Ana", "lopez", "Ana-Lopez2"):
            assert not found.mentions(text), (found.names, text)
        # One-word names stay weak outside the person's circle, and "Ana Diaz" is someone else.
        assert not found.mentions("ana said hi") and found.mentions("Hi Ana,", weak=True)
        assert not found.mentions("Ana Diaz", weak=True)
    assert plain.scrub("met ANA  LÓPEZ today, not Ana Diaz", "P") == "met P today, not Ana Diaz"
    assert plain.scrub(f"hi {decomposed}!", "P") == "hi P!"  # the combining accent goes too
    assert plain.scrub("Ana lopez and ana@x.com", "P") == "P and P"
    # The SQL pre-filter finds rows whose name is typed with another accent or spacing.
    needles = plain.like_needles()
    assert "lopez" in needles and "ana" in needles
    assert "lópez" in accented.like_needles() and "lopez" in accented.like_needles()


def json_text(text: str) -> str:
    import json

    return str(json.loads(text)["text"])
