"""A seeded synthetic CRM: contact records with known duplicates and hard negatives.

:func:`generate_crm` makes people, gives some of them duplicate records carrying the edits
real CRMs accumulate (typos, swapped names, Gmail aliases, reformatted phones, reworded
companies, dropped fields), and plants the records a good matcher must keep apart:
colleagues sharing an office phone and address, relatives sharing a surname, home phone and
address, and different people with one common name. ``person_id`` is the truth. Names follow
real US frequencies (Faker's weighted tables, a test-only dependency); every random choice
comes from one numpy generator, so ``(n_people, seed)`` fixes the frame.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from lifecycle.errors import InvalidFieldError

Strings = npt.NDArray[np.object_]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
Columns = dict[str, npt.NDArray[Any]]
Tables = dict[str, tuple[Strings, Floats]]


def _words(text: str, sep: str | None = None) -> Strings:
    return np.array(text.split(sep), dtype=object)


COLUMNS: tuple[str, ...] = tuple(
    _words(
        "contactid person_id firstname lastname emailaddress1 telephone1 mobilephone companyname"
        " jobtitle address1_line1 address1_city address1_stateorprovince address1_postalcode"
        " birthdate"
    )
)
"""The frame's columns (Dataverse logical names), in order."""
PHONES, ADDRESS = COLUMNS[5:7], COLUMNS[9:13]

DUPLICATES_P = (0.60, 0.22, 0.10, 0.05, 0.03)
"""P(a person has 0..4 duplicates): mean 0.69."""
EDIT_COUNT_P = (0.5, 0.35, 0.15)
EDITS = ("typo", "case", "swap", "gmail", "email", "phone", "company", "address")
EDIT_WEIGHTS = np.array([3.0, 1.0, 0.7, 2.0, 1.5, 1.5, 1.0, 1.0])
COLLEAGUE_SHARE, RELATIVE_SHARE, COMMON_NAME_SHARE = 0.25, 0.12, 0.008
MISSING_P = {"firstname": 0.02, "emailaddress1": 0.06, "telephone1": 0.05, "mobilephone": 0.05}
MISSING_P |= {"companyname": 0.05, "jobtitle": 0.08, "address1_line1": 0.05, "birthdate": 0.1}
MISSING_P |= {"address1_city": 0.04, "address1_stateorprovince": 0.06, "address1_postalcode": 0.08}
"""Per-record chance that a value the person has is left blank."""

PHONE_FORMATS = _words(
    "(%03d) %03d-%04d|%03d-%03d-%04d|%03d.%03d.%04d|+1 %03d %03d %04d|%03d%03d%04d"
    "|+1%03d%03d%04d|1-%03d-%03d-%04d",
    "|",
)
PHONE_FORMATS_P = (0.3, 0.3, 0.1, 0.1, 0.1, 0.05, 0.05)
AREA_CODES = _words(
    "206 425 253 360 503 415 510 408 213 310 619 602 303 512 214 713 312 773 404 305 407 212"
    " 718 646 617 215 202 703 919 704 615 313 612 314 801 702"
).astype(np.int64)
FREE_DOMAINS = _words(
    "gmail.com|yahoo.com|outlook.com|hotmail.com|aol.com|icloud.com|comcast.net", "|"
)
FREE_DOMAINS_P = (0.6, 0.13, 0.09, 0.08, 0.04, 0.04, 0.02)
GMAIL_TAGS = _words("news|shop|crm|work|promo|lists|2019|x", "|")
PLACES = (
    "Seattle,WA,981|Bellevue,WA,980|Redmond,WA,980|Portland,OR,972|San Francisco,CA,941"
    "|Oakland,CA,946|San Jose,CA,951|Los Angeles,CA,900|San Diego,CA,921|Phoenix,AZ,850"
    "|Denver,CO,802|Austin,TX,787|Dallas,TX,752|Houston,TX,770|Chicago,IL,606"
    "|Atlanta,GA,303|Miami,FL,331|Orlando,FL,328|New York,NY,100|Brooklyn,NY,112"
    "|Boston,MA,021|Philadelphia,PA,191|Washington,DC,200|Arlington,VA,222"
    "|Raleigh,NC,276|Charlotte,NC,282|Nashville,TN,372|Detroit,MI,482"
    "|Minneapolis,MN,554|St. Louis,MO,631|Salt Lake City,UT,841|Las Vegas,NV,891"
)
CITIES = np.array([place.split(",") for place in PLACES.split("|")], dtype=object)
"""City, state and the first three digits of its ZIP codes."""
STREETS = _words(
    "Main Oak Pine Maple Cedar Elm Washington Lake Hill Park Sunset Lincoln Jackson Church"
    " Highland Madison Ridge Forest River Spring Meadow Willow Franklin Jefferson Center Mill"
    " 1st 2nd 3rd 4th 5th 12th Market Broadway Union Valley"
)
STREET_SUFFIXES = _words("St Ave Rd Blvd Ln Dr Way Ct Pl")
COMPANY_WORDS = _words(
    "Acme|Summit|Northwind|Blue Ridge|Cedar|Pinnacle|Evergreen|Harbor|Ironwood|Keystone"
    "|Lakeside|Meridian|Atlas|Beacon|Cascade|Crescent|Frontier|Granite|Horizon|Liberty"
    "|Maple|Orion|Pacific|Redwood|Sterling|Tidewater|Vanguard|Westfield|Zenith|Apex",
    "|",
)
SECTORS = _words(
    "Technologies International Manufacturing Associates Laboratories Services Brothers"
    " Systems Logistics Analytics Consulting Health Foods Partners Group Holdings Media"
    " Energy Capital Construction Design Software Networks Industries Supply Realty Insurance"
)
LEGAL_SUFFIXES = ("Inc.", "LLC", "Ltd", "Corp.", "LLP", "Co.")
LEGAL_VARIANTS = {"Inc.": "Inc", "LLC": "L.L.C.", "Ltd": "Limited", "Corp.": "Corporation"}
LEGAL_VARIANTS |= {"LLP": "L.L.P.", "Co.": "Company"}
ABBREVIATIONS = {"Technologies": "Tech", "International": "Intl", "Manufacturing": "Mfg"}
ABBREVIATIONS |= {"Associates": "Assoc.", "Laboratories": "Labs", "Services": "Svcs"}
ABBREVIATIONS |= {"Brothers": "Bros.", " & ": " and "}
JOB_TITLES = _words(
    "Sales Manager|Account Executive|Software Engineer|Marketing Director|Office Manager|CEO"
    "|CFO|VP of Sales|Operations Manager|Accountant|Project Manager|Product Manager"
    "|HR Generalist|Consultant|Buyer|Purchasing Manager|IT Director|Owner|Analyst|Engineer",
    "|",
)
LOCAL_PARTS = _words("{0}.{1}|{0}{1}|{2}{1}|{2}.{1}|{0}{1}{3}|{0}.{1}{3}|{1}.{0}|{0}19{3}", "|")
"""Personal mailbox patterns: 0 first name, 1 last name, 2 initial, 3 two digits."""
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def generate_crm(n_people: int, *, seed: int = 0) -> pd.DataFrame:
    """One row per contact record of ``n_people`` synthetic people; ``person_id`` is the truth.

    About 40% of people have 1-4 duplicate records (1-3 edits each), so the frame has about
    ``1.7 * n_people`` rows, in random order. Every value is ``str`` or ``None``. Needs Faker
    (``pip install 'leadflow[test]'``) for its name frequency tables.
    """
    try:
        from faker.providers.person.en_US import Provider
    except ImportError as exc:
        raise ImportError(
            "generate_crm needs Faker's name tables: pip install 'leadflow[test]'"
        ) from exc
    if type(n_people) is not int or n_people < 0:
        raise InvalidFieldError("n_people", "a whole number of at least 0", n_people)
    tables = {
        "female": _table(Provider.first_names_female),
        "male": _table(Provider.first_names_male),
        "last": _table(Provider.last_names),
    }
    rng = np.random.default_rng(seed)
    people = _people(rng, n_people, tables)
    owner = np.repeat(np.arange(n_people), 1 + rng.choice(5, size=n_people, p=DUPLICATES_P))
    records = {key: values[owner] for key, values in people.items()}
    _edit(rng, records, np.flatnonzero(np.diff(owner, prepend=-1) == 0))
    for key, p in MISSING_P.items():
        records[key][rng.random(len(owner)) < p] = -1 if key in PHONES else None
    order = rng.permutation(len(owner))
    frame: Columns = {"contactid": _text("r%07d", np.arange(len(owner)))}
    frame["person_id"] = _text("p%07d", owner[order])
    frame |= {column: records[column][order] for column in COLUMNS[2:]}
    for phone in PHONES:
        frame[phone] = _format_phones(frame[phone], records[phone + "_format"][order])
    return pd.DataFrame(frame, dtype=object)


def _people(rng: np.random.Generator, n: int, tables: Tables) -> Columns:
    """One row per person, with the colleague, relative and common-name groups planted."""
    female = rng.random(n) < 0.5
    first = _first_names(rng, tables, female)
    last = _draw(rng, tables["last"], n)
    common = np.flatnonzero(rng.random(n) < COMMON_NAME_SHARE)
    pick = rng.integers(0, 3, size=(2, len(common)))
    top_female, top_male = _top(tables["female"])[pick[0]], _top(tables["male"])[pick[0]]
    first[common] = np.where(female[common], top_female, top_male)
    last[common] = _top(tables["last"])[pick[1]]

    order = rng.permutation(n)
    n_colleagues, n_relatives = int(n * COLLEAGUE_SHARE), int(n * RELATIVE_SHARE)
    colleagues, office = _groups(rng, order[:n_colleagues], 2, 6)
    relatives, family = _groups(rng, order[n_colleagues : n_colleagues + n_relatives], 2, 4)
    head = relatives[_starts(family)[family]]
    last[relatives] = last[head]
    while len(redo := _repeats(colleagues, office, first[colleagues], last[colleagues])):
        first[redo] = _first_names(rng, tables, female[redo])
    while len(redo := _repeats(relatives, family, first[relatives])):
        first[redo] = _first_names(rng, tables, female[redo])

    n_offices, n_homes = len(_starts(office)), len(_starts(family))
    numbers = _unique_numbers(rng, 2 * n + n_offices + n_homes)
    mobile = np.where(rng.random(n) < 0.78, numbers[:n], -1)
    phone = np.where(rng.random(n) < 0.55, numbers[n : 2 * n], -1)
    phone[colleagues] = numbers[2 * n : 2 * n + n_offices][office]
    phone[relatives] = numbers[2 * n + n_offices :][family]

    home, offices = _addresses(rng, n, office=False), _addresses(rng, n_offices, office=True)
    homeless = rng.random(n) < 0.15
    homeless[relatives] = False
    for column, office_column in zip(home, offices, strict=True):
        column[homeless] = None
        column[relatives] = column[head]
        column[colleagues] = office_column[office]

    company_names, domains = _companies(rng, max(50, n // 5), tables["last"][0])
    employer = rng.integers(0, len(company_names), size=n)
    employer[colleagues] = office
    has_company = rng.random(n) < 0.7
    has_company[colleagues] = True

    f, ln = _objects(s.lower() for s in first), _objects(s.lower() for s in last)
    personal = _local_parts(rng, f, ln) + "@" + _draw(rng, (FREE_DOMAINS, FREE_DOMAINS_P), n)
    alt = _local_parts(rng, f, ln) + "@" + _draw(rng, (FREE_DOMAINS, FREE_DOMAINS_P), n)
    work_local = np.where(rng.random(n) < 0.7, f + "." + ln, _objects(s[0] for s in f) + ln)
    work = _present(has_company, work_local + "@" + domains[employer])
    personal, work, alt = _unique_emails(rng, personal, work, alt)
    use_work = has_company & (np.isin(np.arange(n), colleagues) | (rng.random(n) < 0.12))
    other = np.where(has_company & (rng.random(n) < 0.5), work, alt)

    days = rng.integers(0, 65 * 365, size=n)
    gaps = rng.integers(3 * 365, 13 * 365, size=len(relatives))
    gaps[_starts(family)] = 0
    steps = np.cumsum(gaps)
    days[relatives] = days[head] // 3 + steps - steps[_starts(family)][family]
    birth = np.datetime_as_string(np.datetime64("1938-01-01") + days.astype("timedelta64[D]"))
    job = JOB_TITLES[rng.integers(0, len(JOB_TITLES), n)]
    return dict(
        zip(ADDRESS, home, strict=True),
        firstname=first,
        lastname=last,
        emailaddress1=np.where(use_work, work, personal),
        alt_email=np.where(use_work, personal, other),
        telephone1=phone,
        mobilephone=mobile,
        telephone1_format=rng.choice(len(PHONE_FORMATS), size=n, p=PHONE_FORMATS_P),
        mobilephone_format=rng.choice(len(PHONE_FORMATS), size=n, p=PHONE_FORMATS_P),
        companyname=_present(has_company, company_names[employer]),
        jobtitle=_present(rng.random(n) < 0.75, job),
        birthdate=_present(rng.random(n) < 0.55, birth),
    )


def _edit(rng: np.random.Generator, records: Columns, rows: Ints) -> None:
    """Give each duplicate record 1-3 distinct edits (of :data:`EDITS`) that apply to it."""
    named, employed, housed = (
        pd.notna(records[key][rows]) for key in ("firstname", "companyname", "address1_line1")
    )
    phoned = (records["telephone1"][rows] >= 0) | (records["mobilephone"][rows] >= 0)
    current = records["emailaddress1"][rows]
    gmail = np.array([e is not None and e.endswith("@gmail.com") for e in current], dtype=bool)
    always = np.ones(len(rows), dtype=bool)
    applicable = np.column_stack([always, always, named, gmail, always, phoned, employed, housed])
    keys = rng.exponential(size=applicable.shape) / EDIT_WEIGHTS
    keys[~applicable] = np.inf
    rank = np.argsort(np.argsort(keys, axis=1), axis=1)
    count = np.minimum(1 + rng.choice(3, size=len(rows), p=EDIT_COUNT_P), applicable.sum(axis=1))
    picked = {edit: rows[rank[:, k] < count] for k, edit in enumerate(EDITS)}

    r = picked["typo"]
    on_last = (rng.random(len(r)) < 0.5) | pd.isna(records["firstname"][r])
    for column, at in (("lastname", r[on_last]), ("firstname", r[~on_last])):
        ops, where = rng.integers(0, 4, len(at)).tolist(), rng.random(len(at)).tolist()
        letters = rng.integers(0, len(LETTERS), len(at)).tolist()
        slips = zip(records[column][at], ops, where, letters, strict=True)
        records[column][at] = _objects(_typo(s, o, w, LETTERS[c]) for s, o, w, c in slips)

    r = picked["case"]
    mode = rng.integers(0, 3, len(r)).tolist()
    firsts = zip(records["firstname"][r], mode, strict=True)
    lasts = zip(records["lastname"][r], mode, strict=True)
    records["firstname"][r] = _objects(
        v if v is None or m == 2 else v.upper() if m == 0 else v.lower() for v, m in firsts
    )
    records["lastname"][r] = _objects(v.lower() if m == 1 else v.upper() for v, m in lasts)

    r, first, last = picked["swap"], records["firstname"], records["lastname"]
    first[r], last[r] = last[r], first[r]

    r = picked["gmail"]
    mode, where = rng.integers(0, 3, len(r)).tolist(), rng.random(len(r)).tolist()
    tags = GMAIL_TAGS[rng.integers(0, len(GMAIL_TAGS), len(r))]
    emails = zip(records["emailaddress1"][r], mode, where, tags, strict=True)
    records["emailaddress1"][r] = _objects(_gmail_variant(*email) for email in emails)

    r = picked["email"]
    records["emailaddress1"][r] = records["alt_email"][r]

    r = picked["phone"]
    dropped = rng.random(len(r)) < 0.5
    drop, keep = r[dropped], r[~dropped]
    has_tel, has_mobile = records["telephone1"][drop] >= 0, records["mobilephone"][drop] >= 0
    drop_tel = has_tel & (~has_mobile | (rng.random(len(drop)) < 0.5))
    records["telephone1"][drop[drop_tel]] = -1
    records["mobilephone"][drop[~drop_tel]] = -1
    for phone in PHONES:
        shift = rng.integers(1, len(PHONE_FORMATS), len(keep))
        formats = records[phone + "_format"]
        formats[keep] = (formats[keep] + shift) % len(PHONE_FORMATS)

    r = picked["company"]
    companies = zip(records["companyname"][r], rng.random(len(r)).tolist(), strict=True)
    records["companyname"][r] = _objects(_reword(*company) for company in companies)

    for column in ADDRESS:
        records[column][picked["address"]] = None


def _typo(name: str, op: int, where: float, letter: str) -> str:
    """One slip of the keyboard: a letter substituted, deleted, inserted, or two adjacent swapped."""
    i = int(where * len(name))
    inner = max(i, 1) if len(name) > 2 else i
    if op == 1 and len(name) > 1:
        return name[:inner] + name[inner + 1 :]
    if op == 2:
        return name[: i + 1] + letter + name[i + 1 :]
    j = min(inner, len(name) - 2)
    if op == 3 and len(name) > 1 and name[j] != name[j + 1]:
        return name[:j] + name[j + 1] + name[j] + name[j + 2 :]
    if letter == name[i].lower():
        letter = LETTERS[(LETTERS.index(letter) + 1) % len(LETTERS)]
    return name[:i] + (letter.upper() if name[i].isupper() else letter) + name[i + 1 :]


def _gmail_variant(email: str, mode: int, where: float, tag: str) -> str:
    """The same Gmail mailbox written another way: dots moved (mode 0), ``+tag`` (1), or both."""
    local, _, domain = email.partition("@")
    plain = local.replace(".", "")
    i = 1 + int(where * (len(plain) - 1))
    dotted = plain[:i] + "." + plain[i:] if len(plain) > 1 else plain
    variant = local if mode == 1 else dotted if dotted != local else plain
    if mode != 0 or variant == local:
        variant += "+" + tag
    return f"{variant}@{domain}"


def _reword(name: str, where: float) -> str:
    """The same company written another way: legal suffix dropped, spelled out or added, or a
    word abbreviated."""
    core, _, suffix = name.rpartition(" ")
    if suffix in LEGAL_VARIANTS:
        return core if where < 0.5 else f"{core} {LEGAL_VARIANTS[suffix]}"
    words = [word for word in ABBREVIATIONS if word in name]
    if words and where < 0.6:
        return name.replace(words[0], ABBREVIATIONS[words[0]])
    return f"{name} {LEGAL_SUFFIXES[int(where * 1000) % len(LEGAL_SUFFIXES)]}"


def _table(weights: Mapping[str, float]) -> tuple[Strings, Floats]:
    """A weighted name table as values and probabilities that sum to 1."""
    p = np.fromiter(weights.values(), dtype=np.float64, count=len(weights))
    return np.array(list(weights), dtype=object), p / p.sum()


def _draw(rng: np.random.Generator, table: tuple[Strings, Any], size: int) -> Strings:
    values, p = table
    return values[rng.choice(len(values), size=size, p=p)]


def _top(table: tuple[Strings, Floats]) -> Strings:
    """The three most frequent values."""
    return table[0][np.argsort(-table[1], kind="stable")[:3]]


def _first_names(rng: np.random.Generator, tables: Tables, female: Bools) -> Strings:
    women = _draw(rng, tables["female"], len(female))
    return np.where(female, women, _draw(rng, tables["male"], len(female)))


def _groups(rng: np.random.Generator, members: Ints, lo: int, hi: int) -> tuple[Ints, Ints]:
    """As many of ``members`` as fit in consecutive groups of ``lo..hi``, and their group labels."""
    sizes = rng.integers(lo, hi + 1, size=len(members) // lo + 1)
    sizes = sizes[np.cumsum(sizes) <= len(members)]
    return members[: sizes.sum()], np.repeat(np.arange(len(sizes)), sizes)


def _starts(labels: Ints) -> Ints:
    """Where each run of equal labels starts."""
    return np.flatnonzero(np.diff(labels, prepend=-1))


def _repeats(who: Ints, *keys: npt.NDArray[Any]) -> Ints:
    """The members of ``who`` whose keys repeat an earlier member's."""
    repeated: Bools = pd.DataFrame(dict(enumerate(keys))).duplicated().to_numpy(dtype=bool)
    return who[repeated]


def _unique_numbers(rng: np.random.Generator, size: int) -> Ints:
    """``size`` distinct 10-digit US phone numbers (exchange 200-999)."""
    area = AREA_CODES[rng.integers(0, len(AREA_CODES), size)] * 10**7
    numbers = area + rng.integers(2_000_000, 10**7, size)
    while (repeated := pd.Series(numbers).duplicated().to_numpy()).any():
        numbers[repeated] = area[repeated] + rng.integers(2_000_000, 10**7, repeated.sum())
    return numbers


def _format_phones(numbers: Ints, formats: Ints) -> Strings:
    """Each number written in its format (one of :data:`PHONE_FORMATS`); ``-1`` is missing."""
    area, exchange, line = numbers // 10**7, numbers // 10**4 % 1000, numbers % 10**4
    parts = zip(area.tolist(), exchange.tolist(), line.tolist(), formats.tolist(), strict=True)
    return _objects(PHONE_FORMATS[f] % (a, e, n) if a >= 0 else None for a, e, n, f in parts)


def _addresses(rng: np.random.Generator, size: int, *, office: bool) -> list[Strings]:
    """Street lines, cities, states and ZIP codes; offices have low numbers and some a suite."""
    number = rng.integers(100, 3000, size) if office else rng.integers(1, 9999, size)
    street = STREETS[rng.integers(0, len(STREETS), size)]
    suffix = STREET_SUFFIXES[rng.integers(0, len(STREET_SUFFIXES), size)]
    line1 = _text("%d ", number) + street + " " + suffix
    if office:
        suite = rng.random(size) < 0.6
        line1[suite] = line1[suite] + _text(" Suite %d", rng.integers(100, 1000, suite.sum()))
    place = CITIES[rng.integers(0, len(CITIES), size)]
    postal = place[:, 2] + _text("%02d", rng.integers(0, 100, size))
    return [line1, place[:, 0].copy(), place[:, 1].copy(), postal]


def _companies(rng: np.random.Generator, count: int, surnames: Strings) -> tuple[Strings, Strings]:
    """``count`` company names (most with a legal suffix) and each one's web domain."""
    size = 3 * count
    word = COMPANY_WORDS[rng.integers(0, len(COMPANY_WORDS), size)]
    sector = SECTORS[rng.integers(0, len(SECTORS), size)]
    owners = surnames[rng.integers(0, len(surnames), (2, size))]
    pattern = rng.integers(0, 3, size)
    by_owner = np.where(pattern == 1, owners[0] + " " + sector, owners[0] + " & " + owners[1])
    core = pd.Series(np.where(pattern == 0, word + " " + sector, by_owner)).drop_duplicates()
    core = pd.Series(np.resize(core.to_numpy(dtype=object), count))
    domain = core.str.lower().str.replace(r"[^a-z0-9]", "", regex=True) + ".com"
    suffixes = np.array([""] + [" " + suffix for suffix in LEGAL_SUFFIXES], dtype=object)
    suffix = suffixes[rng.choice(len(suffixes), size=count, p=[0.3] + [0.7 / 6] * 6)]
    return core.to_numpy(dtype=object) + suffix, domain.to_numpy(dtype=object)


def _local_parts(rng: np.random.Generator, first: Strings, last: Strings) -> Strings:
    """Personal mailbox names in the usual patterns (jane.doe, jdoe, doe.jane, jane84...)."""
    templates = LOCAL_PARTS[rng.integers(0, len(LOCAL_PARTS), len(first))]
    digits = rng.integers(40, 100, len(first)).tolist()
    parts = zip(templates, first, last, digits, strict=True)
    return _objects(t.format(f, ln, f[0], d) for t, f, ln, d in parts)


def _unique_emails(rng: np.random.Generator, *columns: Strings) -> list[Strings]:
    """The addresses, a number appended where two would reach one mailbox (Gmail ignores dots)."""
    emails = np.concatenate(columns)
    numbers = rng.integers(1, 100, len(emails)).tolist()
    taken: set[str] = set()
    last_number: dict[str, int] = {}
    for i, email in enumerate(emails.tolist()):
        if email is None:
            continue
        local, _, domain = email.partition("@")
        mailbox = (local.replace(".", "") if domain == "gmail.com" else local) + "@" + domain
        suffix = ""
        if mailbox in taken:
            suffix = str(numbers[i])
            while mailbox.replace("@", suffix + "@") in taken:
                last_number[mailbox] = last_number.get(mailbox, 99) + 1
                suffix = str(last_number[mailbox])
            emails[i] = f"{local}{suffix}@{domain}"
        taken.add(mailbox.replace("@", suffix + "@"))
    return np.split(emails, len(columns))


def _present(mask: Bools, values: npt.NDArray[Any]) -> Strings:
    """``values`` (as Python objects) where ``mask`` holds, else ``None``."""
    out = values.astype(object)
    out[~mask] = None
    return out


def _text(template: str, numbers: Ints) -> Strings:
    return _objects(template % number for number in numbers.tolist())


def _objects(values: Iterable[str | None]) -> Strings:
    """A 1-d object array of ``str``/``None`` (never numpy's fixed-width strings)."""
    items = list(values)
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out
