"""Read the Terraform under ``infra/`` as data, for policy tests and the IAM behaviour test.

Terraform cannot plan here (no provider download), so the checks read the configuration itself:
every ``.tf`` file of a directory parsed with python-hcl2 (a dev dependency, imported lazily), and
``aws_iam_policy_document`` blocks turned into IAM JSON with the references replaced by values the
caller supplies. The policy a test evaluates is therefore the very block Terraform deploys, never a
copy typed into the test.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Block", "HclError", "block", "blocks", "parse_file", "render_policy", "statements", "tf_files"]

_REFERENCE = re.compile(r"\$\{([^{}]+)\}")


class HclError(Exception):
    """The configuration could not be read, or a policy could not be rendered."""


@dataclass(frozen=True)
class Block:
    """One labelled top-level block: ``resource "type" "name"`` or ``data "type" "name"``."""

    kind: str
    type: str
    name: str
    body: dict[str, Any]
    path: Path


def parse_file(path: Path) -> dict[str, Any]:
    """One ``.tf`` file as python-hcl2 serializes it (quotes stripped, no comments).

    Parsing is slow (a lark grammar), so results are cached per path and modification time.
    """
    stat = path.stat()
    return copy.deepcopy(_parse_cached(str(path), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=256)
def _parse_cached(path_name: str, _mtime_ns: int, _size: int) -> dict[str, Any]:
    import hcl2
    from hcl2.utils import SerializationOptions

    options = SerializationOptions(with_comments=False, strip_string_quotes=True, explicit_blocks=False)
    try:
        text = Path(path_name).read_text(encoding="utf-8")
        parsed: dict[str, Any] = hcl2.loads(text, serialization_options=options)
    except Exception as exc:  # python-hcl2 raises lark errors of several kinds
        raise HclError(f"cannot parse {path_name}: {exc}") from exc
    return parsed


def tf_files(directory: Path) -> list[Path]:
    """The ``.tf`` files of one directory (not recursive: one Terraform module)."""
    files = sorted(directory.glob("*.tf"))
    if not files:
        raise HclError(f"no .tf files in {directory}")
    return files


def blocks(directory: Path, kind: str) -> Iterator[Block]:
    """Every ``resource`` or ``data`` block of a module directory."""
    for path in tf_files(directory):
        for entry in parse_file(path).get(kind, []):
            for type_name, named in entry.items():
                for name, body in named.items():
                    yield Block(kind=kind, type=type_name, name=name, body=body, path=path)


def block(directory: Path, kind: str, type_name: str, name: str) -> Block:
    """The one block ``kind "type_name" "name"`` of a module directory."""
    for found in blocks(directory, kind):
        if found.type == type_name and found.name == name:
            return found
    raise HclError(f'{kind} "{type_name}" "{name}" not found in {directory}')


def statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The statements of an ``aws_iam_policy_document`` body, static and ``dynamic`` alike.

    A dynamic statement is returned with its ``content`` and its ``for_each`` expression kept
    under ``"__for_each__"`` so a check can see that it is conditional.
    """
    found: list[dict[str, Any]] = [dict(s) for s in document.get("statement", [])]
    for dynamic in document.get("dynamic", []):
        spec = dynamic.get("statement")
        if spec is None:
            continue
        for content in spec.get("content", []):
            found.append({**content, "__for_each__": spec.get("for_each")})
    return found


def _substitute(value: str, values: Mapping[str, str | list[str]], where: str) -> str:
    def replace(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        found = values.get(expression)
        if found is None:
            raise HclError(f"{where}: no value given for ${{{expression}}}")
        if isinstance(found, list):
            raise HclError(f"{where}: ${{{expression}}} is a list inside a string")
        return found

    return _REFERENCE.sub(replace, value)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _substitute_all(items: Any, values: Mapping[str, str | list[str]], where: str) -> list[str]:
    """Each item substituted; an item that is one reference to a list value is spliced in."""
    out: list[str] = []
    for item in _as_list(items):
        whole = _REFERENCE.fullmatch(str(item))
        listed = values.get(whole.group(1).strip()) if whole else None
        if isinstance(listed, list):
            out.extend(listed)
        else:
            out.append(_substitute(str(item), values, where))
    return out


def _principal(blocks: Any, values: Mapping[str, str | list[str]], where: str) -> str | dict[str, list[str]]:
    principal: dict[str, list[str]] = {}
    for entry in _as_list(blocks):
        principal.setdefault(entry["type"], []).extend(_substitute_all(entry["identifiers"], values, where))
    if principal == {"*": ["*"]}:
        return "*"
    return principal


def render_policy(
    document: Mapping[str, Any],
    values: Mapping[str, str | list[str]],
    *,
    where: str = "policy",
    resource_policy: bool = False,
) -> str:
    """IAM JSON of an ``aws_iam_policy_document`` body, references replaced from ``values``.

    ``values`` maps a reference expression (``var.data_bucket_arn``, ``statement.value``,
    ``aws_cloudwatch_log_group.this.arn``) to its value, or to a list of values that a whole-list
    reference (``actions = local.tagging_actions``) stands for. An unresolved reference is an error,
    never silently kept, so a test cannot pass on a half-rendered policy. Statements with
    ``principals`` (a resource policy) are rendered only when ``resource_policy`` is true.
    """
    rendered: list[dict[str, Any]] = []
    for statement in statements(document):
        sid = statement.get("sid", "")
        label = f"{where} statement {sid or '?'}"
        out: dict[str, Any] = {"Effect": statement.get("effect", "Allow")}
        if sid:
            out["Sid"] = sid
        for key, iam_key in (("actions", "Action"), ("not_actions", "NotAction")):
            if key in statement:
                out[iam_key] = _substitute_all(statement[key], values, label)
        for key, iam_key in (("resources", "Resource"), ("not_resources", "NotResource")):
            if key in statement:
                out[iam_key] = _substitute_all(statement[key], values, label)
        conditions: dict[str, dict[str, list[str]]] = {}
        for condition in statement.get("condition", []):
            test = condition["test"]
            variable = _substitute(condition["variable"], values, label)
            conditions.setdefault(test, {})[variable] = _substitute_all(condition["values"], values, label)
        if conditions:
            out["Condition"] = conditions
        if statement.get("principals"):
            if not resource_policy:
                raise HclError(f"{label}: has principals; pass resource_policy=True for a resource policy")
            out["Principal"] = _principal(statement["principals"], values, label)
        rendered.append(out)
    if not rendered:
        raise HclError(f"{where}: no statements")
    return json.dumps({"Version": "2012-10-17", "Statement": rendered}, sort_keys=True)
