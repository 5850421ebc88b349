"""Match-key normalisers (matching.normalize): tables of real-world values and properties.

Every normaliser takes any object, never raises on data, is idempotent on its own output
and gives ``None`` ("missing") for blank and junk values, which never match anything.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable

import phonenumbers
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from lifecycle import LeadflowError
from matching import _folding, normalize
from matching._normalize_tables import (
    LEGAL_SUFFIXES,
    PLACEHOLDER_COMPANIES,
    PLACEHOLDER_EMAILS,
    PLACEHOLDER_NAMES,
)
from matching.normalize import NormalisationError

Normaliser = Callable[[object], str | None]

NORMALISERS: dict[str, Normaliser] = {
    "email": normalize.email,
    "email_canonical": normalize.email_canonical,
    "phone": normalize.phone,
    "name": normalize.name,
    "person_tokens": normalize.person_tokens,
    "company": normalize.company,
    "text": normalize.text,
    "identifier": normalize.identifier,
}


def fullwidth(value: str) -> str:
    """``value`` in fullwidth forms, as East Asian keyboards type it."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in value)


def arabic_indic(value: str) -> str:
    """``value`` with Arabic-Indic digits."""
    return "".join(chr(0x0660 + int(ch)) if ch.isdigit() else ch for ch in value)


NOT_TEXT = [None, 0, 42, 4255550199, 3.5, True, b"dana@contoso.com", ["Dana"], {"a": 1}, object()]

# --- email -------------------------------------------------------------------------------

EMAILS = [
    ("dana@contoso.com", "dana@contoso.com"),
    ("Dana.Reyes@Contoso.com", "dana.reyes@contoso.com"),
    ("  DANA.REYES@CONTOSO.COM ", "dana.reyes@contoso.com"),
    ("\tdana@contoso.com\n", "dana@contoso.com"),
    ("ana@bücher.de", "ana@xn--bcher-kva.de"),
    ("ANA@BÜCHER.DE", "ana@xn--bcher-kva.de"),
    ("ana@xn--bcher-kva.de", "ana@xn--bcher-kva.de"),
    ("ana@XN--BCHER-KVA.DE", "ana@xn--bcher-kva.de"),
    ("ana@bücher。de", "ana@xn--bcher-kva.de"),
    ("josé@bücher.example", "josé@xn--bcher-kva.example"),
    ("JOSÉ@BÜCHER.EXAMPLE", "josé@xn--bcher-kva.example"),
    ("user@пример.рф", "user@xn--e1afmkfd.xn--p1ai"),
    ("山田@例え.テスト", "山田@xn--r8jz45g.xn--zckzah"),
    (fullwidth("dana@contoso.com"), "dana@contoso.com"),
    ("Dana.Reyes+news@gmail.com", "dana.reyes+news@gmail.com"),
    ("d.a.n.a@GoogleMail.com", "d.a.n.a@googlemail.com"),
    ("mailto:dana@contoso.com", "dana@contoso.com"),
    ("<dana@contoso.com>", "dana@contoso.com"),
    (" <mailto:dana@contoso.com> ", "dana@contoso.com"),
    ("dana@contoso.com.", "dana@contoso.com"),
    ("Da\u200bna@contoso.com", "dana@contoso.com"),
    ("\ufeffdana@contoso.com", "dana@contoso.com"),
    ("o'brien@contoso.ie", "o'brien@contoso.ie"),
    ("a_b@example.com", "a_b@example.com"),
]

REAL_ADDRESSES = [
    "noreply@contoso.com",
    "no-reply@github.com",
    "donotreply@bank.example",
    "info@fabrikam.com",
    "sales@contoso.com",
    "nil@turk.net",
    "na.kim@example.kr",
    "nadia@example.com",
    "noel@example.org",
    "nonna.rossi@libero.it",
    "testa@libero.it",
    "test.engineer@contoso.com",
    "nonesuch@example.com",
    "unknown.artist@example.com",
    "nullah@example.com.au",
    "x@mit.edu",
    "a@b.co",
    "me@dana.dev",
    "ana.ruiz@contoso.example",
    "dana-news@yahoo.com",
    "naomi+test@gmail.com",
    "asdf.jones@example.com",
    "user@domain.co",
    "jo@x.com",
    "priya@fabrikam.example",
    "greta.olsen@example.net",
]

JUNK_EMAILS = [
    "",
    "   ",
    "not-an-email",
    "not an email",
    "@",
    "a@b",
    "dana@",
    "@contoso.com",
    "dana@contoso",
    "dana@@contoso.com",
    "dana reyes@contoso.com",
    "Dana Reyes <dana@contoso.com>",
    "dana@contoso..com",
    "dana@-contoso.com",
    "dana@contoso_mail.com",
    "user@127.0.0.1",
    "dana@[192.0.2.1]",
    "x" * 65 + "@contoso.com",
    "dana@" + "a" * 64 + ".com",
    "Dana\ud800@contoso.com",
    "test@test.com",
    "TEST@TEST.COM",
    "test@example.com",
    "example@example.com",
    "email@example.com",
    "no@email.com",
    "none@none.com",
    "na@na.com",
    "asdf@asdf.com",
    "x@x.com",
    "X@X.COM",
    "test@gmail.com",
    "t.e.s.t+1@gmail.com",
    "noemail@gmail.com",
    "no.email@contoso.com",
    "no-email@contoso.com",
    "no_email@contoso.com",
    "NoEmail+crm@contoso.com",
    "n/a@contoso.com",
    "none@contoso.com",
    "unknown@contoso.com",
    "declined@contoso.com",
    "test@contoso.com",
    "qwerty@yahoo.com",
    "dana@noemail.com",
    "dana@nomail.com",
    "dana@test.com",
    "dana@host.invalid",
    "+tag@gmail.com",
    "...@contoso.com",
]


class TestEmail:
    """``email``: trimmed, casefolded, IDNA domain; placeholders missing."""

    @pytest.mark.parametrize(("value", "key"), EMAILS)
    def test_real_world_addresses(self, value, key):
        """Each address normalises to its key."""
        assert normalize.email(value) == key

    @pytest.mark.parametrize("address", REAL_ADDRESSES)
    def test_real_addresses_are_not_mistaken_for_placeholders(self, address):
        """Role addresses and addresses that merely contain a junk word keep their key."""
        assert normalize.email(address) == address

    @pytest.mark.parametrize("value", JUNK_EMAILS)
    def test_junk_and_placeholders_are_missing(self, value):
        """Malformed addresses and placeholders typed into forms are missing."""
        assert normalize.email(value) is None

    @pytest.mark.parametrize("address", sorted(PLACEHOLDER_EMAILS))
    def test_every_listed_placeholder_is_missing(self, address):
        """Each address in the placeholder table is missing, in any case."""
        assert normalize.email(address) is None
        assert normalize.email(f" {address.upper()} ") is None


CANONICAL = [
    ("Dana.Reyes+news@gmail.com", "danareyes@gmail.com"),
    ("danareyes@gmail.com", "danareyes@gmail.com"),
    ("D.A.N.A.Reyes@GoogleMail.com", "danareyes@gmail.com"),
    ("dana.reyes+a+b@googlemail.com", "danareyes@gmail.com"),
    ("dana.reyes+news@outlook.com", "dana.reyes@outlook.com"),
    ("dana+crm@hotmail.co.uk", "dana@hotmail.co.uk"),
    ("dana+x@live.com", "dana@live.com"),
    ("dana+x@icloud.com", "dana@icloud.com"),
    ("dana+x@me.com", "dana@me.com"),
    ("dana+x@fastmail.com", "dana@fastmail.com"),
    ("dana+x@protonmail.com", "dana@protonmail.com"),
    ("dana+x@proton.me", "dana@proton.me"),
    ("dana+x@pm.me", "dana@pm.me"),
    ("dana-news@yahoo.com", "dana-news@yahoo.com"),
    ("dana+news@yahoo.com", "dana+news@yahoo.com"),
    ("dana.reyes+news@contoso.com", "dana.reyes+news@contoso.com"),
    ("ana@bücher.de", "ana@xn--bcher-kva.de"),
]


class TestEmailCanonical:
    """``email_canonical``: the provider's mailbox key, a second key beside ``email``."""

    @pytest.mark.parametrize(("value", "key"), CANONICAL)
    def test_provider_keys(self, value, key):
        """Gmail drops dots and +tags (googlemail is gmail); other listed providers drop
        +tags; Yahoo and unlisted domains keep the ``email`` key."""
        assert normalize.email_canonical(value) == key

    def test_the_address_key_keeps_dots_and_tags(self):
        """``email`` never becomes the canonical key: both are kept."""
        value = "Dana.Reyes+news@gmail.com"
        assert normalize.email(value) == "dana.reyes+news@gmail.com"
        assert normalize.email_canonical(value) == "danareyes@gmail.com"

    @pytest.mark.parametrize("value", [*JUNK_EMAILS, *NOT_TEXT])
    def test_missing_addresses_have_no_canonical_key(self, value):
        """No ``email`` key, no canonical key."""
        assert normalize.email_canonical(value) is None

    def test_the_provider_table_is_read_only(self):
        """Nobody changes the provider table at run time."""
        with pytest.raises(TypeError):
            normalize.EMAIL_PROVIDERS["yahoo.com"] = normalize.EmailProvider("yahoo.com")  # type: ignore[index]


# --- phone -------------------------------------------------------------------------------

PHONES = [
    ("(425) 555-0199", "US", "+14255550199"),
    ("425.555.0199", "US", "+14255550199"),
    ("425-555-0199", "US", "+14255550199"),
    ("1-425-555-0199", "US", "+14255550199"),
    ("+1 425 555 0199", "US", "+14255550199"),
    ("+1-425-555-0199", "GB", "+14255550199"),
    ("425 555 0199", "us", "+14255550199"),
    (fullwidth("425-555-0199"), "US", "+14255550199"),
    (arabic_indic("425-555-0199"), "US", "+14255550199"),
    ("+1 206 555 0100", "US", "+12065550100"),
    ("+1 (206) 555-0100 ext. 12", "US", "+12065550100"),
    ("206-555-0100 x12", "US", "+12065550100"),
    ("1-800-FLOWERS", "US", "+18003569377"),
    ("011 44 20 7946 0958", "US", "+442079460958"),
    ("020 7946 0958", "GB", "+442079460958"),
    ("+44 20 7946 0958", "GB", "+442079460958"),
    ("+44 (0)20 7946 0958", "GB", "+442079460958"),
    ("0044 20 7946 0958", "GB", "+442079460958"),
    ("0044 20 7946 0958", "US", "+442079460958"),
    ("020 7946 0958 ext 123", "GB", "+442079460958"),
    ("07700 900123", "GB", "+447700900123"),
    ("030 901820", "DE", "+4930901820"),
    ("+49 30 901820", "US", "+4930901820"),
    ("+49 (0)30 901820", "DE", "+4930901820"),
    ("0049 30 901820", "DE", "+4930901820"),
    ("0049 30 901820", "US", "+4930901820"),
    ("01 42 68 53 00", "FR", "+33142685300"),
    ("+33 6 12 34 56 78", "FR", "+33612345678"),
    ("0033 6 12 34 56 78", "DE", "+33612345678"),
    ("+91-22-2778-1234", "IN", "+912227781234"),
    ("022 2778 1234", "IN", "+912227781234"),
    ("98200 12345", "IN", "+919820012345"),
    ("+91 98200 12345", "US", "+919820012345"),
]

JUNK_PHONES = [
    ("", "US"),
    ("   ", "US"),
    ("n/a", "US"),
    ("none", "US"),
    ("-", "US"),
    ("0", "US"),
    ("000", "US"),
    ("call me", "US"),
    ("12", "US"),
    ("+1 206 555 01001234567", "US"),
    ("+1 555 0100", "US"),
    ("555-0100", "US"),
    ("7946 0958", "GB"),
    ("0000000000", "US"),
    ("1234567890", "US"),
    ("123-456-7890", "US"),
    ("(999) 999-9999", "US"),
    ("555-555-5555", "US"),
    ("+1 234 567 8901", "US"),
    ("9876543210", "IN"),
    ("+91 98765 43210", "IN"),
    ("01 23 45 67 89", "FR"),
    ("+44 1234 567890", "GB"),
    ("+1 425 555 0199\ud800", "US"),
]


class TestPhone:
    """``phone``: E.164 via phonenumbers, with a default region."""

    @pytest.mark.parametrize(("value", "region", "key"), PHONES)
    def test_real_world_numbers(self, value, region, key):
        """US, UK, German, French and Indian numbers in national and international forms,
        with ``+``, ``00`` or ``011`` and with extensions, give one E.164 key."""
        assert normalize.phone(value, region) == key

    def test_the_default_region_is_the_us(self):
        """Numbers without a country code are read as US numbers by default."""
        assert normalize.DEFAULT_REGION == "US"
        assert normalize.phone("(425) 555-0199") == "+14255550199"

    @pytest.mark.parametrize(("value", "region"), JUNK_PHONES)
    def test_junk_incomplete_and_placeholder_numbers_are_missing(self, value, region):
        """Text, impossible numbers, numbers without their area code and runs of one
        digit or consecutive digits are missing."""
        assert normalize.phone(value, region) is None

    @pytest.mark.parametrize("value", NOT_TEXT)
    def test_non_text_is_missing(self, value):
        """Only strings are numbers: an int is not read as digits."""
        assert normalize.phone(value) is None

    @pytest.mark.parametrize("region", ["XX", "ZZ", "USA", "", "U S", None, 1, b"US"])
    def test_an_unknown_region_is_a_typed_error(self, region):
        """Misuse raises NormalisationError, a LeadflowError and ValueError, naming the
        argument, even when the value is missing."""
        for value in ("(425) 555-0199", None):
            with pytest.raises(NormalisationError, match="'region' must be") as raised:
                normalize.phone(value, region)
            assert isinstance(raised.value, LeadflowError)
            assert isinstance(raised.value, ValueError)
            assert raised.value.got == region

    def test_the_error_survives_pickling(self):
        """Worker processes can report it."""
        error = NormalisationError("region", "a region code", "XX")
        copy = pickle.loads(pickle.dumps(error))
        assert (type(copy), str(copy), copy.got) == (NormalisationError, str(error), "XX")


# --- names -------------------------------------------------------------------------------

NAMES = [
    ("Dana", "dana"),
    ("  DANA  ", "dana"),
    ("José", "jose"),
    ("Núñez", "nunez"),
    ("  José   NÚÑEZ ", "jose nunez"),
    ("Søren Kierkegaard", "soren kierkegaard"),
    ("SØREN", "soren"),
    ("Łukasz", "lukasz"),
    ("Wałęsa", "walesa"),
    ("Straße", "strasse"),
    ("STRASSE", "strasse"),
    ("Æsa", "aesa"),
    ("Œdipe", "oedipe"),
    ("Þór", "thor"),
    ("Đorđe", "dorde"),
    ("İlkay", "ilkay"),
    ("Dvořák", "dvorak"),
    ("Nguyễn Ngọc", "nguyen ngoc"),
    ("Zoë", "zoe"),
    ("Zoe\u0308", "zoe"),
    ("Sinéad", "sinead"),
    ("Ελένη", "ελενη"),
    ("ΕΛΈΝΗ", "ελενη"),
    ("Ольга", "ольга"),
    ("Алёна", "алена"),
    ("山田 太郎", "山田 太郎"),
    ("山田\u3000太郎", "山田 太郎"),
    ("محمد عبد الله", "محمد عبد الله"),
    ("مُحَمَّد", "محمد"),
    ("प्रिया", "प्रिया"),
    ("O'Brien", "obrien"),
    ("O\u2019Brien", "obrien"),
    ("OBrien", "obrien"),
    ("O Brien", "o brien"),
    ("d'Artagnan", "dartagnan"),
    ("Hawai\u02bbi", "hawaii"),
    ("Gal·la", "galla"),
    ("Jean-Luc", "jean luc"),
    ("Jean Luc", "jean luc"),
    ("Mary Ann", "mary ann"),
    ("van Dyke", "van dyke"),
    ("J.R.R.", "j r r"),
    ("Mr & Mrs", "mr and mrs"),
    ("Dana 👩🏽\u200d💻🎉", "dana"),
    ("Da\u200bna", "dana"),
    ("Dana\x00", "dana"),
    ("Dana\n", "dana"),
    ("Louis XIV", "louis xiv"),
    ("Henry Ⅷ", "henry viii"),
]

DISTINCT_NAMES = [
    ("がく", "かく"),
    ("ガク", "カク"),
    ("प्रिया", "पिया"),
    ("Ann", "Anne"),
    ("O Brien", "OBrien"),
]

JUNK_NAMES = [
    "",
    "  ",
    "-",
    ".",
    "?",
    "!!!",
    "x",
    "X",
    "xx",
    "xxx",
    "XXXX",
    "x" * 300,
    "aaa",
    "n/a",
    "N/A",
    "n.a.",
    "NA",
    "none",
    "NONE",
    "null",
    "test",
    "Test",
    "asdf",
    "unknown",
    "First Name",
    "123",
    "0",
    "😀",
    "Dana\ud800",
    "\u200b",
]


class TestName:
    """``name``: NFKC, casefolded, accents folded, apostrophes deleted."""

    @pytest.mark.parametrize(("value", "key"), NAMES)
    def test_international_names(self, value, key):
        """Names in many scripts and spellings normalise to their keys."""
        assert normalize.name(value) == key

    @pytest.mark.parametrize(("one", "other"), DISTINCT_NAMES)
    def test_different_names_stay_apart(self, one, other):
        """Marks that are part of letters (kana voicing, Devanagari vowel signs) are kept,
        and a space is not an apostrophe."""
        assert normalize.name(one) != normalize.name(other)

    @pytest.mark.parametrize("value", [*JUNK_NAMES, *NOT_TEXT])
    def test_junk_is_missing(self, value):
        """Blank, punctuation, placeholders and digits are missing."""
        assert normalize.name(value) is None

    @pytest.mark.parametrize("value", sorted(PLACEHOLDER_NAMES))
    def test_every_listed_placeholder_is_missing(self, value):
        """Each value in the placeholder table is missing, in any case."""
        assert normalize.name(value) is None
        assert normalize.name(value.upper()) is None


PERSONS = [
    (("Dana", "Reyes"), "reyes|dana"),
    (("DANA ", " reyes"), "reyes|dana"),
    (("José", "Núñez"), "nunez|jose"),
    (("Jan", "van Dyke"), "van dyke|jan"),
    (("Sinéad", "O'Brien"), "obrien|sinead"),
    (("太郎", "山田"), "山田|太郎"),
    (("Mary Ann", "Smith"), "smith|mary ann"),
]

MISSING_PERSONS = [
    ("Dana", None),
    (None, "Reyes"),
    ("Dana", ""),
    ("", "Reyes"),
    ("Dana", "-"),
    ("test", "Reyes"),
    ("Dana", "n/a"),
    (None, None),
]


class TestPerson:
    """``person``: the ``last|first`` key, only when both parts are present."""

    @pytest.mark.parametrize(("parts", "key"), PERSONS)
    def test_full_names(self, parts, key):
        """Both parts normalised, last name first."""
        assert normalize.person(*parts) == key

    @pytest.mark.parametrize("parts", MISSING_PERSONS)
    def test_a_missing_part_makes_it_missing(self, parts):
        """One name part is not enough to match on."""
        assert normalize.person(*parts) is None


PERSON_TOKENS = [
    (("Dana", "Reyes"), "dana reyes"),
    (("Reyes", "Dana"), "dana reyes"),
    (("Dana Reyes",), "dana reyes"),
    (("REYES,  Dana",), "dana reyes"),
    (("Mary Ann", "Smith"), "ann mary smith"),
    (("Smith", "Mary-Ann"), "ann mary smith"),
    (("José", "Núñez"), "jose nunez"),
    (("太郎", "山田"), "太郎 山田"),
    (("山田", "太郎"), "太郎 山田"),
]

MISSING_PERSON_TOKENS = [
    (),
    ("Dana",),
    ("Dana", None),
    (None, "Reyes"),
    ("Dana", "n/a"),
    ("n/a",),
    ("Provided", "Not"),
]

TRANSPOSED = [
    (("Dana", "Reyes", "Reyes", "Dana"), True),
    (("Dana", "Reyes", "REYES", "dana"), True),
    (("José", "Núñez", "Nunez", "Jose"), True),
    (("Mary Ann", "Smith", "Smith", "Mary-Ann"), True),
    (("Dana", "Reyes", "Dana", "Reyes"), False),
    (("Li", "Li", "Li", "Li"), False),
    (("Dana", "Reyes", "Sam", "Reyes"), False),
    (("Dana", "Reyes", "Reyes", None), False),
    ((None, None, None, None), False),
    (("Mary", "Ann Smith", "Smith", "Mary Ann"), False),
]


class TestPersonTokens:
    """``person_tokens`` and ``transposed``: first/last transposition is detectable."""

    @pytest.mark.parametrize(("parts", "key"), PERSON_TOKENS)
    def test_order_insensitive_keys(self, parts, key):
        """The sorted words of ``(first, last)`` or of a whole name."""
        assert normalize.person_tokens(*parts) == key

    @pytest.mark.parametrize("parts", MISSING_PERSON_TOKENS)
    def test_missing_parts_or_one_word_are_missing(self, parts):
        """A missing part, a placeholder or a single word gives no key."""
        assert normalize.person_tokens(*parts) is None

    @pytest.mark.parametrize(("names", "expected"), TRANSPOSED)
    def test_transposed(self, names, expected):
        """True only when B is A with first and last swapped, and not the same name."""
        assert normalize.transposed(*names) is expected


# --- companies ---------------------------------------------------------------------------

COMPANIES = [
    ("Acme Holdings Ltd.", "acme holdings"),
    ("Acme, Inc.", "acme"),
    ("ACME INC", "acme"),
    ("Acme Incorporated", "acme"),
    ("Acme LLC", "acme"),
    ("Acme, L.L.C.", "acme"),
    ("Acme Corp.", "acme"),
    ("Acme Corporation", "acme"),
    ("Acme Co.", "acme"),
    ("Acme Company", "acme"),
    ("Acme Co., Ltd.", "acme"),
    ("Acme Limited", "acme"),
    ("Acme Ltd Ltd", "acme"),
    ("Acme Pty Ltd", "acme"),
    ("Tesco PLC", "tesco"),
    ("Siemens AG", "siemens"),
    ("Robert Bosch GmbH", "robert bosch"),
    ("Volkswagen GmbH & Co. KG", "volkswagen"),
    ("Nestlé S.A.", "nestle"),
    ("Société Générale SA", "societe generale"),
    ("Capgemini SAS", "capgemini"),
    ("Boulangerie Dupont SARL", "boulangerie dupont"),
    ("Koninklijke Philips N.V.", "koninklijke philips"),
    ("ASML Holding NV", "asml holding"),
    ("Heineken B.V.", "heineken"),
    ("Nokia Oyj", "nokia"),
    ("Kone Oy", "kone"),
    ("Volvo AB", "volvo"),
    ("Equinor ASA", "equinor"),
    ("Kongsberg AS", "kongsberg"),
    ("A.P. Møller - Mærsk A/S", "ap moller maersk"),
    ("Søren's Ølbryggeri ApS", "sorens olbryggeri"),
    ("Toyota Motor KK", "toyota motor"),
    ("Ferrero S.p.A.", "ferrero"),
    ("Fiat SpA", "fiat"),
    ("Barilla Srl", "barilla"),
    ("Baker McKenzie LLP", "baker mckenzie"),
    ("Blackstone LP", "blackstone"),
    ("Cemex, S.A.B. de C.V.", "cemex"),
    ("The Home Depot", "home depot"),
    ("The Coca-Cola Company", "coca cola"),
    ("Procter & Gamble", "procter and gamble"),
    ("Procter and Gamble Co.", "procter and gamble"),
    ("Johnson & Johnson", "johnson and johnson"),
    ("Smith & Co.", "smith"),
    ("AT&T Inc.", "at and t"),
    ("J.P. Morgan", "jp morgan"),
    ("JP Morgan", "jp morgan"),
    ("3M Company", "3m"),
    ("Café  Müller GmbH", "cafe muller"),
    ("Contoso, Ltd.", "contoso"),
    ("The The", "the"),
    ("株式会社山田", "株式会社山田"),
]

JUNK_COMPANIES = [
    "",
    "  ",
    "-",
    "Inc.",
    "LLC",
    "L.L.C.",
    "Ltd",
    "Co",
    "The Company",
    "Pty Ltd",
    "n/a",
    "N/A",
    "none",
    "Self-employed",
    "self employed",
    "Retired",
    "Student",
    "test",
    "Test Ltd",
    "xxx",
    "123",
]


class TestCompany:
    """``company``: name rules plus legal forms stripped."""

    @pytest.mark.parametrize(("value", "key"), COMPANIES)
    def test_company_names(self, value, key):
        """Legal forms go from the end (repeatedly), "The" from the start, initials join
        and ``&`` is ``and``."""
        assert normalize.company(value) == key

    @pytest.mark.parametrize("value", [*JUNK_COMPANIES, *NOT_TEXT])
    def test_junk_and_bare_legal_forms_are_missing(self, value):
        """A value that is only a legal form, or names no employer, is missing."""
        assert normalize.company(value) is None

    @pytest.mark.parametrize("suffix", LEGAL_SUFFIXES)
    def test_every_listed_legal_form_is_stripped(self, suffix):
        """Each legal form in the table goes, alone and after a name."""
        assert normalize.company(suffix) is None
        assert normalize.company(f"Acme Holdings {suffix}") == "acme holdings"
        assert normalize.company(f"ACME HOLDINGS, {suffix.upper()}") == "acme holdings"

    @pytest.mark.parametrize("value", sorted(PLACEHOLDER_COMPANIES))
    def test_every_listed_placeholder_is_missing(self, value):
        """Each value in the placeholder table is missing."""
        assert normalize.company(value) is None

    def test_the_name_key_keeps_legal_forms(self):
        """``name`` (the store's account key) is not ``company``."""
        assert normalize.name("Contoso, Ltd.") == "contoso ltd"


# --- generic text and identifiers --------------------------------------------------------

TEXTS = [
    ("  Hello   World ", "hello world"),
    (fullwidth("ABC"), "abc"),
    ("Straße", "strasse"),
    ("Café", "café"),
    ("Cafe\u0301", "café"),
    ("Line 1\nLine 2\r\n\tend", "line 1 line 2 end"),
    ("Da\u200bna", "dana"),
    ("100% sure", "100% sure"),
]

IDENTIFIERS = [
    (" form-123 ", "form-123"),
    ("Form-ABC", "Form-ABC"),
    ("msdyncrm_page/7", "msdyncrm_page/7"),
    ("\ufeffpage-7", "page-7"),
    ("{3F2504E0-4F89-11D3-9A0C-0305E82C3301}", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"),
    ("3F2504E0-4F89-11D3-9A0C-0305E82C3301", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"),
    ("3f2504e0-4f89-11d3-9a0c-0305e82c3301", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"),
]

BLANK = ["", "   ", "\t\n", "\u200b", "\ufeff", "Dana\ud800"]


class TestTextAndIdentifier:
    """``text`` for any other field, ``identifier`` for ids."""

    @pytest.mark.parametrize(("value", "key"), TEXTS)
    def test_text(self, value, key):
        """NFKC, casefolded, whitespace collapsed; accents kept."""
        assert normalize.text(value) == key

    @pytest.mark.parametrize(("value", "key"), IDENTIFIERS)
    def test_identifier(self, value, key):
        """Trimmed with case kept; GUIDs, case-insensitive by definition, lowercased."""
        assert normalize.identifier(value) == key

    @pytest.mark.parametrize("value", [*BLANK, *NOT_TEXT])
    def test_blank_is_missing(self, value):
        """Blank, invisible or invalid text is missing for both."""
        assert normalize.text(value) is None
        assert normalize.identifier(value) is None


# --- properties --------------------------------------------------------------------------

LATIN = "abcdefghijklmnopqrstuvwxyzàáâãäåçèéêëìíîïñòóôõöøùúûüýÿāăąćčďđēęěğīłńňőœřśşšťūůűźżžæß"
LETTERS = st.sampled_from(LATIN + "αβγδεζηθικλμνξοπρστυφχψωабвгдежзийклмнопрстуфхцчшщыэюя")
WORDS = st.text(LETTERS, min_size=1, max_size=10)
SPACE = st.sampled_from(["", " ", "  ", "\t", "\n", "\u00a0", "\u3000"])
NAMES_TEXT = st.lists(WORDS, min_size=1, max_size=4).map(" ".join)
LOCAL = st.text(st.sampled_from(LATIN[:26] + "0123456789._-+'"), min_size=1, max_size=20)
DOMAINS = st.sampled_from(
    [
        *("contoso.com", "bücher.de", "gmail.com", "googlemail.com", "outlook.com"),
        *("yahoo.com", "icloud.com", "пример.рф", "example.org", "fabrikam.co.uk", "proton.me"),
    ]
)
ADDRESSES = st.builds(lambda local, domain: f"{local}@{domain}", LOCAL, DOMAINS)
CASED = st.sampled_from([str.upper, str.lower, str.title, str.swapcase, str])
JUNK: dict[str, list[str]] = {
    "email": JUNK_EMAILS,
    "email_canonical": JUNK_EMAILS,
    "phone": [value for value, region in JUNK_PHONES if region == "US"],
    "name": JUNK_NAMES,
    "person_tokens": JUNK_NAMES,
    "company": JUNK_COMPANIES,
    "text": BLANK,
    "identifier": BLANK,
}


def recased(value: str, data: st.DataObject) -> str:
    """``value`` with each character's case chosen at random."""
    return "".join(data.draw(CASED)(ch) for ch in value)


class TestProperties:
    """What every normaliser promises, for any input."""

    @pytest.mark.parametrize("normaliser", NORMALISERS.values(), ids=NORMALISERS)
    @given(value=st.text())
    def test_never_raises_and_is_idempotent_on_any_text(self, normaliser, value):
        """Any text gives a non-empty, trimmed key or None, and the key is a fixed point."""
        key = normaliser(value)
        if key is not None:
            assert key
            assert key == key.strip()
            assert normaliser(key) == key

    @pytest.mark.parametrize("normaliser", NORMALISERS.values(), ids=NORMALISERS)
    @given(value=st.one_of(st.none(), st.integers(), st.floats(), st.binary(), st.lists(st.text())))
    def test_anything_but_a_string_is_missing(self, normaliser, value):
        """Non-strings never raise and are always missing."""
        assert normaliser(value) is None

    @given(address=ADDRESSES, data=st.data())
    def test_email_ignores_case_and_surrounding_space(self, address, data):
        """An address in any case, padded with any space, has the same keys."""
        assume(normalize.email(address) is not None)
        variant = data.draw(SPACE) + recased(address, data) + data.draw(SPACE)
        assert normalize.email(variant) == normalize.email(address)
        assert normalize.email_canonical(variant) == normalize.email_canonical(address)

    @given(address=st.one_of(ADDRESSES, st.text()))
    def test_email_keys_are_idempotent(self, address):
        """Both email keys are fixed points of their normaliser."""
        for normaliser in (normalize.email, normalize.email_canonical):
            key = normaliser(address)
            if key is not None:
                assert normaliser(key) == key

    @given(address=st.one_of(ADDRESSES, st.text()))
    def test_email_canonical_differs_only_at_listed_providers(self, address):
        """The canonical key is the address key except at a listed provider, and exists
        exactly when the address key does."""
        key, canonical = normalize.email(address), normalize.email_canonical(address)
        assert (key is None) == (canonical is None)
        if key is not None and key.partition("@")[2] not in normalize.EMAIL_PROVIDERS:
            assert canonical == key

    @given(value=NAMES_TEXT, data=st.data())
    def test_name_and_company_ignore_case_and_surrounding_space(self, value, data):
        """A name or company in any case, padded with any space, has the same key."""
        variant = data.draw(SPACE) + recased(value, data) + data.draw(SPACE)
        assert normalize.name(variant) == normalize.name(value)
        assert normalize.company(variant) == normalize.company(value)

    @given(value=NAMES_TEXT, data=st.data())
    def test_name_keys_are_idempotent_with_accents_and_spacing(self, value, data):
        """Names with random case, accents and spacing reach a fixed point at once."""
        accented = "".join(
            ch + data.draw(st.sampled_from(["", "\u0301", "\u0308", "\u0327"])) for ch in value
        )
        for normaliser in (normalize.name, normalize.company, normalize.person_tokens):
            key = normaliser(recased(accented, data))
            if key is not None:
                assert normaliser(key) == key

    @given(first=st.one_of(NAMES_TEXT, st.text()), last=st.one_of(NAMES_TEXT, st.text()))
    def test_person_tokens_is_symmetric(self, first, last):
        """Swapping first and last name never changes the order-insensitive key."""
        assert normalize.person_tokens(first, last) == normalize.person_tokens(last, first)

    @given(first=NAMES_TEXT, last=NAMES_TEXT)
    def test_a_swapped_name_is_transposed(self, first, last):
        """Any present name written the other way round is detected, unless both parts
        are the same."""
        assume(normalize.person(first, last) is not None)
        swapped = normalize.transposed(first, last, last, first)
        assert swapped is (normalize.name(first) != normalize.name(last))
        assert not normalize.transposed(first, last, first, last)

    @pytest.mark.parametrize("field", NORMALISERS)
    @given(pad=SPACE, data=st.data())
    def test_missing_never_equals_a_real_key(self, field, pad, data):
        """Blank and junk values, however cased and padded, never give a key that could
        match anything."""
        junk = data.draw(st.sampled_from(JUNK[field]))
        assert NORMALISERS[field](pad + recased(junk, data) + pad) is None

    @given(value=st.text(), region=st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)))
    def test_phone_keys_are_e164_in_every_region(self, value, region):
        """Any text in any region gives None or ``+`` and digits, which reads the same
        whatever the region."""
        key = normalize.phone(value, region)
        if key is not None:
            assert key.startswith("+")
            assert key[1:].isascii()
            assert key[1:].isdigit()
            assert normalize.phone(key, "GB") == key


# --- the ASCII fast path -------------------------------------------------------------------


@given(st.text(alphabet=st.characters(max_codepoint=127)) | st.text())
def test_name_words_of_ascii_text_are_those_of_the_character_by_character_path(
    value: str,
) -> None:
    """Folded ASCII text takes a shortcut to its words; it must give exactly the words the
    general, character-by-character path gives."""
    cleaned = _folding.clean(value)
    assume(cleaned is not None)
    assert cleaned is not None
    strip = _folding._DELETE_APOSTROPHES
    text = _folding.folded(cleaned.translate(strip)).translate(strip)

    assert _folding.words(value) == _folding._unicode_words(text)
