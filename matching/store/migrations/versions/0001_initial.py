"""Initial schema: records, consents, history, interactions, suppressions, tombstones, keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("accountid", sa.String(length=100), nullable=False),
        sa.Column("statecode", sa.SmallInteger(), nullable=False),
        sa.Column("statuscode", sa.SmallInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("emailaddress1", sa.Text(), nullable=True),
        sa.Column("telephone1", sa.Text(), nullable=True),
        sa.Column("address1_line1", sa.Text(), nullable=True),
        sa.Column("address1_city", sa.Text(), nullable=True),
        sa.Column("address1_stateorprovince", sa.Text(), nullable=True),
        sa.Column("address1_postalcode", sa.Text(), nullable=True),
        sa.Column("address1_country", sa.Text(), nullable=True),
        sa.Column("donotemail", sa.Boolean(), nullable=False),
        sa.Column("donotbulkemail", sa.Boolean(), nullable=False),
        sa.Column("donotsendmm", sa.Boolean(), nullable=False),
        sa.Column("donotphone", sa.Boolean(), nullable=False),
        sa.Column("donotpostalmail", sa.Boolean(), nullable=False),
        sa.Column("followemail", sa.Boolean(), nullable=False),
        sa.Column("merged", sa.Boolean(), nullable=False),
        sa.Column("masterid", sa.Text(), nullable=True),
        sa.Column("anonymized", sa.Boolean(), nullable=False),
        sa.Column("createdon", sa.DateTime(), nullable=True),
        sa.Column("modifiedon", sa.DateTime(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("primarycontactid", sa.Text(), nullable=True),
        sa.Column("parentaccountid", sa.Text(), nullable=True),
        sa.Column("originatingleadid", sa.Text(), nullable=True),
        sa.Column("marketingonly", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("accountid", name=op.f("pk_accounts")),
    )
    op.create_index(op.f("ix_accounts_modifiedon"), "accounts", ["modifiedon"], unique=False)
    op.create_index(
        op.f("ix_accounts_parentaccountid"), "accounts", ["parentaccountid"], unique=False
    )
    op.create_table(
        "claims",
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("record_type", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("strategy", "key", name=op.f("pk_claims")),
    )
    op.create_index(
        op.f("ix_claims_record_type_record_id"),
        "claims",
        ["record_type", "record_id"],
        unique=False,
    )
    op.create_table(
        "consents",
        sa.Column("consentid", sa.String(length=100), nullable=False),
        sa.Column("record_type", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("policy", sa.Text(), nullable=True),
        sa.Column("valid_until", sa.DateTime(), nullable=True),
        sa.Column("given_on", sa.DateTime(), nullable=True),
        sa.Column("explicit", sa.Boolean(), nullable=False),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("record_type", "record_id", "consentid", name=op.f("pk_consents")),
    )
    op.create_table(
        "contact_point_consents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("contact_point", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=True),
        sa.Column("value", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_point_consents")),
    )
    op.create_index(
        op.f("ix_contact_point_consents_contact_point"),
        "contact_point_consents",
        ["contact_point"],
        unique=False,
    )
    op.create_table(
        "contacts",
        sa.Column("contactid", sa.String(length=100), nullable=False),
        sa.Column("statecode", sa.SmallInteger(), nullable=False),
        sa.Column("statuscode", sa.SmallInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("emailaddress1", sa.Text(), nullable=True),
        sa.Column("telephone1", sa.Text(), nullable=True),
        sa.Column("address1_line1", sa.Text(), nullable=True),
        sa.Column("address1_city", sa.Text(), nullable=True),
        sa.Column("address1_stateorprovince", sa.Text(), nullable=True),
        sa.Column("address1_postalcode", sa.Text(), nullable=True),
        sa.Column("address1_country", sa.Text(), nullable=True),
        sa.Column("donotemail", sa.Boolean(), nullable=False),
        sa.Column("donotbulkemail", sa.Boolean(), nullable=False),
        sa.Column("donotsendmm", sa.Boolean(), nullable=False),
        sa.Column("donotphone", sa.Boolean(), nullable=False),
        sa.Column("donotpostalmail", sa.Boolean(), nullable=False),
        sa.Column("followemail", sa.Boolean(), nullable=False),
        sa.Column("merged", sa.Boolean(), nullable=False),
        sa.Column("masterid", sa.Text(), nullable=True),
        sa.Column("anonymized", sa.Boolean(), nullable=False),
        sa.Column("createdon", sa.DateTime(), nullable=True),
        sa.Column("modifiedon", sa.DateTime(), nullable=True),
        sa.Column("firstname", sa.Text(), nullable=True),
        sa.Column("lastname", sa.Text(), nullable=True),
        sa.Column("mobilephone", sa.Text(), nullable=True),
        sa.Column("jobtitle", sa.Text(), nullable=True),
        sa.Column("consent_restricted", sa.Boolean(), nullable=False),
        sa.Column("consent_inherent", sa.Boolean(), nullable=False),
        sa.Column("parentcustomerid", sa.Text(), nullable=True),
        sa.Column("originatingleadid", sa.Text(), nullable=True),
        sa.Column("marketingonly", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("contactid", name=op.f("pk_contacts")),
    )
    op.create_index(op.f("ix_contacts_modifiedon"), "contacts", ["modifiedon"], unique=False)
    op.create_index(
        op.f("ix_contacts_parentcustomerid"), "contacts", ["parentcustomerid"], unique=False
    )
    op.create_table(
        "history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_type", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("trigger", sa.String(length=64), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=False),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history")),
        sa.UniqueConstraint(
            "record_type", "record_id", "seq", name=op.f("uq_history_record_type_record_id_seq")
        ),
    )
    op.create_table(
        "interactions",
        sa.Column("interactionid", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("contactid", sa.String(length=100), nullable=True),
        sa.Column("leadid", sa.String(length=100), nullable=True),
        sa.Column("formid", sa.Text(), nullable=True),
        sa.Column("pageid", sa.Text(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("interactionid", name=op.f("pk_interactions")),
    )
    op.create_index(op.f("ix_interactions_contactid"), "interactions", ["contactid"], unique=False)
    op.create_index(op.f("ix_interactions_leadid"), "interactions", ["leadid"], unique=False)
    op.create_table(
        "leads",
        sa.Column("leadid", sa.String(length=100), nullable=False),
        sa.Column("statecode", sa.SmallInteger(), nullable=False),
        sa.Column("statuscode", sa.SmallInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("emailaddress1", sa.Text(), nullable=True),
        sa.Column("telephone1", sa.Text(), nullable=True),
        sa.Column("address1_line1", sa.Text(), nullable=True),
        sa.Column("address1_city", sa.Text(), nullable=True),
        sa.Column("address1_stateorprovince", sa.Text(), nullable=True),
        sa.Column("address1_postalcode", sa.Text(), nullable=True),
        sa.Column("address1_country", sa.Text(), nullable=True),
        sa.Column("donotemail", sa.Boolean(), nullable=False),
        sa.Column("donotbulkemail", sa.Boolean(), nullable=False),
        sa.Column("donotsendmm", sa.Boolean(), nullable=False),
        sa.Column("donotphone", sa.Boolean(), nullable=False),
        sa.Column("donotpostalmail", sa.Boolean(), nullable=False),
        sa.Column("followemail", sa.Boolean(), nullable=False),
        sa.Column("merged", sa.Boolean(), nullable=False),
        sa.Column("masterid", sa.Text(), nullable=True),
        sa.Column("anonymized", sa.Boolean(), nullable=False),
        sa.Column("createdon", sa.DateTime(), nullable=True),
        sa.Column("modifiedon", sa.DateTime(), nullable=True),
        sa.Column("firstname", sa.Text(), nullable=True),
        sa.Column("lastname", sa.Text(), nullable=True),
        sa.Column("mobilephone", sa.Text(), nullable=True),
        sa.Column("jobtitle", sa.Text(), nullable=True),
        sa.Column("consent_restricted", sa.Boolean(), nullable=False),
        sa.Column("consent_inherent", sa.Boolean(), nullable=False),
        sa.Column("companyname", sa.Text(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("parentcontactid", sa.Text(), nullable=True),
        sa.Column("parentaccountid", sa.Text(), nullable=True),
        sa.Column("customerid", sa.Text(), nullable=True),
        sa.Column("qualifyingopportunityid", sa.Text(), nullable=True),
        sa.Column("campaignid", sa.Text(), nullable=True),
        sa.Column("msdyncrm_marketingformid", sa.Text(), nullable=True),
        sa.Column("msdyncrm_marketingpageid", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("leadid", name=op.f("pk_leads")),
    )
    op.create_index(op.f("ix_leads_modifiedon"), "leads", ["modifiedon"], unique=False)
    op.create_index(op.f("ix_leads_parentaccountid"), "leads", ["parentaccountid"], unique=False)
    op.create_index(op.f("ix_leads_parentcontactid"), "leads", ["parentcontactid"], unique=False)
    op.create_table(
        "match_keys",
        sa.Column("record_type", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "record_type", "field", "key", "record_id", name=op.f("pk_match_keys")
        ),
    )
    op.create_index(
        op.f("ix_match_keys_record_type_record_id"),
        "match_keys",
        ["record_type", "record_id"],
        unique=False,
    )
    op.create_table(
        "suppressions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("address_digest", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=True),
        sa.Column("sending_account", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppressions")),
    )
    op.create_index(
        op.f("ix_suppressions_address_digest"), "suppressions", ["address_digest"], unique=False
    )
    op.create_table(
        "tombstones",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("email_digest", sa.String(length=64), nullable=False),
        sa.Column("record_type", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("deletedon", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tombstones")),
    )
    op.create_index(
        op.f("ix_tombstones_email_digest"), "tombstones", ["email_digest"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_tombstones_email_digest"), table_name="tombstones")
    op.drop_table("tombstones")
    op.drop_index(op.f("ix_suppressions_address_digest"), table_name="suppressions")
    op.drop_table("suppressions")
    op.drop_index(op.f("ix_match_keys_record_type_record_id"), table_name="match_keys")
    op.drop_table("match_keys")
    op.drop_index(op.f("ix_leads_parentcontactid"), table_name="leads")
    op.drop_index(op.f("ix_leads_parentaccountid"), table_name="leads")
    op.drop_index(op.f("ix_leads_modifiedon"), table_name="leads")
    op.drop_table("leads")
    op.drop_index(op.f("ix_interactions_leadid"), table_name="interactions")
    op.drop_index(op.f("ix_interactions_contactid"), table_name="interactions")
    op.drop_table("interactions")
    op.drop_table("history")
    op.drop_index(op.f("ix_contacts_parentcustomerid"), table_name="contacts")
    op.drop_index(op.f("ix_contacts_modifiedon"), table_name="contacts")
    op.drop_table("contacts")
    op.drop_index(
        op.f("ix_contact_point_consents_contact_point"), table_name="contact_point_consents"
    )
    op.drop_table("contact_point_consents")
    op.drop_table("consents")
    op.drop_index(op.f("ix_claims_record_type_record_id"), table_name="claims")
    op.drop_table("claims")
    op.drop_index(op.f("ix_accounts_parentaccountid"), table_name="accounts")
    op.drop_index(op.f("ix_accounts_modifiedon"), table_name="accounts")
    op.drop_table("accounts")
