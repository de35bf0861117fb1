"""Who may call the API: the allowed-callers setting, enforced on ``requestContext.authorizer.iam``.

An HTTP API has no resource policy: with IAM auth, any principal of the account whose own policy
allows ``execute-api:Invoke`` reaches the function. So the function itself admits only the listed
callers, before it touches S3, and answers everyone else 403 with a fixed body. Nobody is
admitted unless listed (an empty setting admits no one).

``ALLOWED_CALLERS`` is a comma-separated list of:

- a role ARN, ``arn:aws:iam::123456789012:role/[path/]name``: any session of that role (the
  caller's ``userArn`` is then ``arn:aws:sts::123456789012:assumed-role/name/session``, which
  carries no path). ``*`` and ``?`` may appear in the name (``role/reporting-*``), nowhere else;
- an IAM user ARN, ``arn:aws:iam::123456789012:user/[path/]name`` (exact);
- an AWS Organizations id, ``o-a1b2c3d4e5``: any principal of that organization
  (``principalOrgId``).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AllowedCallers",
    "CallerSettingError",
    "parse_allowed_callers",
]

_ROLE = re.compile(r"^arn:(aws[a-z-]*):iam::([0-9]{12}):role/(?:[\w+=,.@/-]*/)?([\w+=,.@*?-]{1,64})$")
_USER = re.compile(r"^arn:(aws[a-z-]*):iam::([0-9]{12}):user/((?:[\w+=,.@/-]*/)?[\w+=,.@-]{1,64})$")
_ORG = re.compile(r"^o-[a-z0-9]{10,32}$")
_ASSUMED_ROLE = re.compile(r"^arn:(aws[a-z-]*):sts::([0-9]{12}):assumed-role/([\w+=,.@-]{1,64})/[^/]+$")
_USER_CALLER = re.compile(r"^arn:(aws[a-z-]*):iam::([0-9]{12}):user/(.+)$")


class CallerSettingError(ValueError):
    """An entry of the setting is not a role ARN, a user ARN or an organization id."""


@dataclass(frozen=True)
class AllowedCallers:
    """The parsed setting: role name patterns and user ARNs per (partition, account), org ids."""

    roles: frozenset[tuple[str, str, str]] = frozenset()
    users: frozenset[tuple[str, str, str]] = frozenset()
    organizations: frozenset[str] = frozenset()

    def __len__(self) -> int:
        return len(self.roles) + len(self.users) + len(self.organizations)

    def admits(self, iam: Mapping[str, Any]) -> bool:
        """Whether the IAM identity API Gateway verified (``authorizer.iam``) is listed."""
        user_arn = str(iam.get("userArn") or "")
        assumed = _ASSUMED_ROLE.match(user_arn)
        if assumed:
            partition, account, role = assumed.groups()
            if any(
                p == partition and a == account and fnmatch.fnmatchcase(role, pattern)
                for p, a, pattern in self.roles
            ):
                return True
        user = _USER_CALLER.match(user_arn)
        # user names are unique in an account whatever their path: compare the name
        if user and (user.group(1), user.group(2), user.group(3).rsplit("/", 1)[-1]) in self.users:
            return True
        org = iam.get("principalOrgId")
        return bool(org) and str(org) in self.organizations


def parse_allowed_callers(raw: str) -> AllowedCallers:
    """Parse the setting; raise ``CallerSettingError`` naming the first bad entry."""
    roles: set[tuple[str, str, str]] = set()
    users: set[tuple[str, str, str]] = set()
    organizations: set[str] = set()
    for entry in (e.strip() for e in raw.split(",")):
        if not entry:
            continue
        role, user = _ROLE.match(entry), _USER.match(entry)
        if role:
            roles.add((role.group(1), role.group(2), role.group(3)))
        elif user:
            users.add((user.group(1), user.group(2), user.group(3).rsplit("/", 1)[-1]))
        elif _ORG.match(entry):
            organizations.add(entry)
        else:
            raise CallerSettingError(
                f"entry {entry[:100]!r} is not a role ARN, an IAM user ARN or an organization id (o-...)"
            )
    return AllowedCallers(frozenset(roles), frozenset(users), frozenset(organizations))
