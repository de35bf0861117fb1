"""Who may call the local HTTP API: its callers' credentials, checked as API Gateway's IAM auth does.

Long-term keys (``AKIA...``, the default ``testing``) carry no session token; temporary credentials
(``ASIA...``, from STS) are only valid with their own token, signed. The gateway knows its callers
(there is no STS to ask), so an unknown key or token is refused with API Gateway's message.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from local_platform.gateway.request import Request
from obsctl import sigv4

__all__ = [
    "Credentials",
    "authenticate",
    "loopback_hosts",
]


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    session_token: str | None = None
    account_id: str = "123456789012"
    user_name: str = "local-caller"

    @property
    def caller(self) -> sigv4.Caller:
        """The identity API Gateway reports: a user for long-term keys, an assumed role for temporary ones."""
        unique = f"{self.access_key.upper()[:16]:0<16}"
        if self.session_token is not None:
            return sigv4.Caller(
                access_key=self.access_key,
                account_id=self.account_id,
                user_arn=f"arn:aws:sts::{self.account_id}:assumed-role/{self.user_name}/local-session",
                user_id=f"AROA{unique}:local-session",
            )
        return sigv4.Caller(
            access_key=self.access_key,
            account_id=self.account_id,
            user_arn=f"arn:aws:iam::{self.account_id}:user/{self.user_name}",
            user_id=f"AIDA{unique}",
        )

    @property
    def principal_arn(self) -> str:
        """The IAM principal an ``ALLOWED_CALLERS`` entry names to admit this caller: the user for
        long-term keys, the role for temporary ones (its sessions report ``assumed-role/...``)."""
        if self.session_token is not None:
            return f"arn:aws:iam::{self.account_id}:role/{self.user_name}"
        return f"arn:aws:iam::{self.account_id}:user/{self.user_name}"

    @property
    def known(self) -> sigv4.KnownCaller:
        return sigv4.KnownCaller(self.secret_key, self.caller, self.session_token)


def authenticate(
    request: Request,
    *,
    callers: Iterable[Credentials],
    region: str,
    hosts: Collection[str],
    now: datetime | None = None,
) -> sigv4.Caller:
    """The verified caller of ``request``, or :class:`obsctl.sigv4.AuthFailure` (answered 403)."""
    known = {c.access_key: c.known for c in callers}
    return sigv4.verify(request, region=region, callers=known, hosts=hosts, now=now)


def loopback_hosts(port: int) -> frozenset[str]:
    """The ``Host`` values that name a gateway listening on 127.0.0.1:``port``."""
    return frozenset(f"{name}:{port}" for name in ("127.0.0.1", "localhost"))
