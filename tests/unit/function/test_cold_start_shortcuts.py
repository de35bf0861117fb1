"""The two cold-start shortcuts keep behaviour: the S3-only botocore session, the paused collector."""

from __future__ import annotations

import gc
from typing import Any

import botocore.session
import pytest
from botocore import handlers
from botocore.loaders import Loader

from function import gc_pause
from function.listing import BOTOCORE_DATA_DIR, OPERATION, s3_session, serves_s3

from .support import BUCKET, REGION, list_event


def _handler_chain(events: Any, event_name: str) -> list[str]:
    """The handlers botocore would call for ``event_name``, by name, in calling order.

    botocore has no public listing of an emitter's handlers; this reads the same prefix trie that
    ``emit`` walks (``HierarchicalEmitter._handlers``) after the same event-name aliasing.
    """
    aliased = events._alias_event_name(event_name)
    found = events._emitter._handlers.prefix_search(aliased)
    return [
        f"{getattr(h, '__module__', '?')}.{getattr(h, '__qualname__', type(h).__qualname__)}" for h in found
    ]


def _bundled(session: botocore.session.Session) -> botocore.session.Session:
    loader = Loader(extra_search_paths=[BOTOCORE_DATA_DIR], include_default_search_paths=False)
    session.register_component("data_loader", loader)
    return session


class _Recorder:
    """Collects the name of every event a client emits."""

    def __init__(self, events: Any) -> None:
        self.names: list[str] = []
        for method in ("emit", "emit_until_response"):
            original = getattr(events, method)
            setattr(events, method, self._wrap(original))

    def _wrap(self, original: Any) -> Any:
        def recording(event_name: str, **kwargs: Any) -> Any:
            self.names.append(event_name)
            return original(event_name, **kwargs)

        return recording


@pytest.fixture
def clients(s3: Any) -> tuple[Any, Any]:
    """botocore's stock session and ours, both on the bundle (same model), against moto's S3."""
    stock = _bundled(botocore.session.get_session()).create_client("s3", REGION)
    ours = _bundled(s3_session()).create_client("s3", REGION)
    return stock, ours


def test_s3_client_sees_the_stock_handler_chain_for_every_event_it_emits(clients: tuple[Any, Any]) -> None:
    stock, ours = clients
    recorder = _Recorder(stock.meta.events)
    stock.list_objects_v2(Bucket=BUCKET, MaxKeys=5)
    with pytest.raises(stock.exceptions.NoSuchBucket):
        stock.list_objects_v2(Bucket="no-such-bucket-here")
    assert f"before-call.s3.{OPERATION}" in recorder.names
    assert any(name.startswith("needs-retry.s3.") for name in recorder.names)
    for name in sorted(set(recorder.names)):
        assert _handler_chain(ours.meta.events, name) == _handler_chain(stock.meta.events, name), name
    # and the chains are not trivially empty: botocore's S3 customisations are there
    assert "botocore.handlers.validate_bucket_name" in _handler_chain(
        ours.meta.events, f"before-parameter-build.s3.{OPERATION}"
    )


def test_s3_session_keeps_every_builtin_handler_an_s3_client_can_reach() -> None:
    stock, ours = botocore.session.get_session(), s3_session()
    stock_events, our_events = stock.get_component("event_emitter"), ours.get_component("event_emitter")
    names = {spec[0] for spec in handlers.BUILTIN_HANDLERS}
    s3_names = {name for name in names if serves_s3(name)}
    assert {"creating-client-class.s3", "before-call.s3", "choose-service-name", "before-send"} <= s3_names
    for name in sorted(s3_names | {f"before-call.s3.{OPERATION}", f"docs.request-params.s3.{OPERATION}"}):
        assert _handler_chain(our_events, name) == _handler_chain(stock_events, name), name
    for name in ("before-call.ec2.CopySnapshot", "docs.*.iam.ListUsers.complete-section", "after-call.iam"):
        assert not serves_s3(name)
        # only the handlers for every service are left; the other service's own ones are gone
        ours_chain, stock_chain = _handler_chain(our_events, name), _handler_chain(stock_events, name)
        assert len(ours_chain) < len(stock_chain) and set(ours_chain) < set(stock_chain), name


def test_serves_s3_reads_the_service_part_of_an_event_name() -> None:
    assert serves_s3("before-send")
    assert serves_s3("before-parameter-build.s3.ListObjectsV2")
    assert serves_s3("docs.*.s3.CopyObject.complete-section")
    assert serves_s3("docs.request-params")
    assert not serves_s3("before-parameter-build.s3-control")
    assert not serves_s3("docs.*.glacier.*.complete-section")


def test_pause_and_resume_restore_the_collector_state() -> None:
    assert gc.isenabled()
    was_enabled = gc_pause.pause()
    try:
        assert was_enabled and not gc.isenabled()
        inner = gc_pause.pause()  # nested: the inner resume must not switch it back on
        gc_pause.resume(inner, freeze=False)
        assert not gc.isenabled()
    finally:
        gc_pause.resume(was_enabled, freeze=False)
    assert gc.isenabled()


def test_resume_with_freeze_moves_live_objects_to_the_permanent_generation() -> None:
    before = gc.get_freeze_count()
    survivor = [object() for _ in range(100)]
    gc_pause.resume(gc_pause.pause(), freeze=True)
    assert gc.get_freeze_count() >= before + len(survivor)
    assert gc.isenabled()


def test_runtime_creation_leaves_the_collector_on_even_when_it_fails(
    s3: Any, invoke: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from function import app

    response, _ = invoke(list_event())
    assert response["statusCode"] == 200 and gc.isenabled()
    app.reset_runtime()
    monkeypatch.delenv("BUCKET_NAME")
    with pytest.raises(Exception, match="BUCKET_NAME"):
        invoke(list_event())
    assert gc.isenabled()
