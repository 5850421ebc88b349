"""The synthetic CRM (matching.dedupe.synthetic): seeded, shaped as the issue asks, and
carrying the hard negatives (colleagues, relatives, common names) a matcher must keep apart."""

from __future__ import annotations

import itertools
import re
import sys

import pandas as pd
import pytest

from lifecycle.errors import InvalidFieldError
from matching.dedupe.synthetic import generate_crm

N = 5000
COLUMNS = [
    "contactid",
    "person_id",
    "firstname",
    "lastname",
    "emailaddress1",
    "telephone1",
    "mobilephone",
    "companyname",
    "jobtitle",
    "address1_line1",
    "address1_city",
    "address1_stateorprovince",
    "address1_postalcode",
    "birthdate",
]
FREE_PROVIDERS = r"@(?:gmail|yahoo|outlook|hotmail|aol|icloud)\.com$|@comcast\.net$"


@pytest.fixture(scope="module")
def crm() -> pd.DataFrame:
    return generate_crm(N, seed=7)


def _digits(phones: pd.Series) -> pd.Series:
    """The 10-digit US number behind each way of writing it."""
    return phones.str.replace(r"\D", "", regex=True).str[-10:]


def _mailbox(emails: pd.Series) -> pd.Series:
    """The mailbox an address reaches: ``+tags`` ignored, and dots too at Gmail."""
    local = emails.str.split("@").str[0].str.replace(r"\+.*", "", regex=True)
    domain = emails.str.split("@").str[1]
    local = local.where(domain != "gmail.com", local.str.replace(".", "", regex=False))
    return local + "@" + domain


def _groups_sharing(crm: pd.DataFrame, key: pd.Series) -> pd.DataFrame:
    """The records whose ``key`` (None where missing) is shared by two or more people."""
    frame = crm.assign(key=key).dropna(subset=["key"])
    people = frame.groupby("key")["person_id"].transform("nunique")
    return frame[people >= 2]


def _colleagues(crm: pd.DataFrame) -> pd.DataFrame:
    return _groups_sharing(crm, crm["companyname"] + "|" + _digits(crm["telephone1"]))


def _relatives(crm: pd.DataFrame) -> pd.DataFrame:
    """Records sharing a surname, home phone and address (colleagues' records left out: two
    colleagues called David, each with a record of swapped names, share all three)."""
    home = crm[~crm["contactid"].isin(_colleagues(crm)["contactid"])]
    key = home["lastname"] + "|" + _digits(home["telephone1"]) + "|" + home["address1_line1"]
    return _groups_sharing(home, key)


def _no_value_shared_across_people(groups: pd.DataFrame, column: pd.Series) -> bool:
    pairs = groups.assign(value=column).dropna(subset=["value"])
    return bool((pairs.groupby(["key", "value"])["person_id"].nunique() == 1).all())


def test_the_same_seed_gives_the_same_frame() -> None:
    pd.testing.assert_frame_equal(generate_crm(800, seed=3), generate_crm(800, seed=3))


def test_a_different_seed_gives_different_people() -> None:
    one, other = generate_crm(800, seed=3), generate_crm(800, seed=4)
    assert not one.equals(other)
    assert one["lastname"].tolist()[:50] != other["lastname"].tolist()[:50]


def test_the_columns_are_the_dataverse_ones_and_values_are_str_or_none(crm: pd.DataFrame) -> None:
    assert list(crm.columns) == COLUMNS
    for column in COLUMNS:
        assert all(value is None or type(value) is str for value in crm[column]), column
    assert crm[["contactid", "person_id", "lastname"]].notna().all().all()


def test_no_people_gives_an_empty_frame_with_the_columns() -> None:
    empty = generate_crm(0)
    assert list(empty.columns) == COLUMNS
    assert empty.empty


@pytest.mark.parametrize("n_people", [1, 2, 3, 7, 30])
def test_a_handful_of_people_works(n_people: int) -> None:
    for seed in range(5):
        crm = generate_crm(n_people, seed=seed)
        assert crm["person_id"].nunique() == n_people
        assert list(crm.columns) == COLUMNS


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(InvalidFieldError, match="n_people"):
        generate_crm(-1)


def test_without_faker_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "faker.providers.person.en_US", None)
    with pytest.raises(ImportError, match=r"leadflow\[test\]"):
        generate_crm(10)


def test_contactid_is_unique(crm: pd.DataFrame) -> None:
    assert crm["contactid"].is_unique


def test_every_person_has_one_to_five_records(crm: pd.DataFrame) -> None:
    records = crm.groupby("person_id").size()
    assert len(records) == N
    assert records.between(1, 5).all()


def test_most_people_have_no_duplicate_and_the_rest_fewer_and_fewer(crm: pd.DataFrame) -> None:
    duplicates = crm.groupby("person_id").size() - 1
    assert 0.4 <= duplicates.mean() <= 1.2
    assert 0.5 <= (duplicates == 0).mean() <= 0.7
    shares = duplicates.value_counts().sort_index()
    assert list(shares.index) == [0, 1, 2, 3, 4]
    assert shares.is_monotonic_decreasing
    assert 1.4 * N <= len(crm) <= 2.0 * N


def test_a_duplicate_differs_from_its_original(crm: pd.DataFrame) -> None:
    several = crm[crm.duplicated("person_id", keep=False)]
    distinct = several.drop(columns="contactid").drop_duplicates()
    assert (distinct.groupby("person_id").size() >= 2).mean() > 0.99


def test_no_mailbox_belongs_to_two_people(crm: pd.DataFrame) -> None:
    emails = crm.dropna(subset=["emailaddress1"])
    owners = emails.groupby(_mailbox(emails["emailaddress1"]))["person_id"].nunique()
    assert (owners == 1).all()


def test_gmail_duplicates_move_dots_and_add_tags(crm: pd.DataFrame) -> None:
    gmail = crm[crm["emailaddress1"].str.endswith("@gmail.com", na=False)]
    assert 0.3 <= len(gmail) / crm["emailaddress1"].notna().sum() <= 0.5
    spellings = gmail.groupby(["person_id", _mailbox(gmail["emailaddress1"])])["emailaddress1"]
    variants = [set(group) for _, group in spellings if group.nunique() > 1]
    assert any("+" in email for spelling in variants for email in spelling)
    untagged = [{email for email in spelling if "+" not in email} for spelling in variants]
    assert any(len(spelling) > 1 for spelling in untagged)


def test_colleagues_share_a_company_office_phone_and_address_but_not_identity(
    crm: pd.DataFrame,
) -> None:
    colleagues = _colleagues(crm)
    assert 0.15 <= colleagues["person_id"].nunique() / N <= 0.35
    assert colleagues.groupby("key")["person_id"].nunique().max() <= 6
    name = colleagues["firstname"].str.lower() + " " + colleagues["lastname"].str.lower()
    assert _no_value_shared_across_people(colleagues, name)
    assert _no_value_shared_across_people(colleagues, _digits(colleagues["mobilephone"]))
    assert _no_value_shared_across_people(colleagues, colleagues["emailaddress1"])
    addresses = colleagues.dropna(subset=["address1_line1"]).groupby("key")["address1_line1"]
    assert (addresses.nunique() == 1).mean() > 0.9
    at_work = ~colleagues["emailaddress1"].str.contains(FREE_PROVIDERS, na=True)
    assert at_work.mean() > 0.6


def test_relatives_share_a_surname_home_phone_and_address_but_not_identity(
    crm: pd.DataFrame,
) -> None:
    relatives = _relatives(crm)
    assert 0.07 <= relatives["person_id"].nunique() / N <= 0.18
    assert relatives.groupby("key")["person_id"].nunique().max() <= 4
    assert _no_value_shared_across_people(relatives, relatives["firstname"].str.lower())
    assert _no_value_shared_across_people(relatives, relatives["emailaddress1"])
    born = relatives.dropna(subset=["birthdate"]).drop_duplicates(["key", "person_id"])
    for _, family in born.groupby("key"):
        dates = pd.to_datetime(family["birthdate"])
        for one, other in itertools.combinations(dates, 2):
            assert abs((one - other).days) >= 2 * 365


def test_different_people_share_common_names(crm: pd.DataFrame) -> None:
    people = crm.groupby(["firstname", "lastname"])["person_id"].transform("nunique")
    namesakes = crm[people >= 3].drop_duplicates("person_id")
    assert namesakes.groupby(["firstname", "lastname"]).ngroups >= 3
    assert namesakes["emailaddress1"].dropna().is_unique
    assert _digits(namesakes["mobilephone"]).dropna().is_unique


def test_phones_are_us_numbers_in_several_formats(crm: pd.DataFrame) -> None:
    phones = pd.concat([crm["telephone1"], crm["mobilephone"]]).dropna()
    digits = phones.str.replace(r"\D", "", regex=True)
    assert (
        (digits.str.len() == 10) | ((digits.str.len() == 11) & digits.str.startswith("1"))
    ).all()
    shapes = phones.str.replace(r"\d", "9", regex=True).value_counts(normalize=True)
    assert len(shapes) >= 5
    assert shapes.max() < 0.5


def test_birthdates_are_iso_on_about_half_the_records(crm: pd.DataFrame) -> None:
    dates = crm["birthdate"].dropna()
    assert 0.4 <= len(dates) / len(crm) <= 0.6
    assert dates.map(lambda date: re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) is not None).all()
    assert pd.to_datetime(dates).dt.year.between(1930, 2010).all()


def test_optional_fields_are_sometimes_missing(crm: pd.DataFrame) -> None:
    missing = crm[COLUMNS[2:]].isna().mean()
    assert missing["lastname"] == 0
    assert missing.drop("lastname").between(0.01, 0.6).all()
