"""Demo step 1: scripted API traffic through the SigV4 gateway, good and bad."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import quote

from local_platform.demo.context import DemoContext

__all__ = ["BAD_REQUESTS", "PAGE_SIZE", "DemoCheckFailed", "run"]

PAGE_SIZE = 40
BAD_REQUESTS: tuple[tuple[str, int], ...] = (
    ("/objects?limit=0", 400),
    ("/objects?limit=1001", 400),
    ("/objects?limit=ten", 400),
    ("/objects?colour=blue", 400),
    ("/objects?next_token=not-a-token", 400),
    ("/objects?prefix=" + quote("bad\x01prefix", safe=""), 400),
    ("/objects/unknown", 404),
)


class DemoCheckFailed(Exception):
    """A demo expectation did not hold; the demo exits non-zero with this message."""


def run(ctx: DemoContext) -> None:
    assert ctx.send is not None and ctx.clock is not None
    statuses: Counter[int] = Counter()

    def send(path: str) -> tuple[int, dict[str, Any]]:
        status, body, _request_id = ctx.send("GET", path)  # type: ignore[misc]
        statuses[status] += 1
        return status, body

    # 1. Page through every object.
    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        path = f"/objects?limit={PAGE_SIZE}" + (f"&next_token={quote(token, safe='')}" if token else "")
        status, body = send(path)
        if status != 200:
            raise DemoCheckFailed(f"paging: {path} answered {status}: {body}")
        seen.extend(item["key"] for item in body["items"])
        pages += 1
        token = body.get("next_token")
        ctx.clock.advance(5)
        if not token:
            break
    if len(seen) != len(set(seen)):
        raise DemoCheckFailed("paging returned a key twice")
    ctx.say(f"paged through {len(seen)} objects in {pages} pages of up to {PAGE_SIZE}, each key once")

    status, body = send("/objects?prefix=reports/&limit=5")
    if status != 200 or not all(i["key"].startswith("reports/") for i in body["items"]):
        raise DemoCheckFailed(f"prefix listing failed: {status} {body}")
    ctx.say(f"prefix 'reports/': {body['count']} items on the first page")

    # 2. Bad parameters and unknown routes: fixed 4xx bodies, never a 500.
    for path, expected in BAD_REQUESTS:
        status, body = send(path)
        if status != expected:
            raise DemoCheckFailed(f"{path}: expected {expected}, got {status} {body}")
        ctx.say(f"{expected} for {path!r}: {body.get('message')}")
        ctx.clock.advance(2)

    # 3. Requests the gateway must refuse before the function runs.
    for label, status, body in _auth_failures(ctx):
        statuses[status] += 1
        if status != 403:
            raise DemoCheckFailed(f"{label}: expected 403, got {status}")
        ctx.say(f"403 for {label}: {body.get('message')}")

    ctx.say(
        f"{sum(statuses.values())} requests: " + ", ".join(f"{n}x {c}" for c, n in sorted(statuses.items()))
    )
    ctx.summary["objects_listed"] = len(seen)


def _auth_failures(ctx: DemoContext) -> list[tuple[str, int, dict[str, Any]]]:
    from obsctl import client, sigv4

    url = f"{ctx.api_url}/objects?limit=5"
    out: list[tuple[str, int, dict[str, Any]]] = []

    unsigned = client.request("GET", url, access_key=None, secret_key=None, region=ctx.names.region)
    out.append(("an unsigned request", unsigned.status, unsigned.json()))

    headers = sigv4.sign("GET", url, {}, None, ctx.access_key, ctx.secret_key, ctx.names.region)
    tampered = client.request(
        "GET",
        url.replace("limit=5", "limit=500"),
        access_key=None,
        secret_key=None,
        region=ctx.names.region,
        headers=headers,
    )
    out.append(("a tampered request (query changed after signing)", tampered.status, tampered.json()))

    wrong_region = client.request(
        "GET", url, access_key=ctx.access_key, secret_key=ctx.secret_key, region="us-east-1"
    )
    out.append(("a signature for the wrong region", wrong_region.status, wrong_region.json()))

    wrong_secret = client.request(
        "GET", url, access_key=ctx.access_key, secret_key=ctx.secret_key + "x", region=ctx.names.region
    )
    out.append(("a wrong secret key", wrong_secret.status, wrong_secret.json()))
    # Refused requests have API request ids and access-log lines too: the log step looks for them.
    ctx.request_ids.extend(r.request_id for r in (unsigned, tampered, wrong_region, wrong_secret))
    return out
