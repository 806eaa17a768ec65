"""Identity: two records are one item when their dates and folded titles are equal;
ids come from that alone and never change."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from feeds.catalog.identity import (
    NAMESPACE,
    feed_id,
    id_from_key,
    identity_key,
    normalise_text,
    query_feed_id,
)
from feeds.model import Kind

from .records import record


def test_identity_ignores_quotes_dashes_case_space_and_forms() -> None:
    a = record("OSCE’s “Mission” – report")
    b = record('osce\'s "mission"  - REPORT')
    assert identity_key(a) == identity_key(b)
    assert identity_key(a) != identity_key(record("OSCE’s “Mission” – report", day=2))
    assert normalise_text("ﬁrst\u00a0 Niš") == "first niš"


@given(st.text())
def test_an_entry_id_is_the_name_based_uuid_of_its_key(key: str) -> None:
    assert id_from_key(key) == f"urn:uuid:{uuid.uuid5(NAMESPACE, key)}"


def test_published_ids_never_change() -> None:
    """Readers know feeds and entries by these ids: the same item and the same feed
    give the same id in every version."""
    key = identity_key(record("OSCE Mission to Serbia supports police training"))
    assert id_from_key(key) == "urn:uuid:1df2bbd7-85c9-59bc-a51a-bebc78c79364"
    assert feed_id(None) == "urn:uuid:b7d23961-575e-5329-a6cf-a863965d71a8"
    assert feed_id(Kind.MISSION, "OSCE Mission to Serbia") == (
        "urn:uuid:c543da42-e8fb-508d-a6ea-050b86fd2a82"
    )
    assert query_feed_id("mission=osce-mission-to-serbia") == (
        "urn:uuid:ee003aaa-6da4-5573-83c9-b9e584b903e8"
    )


def test_a_feed_id_ignores_how_its_name_is_spelled() -> None:
    mission = feed_id(Kind.MISSION, "OSCE Mission to Serbia")
    assert feed_id(Kind.MISSION, "OSCE  MISSION to Serbia") == mission
    assert feed_id(Kind.TOPIC, "OSCE Mission to Serbia") != mission
