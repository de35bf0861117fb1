"""The local HTTP API gateway, split by concern.

- :mod:`.server`: the gateway itself (HTTP on the shared loopback server, the request's path through
  auth, the function, logs and metrics);
- :mod:`.request`: the one :class:`Request` value every step reads, and its :class:`Outcome`;
- :mod:`.auth`: the callers' credentials and SigV4 verification (``obsctl.sigv4``);
- :mod:`.event`: the payload-format-2.0 event and the translation of the function's answer;
- :mod:`.access_log`, :mod:`.aws_metrics`, :mod:`.emf`: what CloudWatch receives.
"""

from local_platform.gateway.auth import Credentials
from local_platform.gateway.emf import emf_metric_data
from local_platform.gateway.event import http_response
from local_platform.gateway.request import Outcome, Request
from local_platform.gateway.server import MAX_PAYLOAD_BYTES, Exchange, LocalGateway

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "Credentials",
    "Exchange",
    "LocalGateway",
    "Outcome",
    "Request",
    "emf_metric_data",
    "http_response",
]
