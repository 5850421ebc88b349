"""Vectorised email keys for batch dedupe equal :func:`matching.normalize.email` and
:func:`~matching.normalize.email_canonical`, value for value: generated address-like
text, synthetic CRM addresses and named edge cases (every placeholder table entry)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching import _normalize_tables as tables
from matching import normalize
from matching.dedupe.emails import PLAIN, emails
from matching.dedupe.fields import map_values
from matching.dedupe.synthetic import generate_crm


def wide(text: str) -> str:
    """``text`` with printable ASCII in fullwidth forms (U+FF01-FF5E), which NFKC folds back."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def check(values: list[object], column: pd.Series | None = None) -> None:
    """Both keys of :func:`emails` equal ``map_values`` of the normalisers, element-wise."""
    column = pd.Series(values, dtype=object) if column is None else column
    key, canonical = emails(column, len(column))
    for got, slow in (
        (key, map_values(column, len(column), normalize.email)),
        (canonical, map_values(column, len(column), normalize.email_canonical)),
    ):
        assert got.dtype == object
        assert len(got) == len(column)
        assert [type(k) for k in got] == [type(k) for k in slow]
        assert list(got) == list(slow)


LOCAL_CHARS = "abcXYZ019._+-'!#$%&*/=?^`{|}~"
DOMAINS = [
    "gmail.com",
    "GMail.COM",
    "googlemail.com",
    "outlook.com",
    "hotmail.co.uk",
    "yahoo.com",
    "example.com",
    "acme-corp.co",
    "test.com",
    "noemail.com",
    "y.invalid",
    "mail.INVALID",
    "bücher.de",
    "xn--bcher-kva.de",
    wide("gmail.com"),
    "\u212aelvin.com",  # Kelvin sign, which folds to k
    "1.2.3.4",
    "b.1-2",
    "b.com.",
    "b.com..",
    ".b.com",
    "-b.com",
    "b-.com",
    "b..com",
    "com",
    "a" * 63 + ".com",
    "a" * 64 + ".com",
    ".".join(["abcdefghi"] * 25) + ".com",  # 253 characters, the most allowed
    ".".join(["abcdefghi"] * 25) + ".coms",
    ".".join(["abcdefghi"] * 26),
]
WRAPPERS = ["", "", " ", "  ", "\t", "\n", "\u00a0", "\u200b", "<", ">", "mailto:", "MailTo:"]


@st.composite
def address_like(draw: st.DrawFn) -> str:
    """Local parts (ASCII, Unicode, tagged, dotted, overlong, placeholders) at assorted
    domains (providers, placeholders, IDN, numeric TLDs, bad labels), maybe wrapped."""
    local = draw(
        st.one_of(
            st.text(LOCAL_CHARS, min_size=0, max_size=12),
            st.text(LOCAL_CHARS, min_size=60, max_size=70),
            st.text(st.characters(codec="utf-8"), min_size=1, max_size=6),
            st.sampled_from([*sorted(tables.PLACEHOLDER_LOCAL_PARTS), "noreply", "info"]),
            st.sampled_from(["Jane.Doe", "J.A.N.E", "jane+news", "+tag", "...", "ÉLODIE"]),
            st.sampled_from([wide("jane"), wide("Test"), "\u0130nfo", "\u0131nfo"]),
        )
    )
    if draw(st.booleans()):
        local = local.upper()
    domain = draw(st.one_of(st.sampled_from(DOMAINS), st.text("abc.-1é", max_size=10)))
    at = draw(st.sampled_from(["@", "@", "@", "", "@@", wide("@"), " @ "]))
    wrappers = st.sampled_from(WRAPPERS)
    inner = draw(wrappers) + local + at + domain + draw(wrappers)
    return draw(wrappers) + inner + draw(wrappers)


VALUES = st.one_of(
    address_like(),
    st.from_regex(PLAIN, fullmatch=True),
    st.text(max_size=20),
    st.sampled_from(sorted(tables.PLACEHOLDER_EMAILS)),
    st.sampled_from([None, math.nan, pd.NA, 3, 3.5, True, b"a@b.com", "<a@b.com>", ""]),
)


@given(st.lists(VALUES, max_size=40).flatmap(lambda v: st.permutations(v + v[: len(v) // 3])))
def test_generated_values_match_the_normalisers(values: list[object]) -> None:
    check(values)


@given(st.from_regex(PLAIN, fullmatch=True), st.sampled_from(["", " ", "  "]))
def test_plain_addresses_key_as_stripped_lowercase_or_placeholder(address: str, pad: str) -> None:
    key = normalize.email(pad + address + pad)
    assert key in (address.lower(), None)
    check([pad + address + pad])


def test_synthetic_crm_addresses_match_the_normalisers() -> None:
    column = generate_crm(18000, seed=4)["emailaddress1"][:30000]
    assert column.notna().sum() > 25000
    check([], column)
    stripped = column.dropna().str.strip(" ")
    assert stripped.map(lambda v: PLAIN.fullmatch(v) is not None).mean() > 0.99


CASES = [
    *sorted(tables.PLACEHOLDER_EMAILS),
    *(f" {email.upper()} " for email in sorted(tables.PLACEHOLDER_EMAILS)),
    *(email.replace("@", "+tag@") for email in sorted(tables.PLACEHOLDER_EMAILS)),
    *(f"{local}@acme.com" for local in sorted(tables.PLACEHOLDER_LOCAL_PARTS)),
    *(f"{local.upper()}.+x@acme.com" for local in sorted(tables.PLACEHOLDER_LOCAL_PARTS)),
    *(f"jane@{domain}" for domain in sorted(tables.PLACEHOLDER_DOMAINS)),
    *(f"Jane.Doe+news@{domain.upper()}" for domain in sorted(normalize.EMAIL_PROVIDERS)),
    *(f"+news@{domain}" for domain in sorted(normalize.EMAIL_PROVIDERS)),
    *(f"._-@{domain}" for domain in sorted(normalize.EMAIL_PROVIDERS)),
    *("".join(parts) for parts in [("no-email", "@x.com"), ("n_o.e-m+ail", "@x.com")]),
    *["noreply@x.com", "info@example.com", "x@y.invalid", "x@invalid", "x@y.invalid.com"],
    *["<a@b.com>", " <<A@B.COM>> ", "mailto:a@b.com", "<mailto:a@b.com>", "mailto:<a@b.com>"],
    *["a@b.com.", "a@b.com..", "a@b.1", "a@b.1-2", "a@b.c-", "a@-b.com", "a@b", "a@.com"],
    *["a@b..com", "a@xn--bcher-kva.de", "a@bücher.de", "é@b.com", wide("Jane@gmail") + ".com"],
    *[
        "a@\u212aelvin.com",
        "\u017f@b.com",
        "\u0131@b.com",
        "a@b.com\t",
        "a@b.com\n",
        "a\u200b@b.com",
    ],
    *["a" * 64 + "@b.com", "a" * 65 + "@b.com", "é" * 33 + "@b.com", "a@" + "b" * 63 + ".com"],
    *["a@" + "b" * 64 + ".com", "a@" + ".".join(["b" * 9] * 25) + ".com"],
    *["a@" + ".".join(["b" * 9] * 25) + ".comx", "a@" + "b" * 254],
    *["a@b@c.com", "@b.com", "a@", "ab.com", "a @b.com", "a@b.com a@b.com", " ", ""],
    *["Jane.Doe+news@Gmail.com ", "J.a.n.e+a+b@googlemail.com", "jane+@gmail.com"],
    *["jane-doe+x@yahoo.com", "Jane.Doe+x@Outlook.com", "jane..doe@hotmail.co.uk"],
    *["\ud800@b.com", "a\x00@b.com", "a@b.com\u00a0", "\u3000a@b.com"],
    None,
    math.nan,
    pd.NA,
    42,
    4.2,
    b"a@b.com",
    np.str_(" A@B.com"),
]


@pytest.mark.parametrize("value", CASES, ids=repr)
def test_edge_cases_match_the_normalisers(value: object) -> None:
    check([value, value])


@pytest.mark.parametrize(
    ("value", "key", "canonical"),
    [
        ("Jane.Doe+news@Gmail.com ", "jane.doe+news@gmail.com", "janedoe@gmail.com"),
        ("J.Doe+x@googlemail.com", "j.doe+x@googlemail.com", "jdoe@gmail.com"),
        ("J.Doe+x@Outlook.com", "j.doe+x@outlook.com", "j.doe@outlook.com"),
        ("jane-x@yahoo.com", "jane-x@yahoo.com", "jane-x@yahoo.com"),
        ("noreply@acme.com", "noreply@acme.com", "noreply@acme.com"),
        ("Test@Example.com", None, None),
        ("no.email+x@acme.com", None, None),
        ("jane@noemail.com", None, None),
        ("jane@acme.invalid", None, None),
        ("a@b.com.", "a@b.com", "a@b.com"),
        ("a@b.123", None, None),
    ],
)
def test_known_keys(value: str, key: str | None, canonical: str | None) -> None:
    got = emails(pd.Series([value, None]), 2)
    assert [list(got[0]), list(got[1])] == [[key, None], [canonical, None]]


def test_other_column_types() -> None:
    values = ["A@b.com", None, "Jane.Doe+x@gmail.com", "A@b.com", "x@test.com"]
    for dtype in ("string", "category"):
        check([], pd.Series(values, dtype=dtype))
    check([], pd.Series([1, True, 1.0, "1"], dtype=object))
    assert [list(keys) for keys in emails(None, 3)] == [[None] * 3, [None] * 3]
    assert [list(keys) for keys in emails(pd.Series([], dtype=object), 0)] == [[], []]
