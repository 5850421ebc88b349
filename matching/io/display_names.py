"""Dynamics 365's standard English display names of lead, contact and account columns, as
data: what a column header exported from Dynamics (an Excel template saved as CSV, a view
exported to Excel) means to leadflow.

:data:`DISPLAY_NAMES` covers only the fields leadflow's records have; each row names the
record types it applies to, since one label can mean different fields (``Business Phone``
and ``Main Phone`` are both ``telephone1``; ``Company Name`` is a lead's ``companyname``
but a contact's parent account). :data:`NOT_KEPT` lists the columns leadflow recognises
and leaves out on purpose, each with why, so that they are reported as ignored rather than
as unknown: Dataverse's own columns (owner, checksum, version), lookups, which an Excel
export fills with the name of the record they point at rather than its id, and common
fields leadflow has no place for. A test checks that every target is a real column of its
record type.

Sources: the Lead, Contact and Account entity references (Microsoft, Dynamics 365 Customer
Engagement developer guide), whose ``DisplayName`` of each attribute is the label here; a
lead's address columns are labelled ``Street 1``, ``City``... and a contact's or account's
``Address 1: Street 1``, ``Address 1: City``..., and both spellings are read for every
type. An Excel template's hidden columns are ``(Do Not Modify) <type>`` (the record's id),
``(Do Not Modify) Row Checksum`` and ``(Do Not Modify) Modified On``.
"""

from __future__ import annotations

__all__ = [
    "DISPLAY_NAMES",
    "LOOKUP",
    "NOT_KEPT",
    "NOT_KEPT_FIELD",
    "SECONDARY",
    "SYSTEM",
]

_ALL = ("lead", "contact", "account")
_PEOPLE = ("lead", "contact")
_LEAD = ("lead",)
_CONTACT = ("contact",)
_ACCOUNT = ("account",)
_ORGANISATIONS = ("contact", "account")

DISPLAY_NAMES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # (label, column, record types)
    ("(Do Not Modify) Lead", "leadid", _LEAD),
    ("(Do Not Modify) Contact", "contactid", _CONTACT),
    ("(Do Not Modify) Account", "accountid", _ACCOUNT),
    ("Status", "statecode", _ALL),
    ("Status Reason", "statuscode", _ALL),
    ("First Name", "firstname", _PEOPLE),
    ("Last Name", "lastname", _PEOPLE),
    ("Job Title", "jobtitle", _PEOPLE),
    ("Mobile Phone", "mobilephone", _PEOPLE),
    ("Business Phone", "telephone1", _PEOPLE),
    ("Main Phone", "telephone1", _ACCOUNT),
    ("Email", "emailaddress1", _ALL),
    ("Company Name", "companyname", _LEAD),
    ("Topic", "subject", _LEAD),
    ("Account Name", "name", _ACCOUNT),
    ("Street 1", "address1_line1", _ALL),
    ("Address 1: Street 1", "address1_line1", _ALL),
    ("City", "address1_city", _ALL),
    ("Address 1: City", "address1_city", _ALL),
    ("State/Province", "address1_stateorprovince", _ALL),
    ("Address 1: State/Province", "address1_stateorprovince", _ALL),
    ("ZIP/Postal Code", "address1_postalcode", _ALL),
    ("Address 1: ZIP/Postal Code", "address1_postalcode", _ALL),
    ("Country/Region", "address1_country", _ALL),
    ("Address 1: Country/Region", "address1_country", _ALL),
    ("Do not allow Emails", "donotemail", _ALL),
    ("Do not allow Bulk Emails", "donotbulkemail", _ALL),
    ("Do not allow Phone Calls", "donotphone", _ALL),
    ("Do not allow Mails", "donotpostalmail", _ALL),
    ("Marketing Material", "donotsendmm", _LEAD),
    ("Send Marketing Materials", "donotsendmm", _ORGANISATIONS),
    ("Follow Email Activity", "followemail", _ALL),
    ("Marketing Only", "marketingonly", _ORGANISATIONS),
    ("Merged", "merged", _ALL),
    ("Created On", "createdon", _ALL),
    ("Modified On", "modifiedon", _ALL),
    ("(Do Not Modify) Modified On", "modifiedon", _ALL),
)
"""Each display name, the column it means, and the record types it means it for."""

SECONDARY = frozenset({"(Do Not Modify) Modified On"})
"""Labels that give way to another column of the same meaning: an Excel export may carry
both ``Modified On`` and its hidden ``(Do Not Modify) Modified On``, and the visible one
is read."""

SYSTEM = "a column Dataverse keeps for itself"
LOOKUP = "a lookup, which Dynamics exports as the name of the record it points at, not its id"
NOT_KEPT_FIELD = "a Dynamics field leadflow does not keep"

NOT_KEPT: tuple[tuple[str, tuple[str, ...], str], ...] = (
    # (label or logical name, record types, why)
    ("(Do Not Modify) Row Checksum", _ALL, SYSTEM),
    ("Full Name", _PEOPLE, SYSTEM),
    ("fullname", _PEOPLE, SYSTEM),
    ("yomifullname", _PEOPLE, SYSTEM),
    ("Owner", _ALL, SYSTEM),
    ("ownerid", _ALL, SYSTEM),
    ("owneridtype", _ALL, SYSTEM),
    ("owninguser", _ALL, SYSTEM),
    ("owningteam", _ALL, SYSTEM),
    ("owningbusinessunit", _ALL, SYSTEM),
    ("Created By", _ALL, SYSTEM),
    ("createdby", _ALL, SYSTEM),
    ("Modified By", _ALL, SYSTEM),
    ("modifiedby", _ALL, SYSTEM),
    ("Created By (Delegate)", _ALL, SYSTEM),
    ("createdonbehalfby", _ALL, SYSTEM),
    ("Modified By (Delegate)", _ALL, SYSTEM),
    ("modifiedonbehalfby", _ALL, SYSTEM),
    ("Record Created On", _ALL, SYSTEM),
    ("overriddencreatedon", _ALL, SYSTEM),
    ("Import Sequence Number", _ALL, SYSTEM),
    ("importsequencenumber", _ALL, SYSTEM),
    ("Version Number", _ALL, SYSTEM),
    ("versionnumber", _ALL, SYSTEM),
    ("timezoneruleversionnumber", _ALL, SYSTEM),
    ("utcconversiontimezonecode", _ALL, SYSTEM),
    ("Currency", _ALL, SYSTEM),
    ("transactioncurrencyid", _ALL, SYSTEM),
    ("exchangerate", _ALL, SYSTEM),
    ("processid", _ALL, SYSTEM),
    ("stageid", _ALL, SYSTEM),
    ("traversedpath", _ALL, SYSTEM),
    ("address1_composite", _ALL, SYSTEM),
    ("address1_addressid", _ALL, SYSTEM),
    ("address2_addressid", _ALL, SYSTEM),
    ("Parent Contact for lead", _LEAD, LOOKUP),
    ("Parent Account for lead", _LEAD, LOOKUP),
    ("Customer", _LEAD, LOOKUP),
    ("Qualifying Opportunity", _LEAD, LOOKUP),
    ("Source Campaign", _LEAD, LOOKUP),
    ("Contact", _LEAD, LOOKUP),
    ("Account", _PEOPLE, LOOKUP),
    ("Company Name", _CONTACT, LOOKUP),
    ("Originating Lead", _ORGANISATIONS, LOOKUP),
    ("Primary Contact", _ACCOUNT, LOOKUP),
    ("Parent Account", _ACCOUNT, LOOKUP),
    ("Master ID", _ALL, LOOKUP),
    ("Middle Name", _PEOPLE, NOT_KEPT_FIELD),
    ("middlename", _PEOPLE, NOT_KEPT_FIELD),
    ("Salutation", _PEOPLE, NOT_KEPT_FIELD),
    ("salutation", _PEOPLE, NOT_KEPT_FIELD),
    ("Home Phone", _PEOPLE, NOT_KEPT_FIELD),
    ("Other Phone", _ACCOUNT, NOT_KEPT_FIELD),
    ("telephone2", _ALL, NOT_KEPT_FIELD),
    ("telephone3", _ALL, NOT_KEPT_FIELD),
    ("Fax", _ALL, NOT_KEPT_FIELD),
    ("fax", _ALL, NOT_KEPT_FIELD),
    ("Website", _ALL, NOT_KEPT_FIELD),
    ("websiteurl", _ALL, NOT_KEPT_FIELD),
    ("Description", _ALL, NOT_KEPT_FIELD),
    ("description", _ALL, NOT_KEPT_FIELD),
    ("Street 2", _ALL, NOT_KEPT_FIELD),
    ("Street 3", _ALL, NOT_KEPT_FIELD),
    ("Address 1: Street 2", _ALL, NOT_KEPT_FIELD),
    ("Address 1: Street 3", _ALL, NOT_KEPT_FIELD),
    ("address1_line2", _ALL, NOT_KEPT_FIELD),
    ("address1_line3", _ALL, NOT_KEPT_FIELD),
    ("Email Address 2", _ALL, NOT_KEPT_FIELD),
    ("emailaddress2", _ALL, NOT_KEPT_FIELD),
    ("Email Address 3", _ALL, NOT_KEPT_FIELD),
    ("emailaddress3", _ALL, NOT_KEPT_FIELD),
    ("Preferred Method of Contact", _ALL, NOT_KEPT_FIELD),
    ("preferredcontactmethodcode", _ALL, NOT_KEPT_FIELD),
    ("Lead Source", _LEAD, NOT_KEPT_FIELD),
    ("leadsourcecode", _LEAD, NOT_KEPT_FIELD),
    ("Rating", _LEAD, NOT_KEPT_FIELD),
    ("leadqualitycode", _LEAD, NOT_KEPT_FIELD),
    ("Industry", _ALL, NOT_KEPT_FIELD),
    ("industrycode", _ALL, NOT_KEPT_FIELD),
    ("Annual Revenue", _LEAD + _ACCOUNT, NOT_KEPT_FIELD),
    ("revenue", _LEAD + _ACCOUNT, NOT_KEPT_FIELD),
    ("No. of Employees", _LEAD + _ACCOUNT, NOT_KEPT_FIELD),
    ("numberofemployees", _LEAD + _ACCOUNT, NOT_KEPT_FIELD),
    ("Department", _CONTACT, NOT_KEPT_FIELD),
    ("department", _CONTACT, NOT_KEPT_FIELD),
    ("Account Number", _ACCOUNT, NOT_KEPT_FIELD),
    ("accountnumber", _ACCOUNT, NOT_KEPT_FIELD),
)
"""Columns leadflow recognises and does not import, with the reason each is left out."""
