"""The data :mod:`matching.normalize` works from: placeholders, legal forms, mail providers.

Values are written as people type them; ``normalize`` puts them through its own rules
when it loads, so it compares keys with keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import attrs


@attrs.frozen
class EmailProvider:
    """How one mail provider routes addresses to mailboxes (``normalize.email_canonical``).

    ``domain`` is the mailbox's canonical domain, ``tag_separator`` starts a sub-address
    tag that reaches the untagged mailbox (``None``: no tags), and ``ignores_dots`` says
    whether dots in the local part are ignored.
    """

    domain: str
    tag_separator: str | None = "+"
    ignores_dots: bool = False


def _items(listing: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in listing.split("|") if item.strip())


_GMAIL = EmailProvider("gmail.com", "+", ignores_dots=True)
_PLUS_TAGGED = """
outlook.com|hotmail.com|live.com|msn.com|hotmail.co.uk|hotmail.fr|hotmail.de|hotmail.it|
hotmail.es|outlook.de|outlook.fr|live.co.uk|live.fr|
icloud.com|me.com|mac.com|fastmail.com|fastmail.fm|protonmail.com|protonmail.ch|proton.me|pm.me
"""

EMAIL_PROVIDERS: Mapping[str, EmailProvider] = MappingProxyType(
    {
        # Gmail ignores dots and takes +tags; googlemail.com is the same mailbox.
        "gmail.com": _GMAIL,
        "googlemail.com": _GMAIL,
        # Outlook.com (formerly Hotmail, Live, MSN), iCloud, Fastmail and Proton take +tags
        # and count dots. Their domains stay apart: one local part at two of them may be
        # two accounts.
        **{domain: EmailProvider(domain) for domain in _items(_PLUS_TAGGED)},
        # Not listed: Yahoo. It has no +tags, and its disposable addresses (base-keyword@)
        # use a base name chosen apart from the mailbox: dropping "-keyword" would give
        # someone else's address.
    }
)
"""Mail providers whose sub-addresses ``normalize.email_canonical`` folds, by domain."""

_EMAILS = """
test@test.com|test@example.com|test@gmail.com|example@example.com|email@example.com|
email@email.com|email@domain.com|name@example.com|name@domain.com|user@example.com|
user@domain.com|you@example.com|your@email.com|youremail@example.com|
your.email@example.com|yourname@example.com|someone@example.com|someone@somewhere.com|
me@example.com|me@me.com|no@email.com|no@no.com|na@na.com|asd@asd.com|asdf@asdf.com|
qwerty@qwerty.com|a@a.com|aa@aa.com|aaa@aaa.com|abc@abc.com|abc@xyz.com|x@x.com|
xx@xx.com|xxx@xxx.com|foo@bar.com|1@1.com|123@123.com
"""
PLACEHOLDER_EMAILS = frozenset(_items(_EMAILS))
"""Whole addresses people type into forms instead of their own."""

_LOCAL_PARTS = """
none|null|n/a|unknown|noemail|nomail|noaddress|noemailaddress|notprovided|notavailable|
notapplicable|declined|refused|donotemail|dontemail|fake|fakeemail|test|testing|asdf|
asdfgh|asdfasdf|qwerty
"""
PLACEHOLDER_LOCAL_PARTS = frozenset(_items(_LOCAL_PARTS))
"""Local parts that say "no address" at any domain (compared without +tag, dots, - and _).

Left out on purpose: role addresses (``noreply``, ``info``, ``sales``), which are real
mailboxes, and short words that are also names (``na``, ``nil``)."""

_DOMAINS = """
noemail.com|nomail.com|none.com|noaddress.com|donotemail.com|fake.com|fakeemail.com|
test.com|asdf.com
"""
PLACEHOLDER_DOMAINS = frozenset(_items(_DOMAINS))
"""Domains typed as placeholders (as is any domain under the reserved ``.invalid``).

The documentation domains (``example.com``, ``.example``) are not: test and demo data
use them for realistic addresses."""

_NAMES = """
n/a|na|none|null|test|testing|x|xx|asd|asdf|qwerty|unknown|unk|tbd|tba|noname|no name|
not provided|not given|not applicable|anonymous|first name|firstname|last name|lastname|
surname|fname|lname
"""
PLACEHOLDER_NAMES = frozenset(_items(_NAMES))
"""Values typed into name fields instead of a name (as are one letter 3+ times, and digits)."""

_COMPANIES = """
self|self-employed|individual|private|personal|retired|student|unemployed|home|homemaker|
freelance|freelancer|independent
"""
PLACEHOLDER_COMPANIES = PLACEHOLDER_NAMES | frozenset(_items(_COMPANIES))
"""Values typed into company fields instead of an employer: they name no one company."""

_SUFFIXES = """
Inc|Incorporated|LLC|L.L.C.|Ltd|Limited|Corp|Corporation|Co|& Co|Company|plc|LLP|LP|
Pty|Pty Ltd|Pte Ltd|Pvt Ltd|Private Limited|GmbH|AG|KG|& Co. KG|UG|SE|SA|S.A.|SAS|SARL|
S.A. de C.V.|S.A.B. de C.V.|S. de R.L. de C.V.|Ltda|SL|SpA|Srl|BV|B.V.|NV|Oy|Oyj|AB|AS|A/S|ASA|ApS|
s.r.o.|KK|Sdn Bhd|Bhd
"""
LEGAL_SUFFIXES = _items(_SUFFIXES)
"""Legal forms stripped from the end of a company name, repeatedly ("Acme Co., Ltd." is Acme).

Generic words that happen to be legal forms go too ("Bliss Day Spa" keys as "bliss day");
both sides of a comparison lose them alike."""
