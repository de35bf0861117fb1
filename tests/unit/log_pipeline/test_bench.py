"""The benchmark only credits a rate when its sink received every event the shipper was given."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.shipper import SHIPPER_PATH, bulk_sink, make_payload, make_shipper, measure_batch
from log_pipeline.dead_letters import DirectoryDeadLetters, read_records


@pytest.fixture(scope="module")
def sink() -> Iterator[str]:
    with bulk_sink() as url:
        yield url


def test_a_shipper_that_indexes_everything_has_its_rate_counted(sink):
    figures, missed = measure_batch(make_shipper(sink + SHIPPER_PATH), sink, 30, make_payload(30), repeats=2)

    assert figures["sink_documents_received"] == figures["sink_documents_expected"] == 60
    assert not [miss for miss in missed if "sink received" in miss]


def test_a_shipper_failing_every_item_misses_the_target(sink, tmp_path: Path):
    # Given: every document is larger than the bulk limit, so the shipper dead-letters all of them
    payload = make_payload(20)
    for event in payload["logEvents"]:
        event["message"] = "x" * 3000
    shipper = make_shipper(sink + SHIPPER_PATH, bulk_max_bytes=1024)
    shipper.dead_letters = DirectoryDeadLetters(tmp_path)

    figures, missed = measure_batch(shipper, sink, 20, payload, repeats=2)

    assert figures["sink_documents_received"] == 0
    assert (
        "20 events: the sink received 0 documents from the shipper's 2 timed runs, expected 40 "
        "(events minus EMF skipped)"
    ) in missed
    assert sum(len(record["events"]) for _where, record in read_records(str(tmp_path))) == 4 * 20
