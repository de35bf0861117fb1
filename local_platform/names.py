"""Names of the resources the local stack creates in the AWS emulator.

They mirror what Terraform creates (``infra/live``) with the default ``name_prefix``; names owned by
``signals`` are imported from there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from obsctl.local_target import local_region
from signals.services import API_SERVICE, PROJECT, SHIPPER_SERVICE

__all__ = ["LocalNames"]


@dataclass(frozen=True)
class LocalNames:
    region: str = field(default_factory=local_region)
    """``--region``, else ``$AWS_REGION`` / ``$AWS_DEFAULT_REGION``, else eu-west-1 (``local_region``)."""
    account_id: str = "123456789012"
    prefix: str = PROJECT
    stage: str = "$default"
    api_id: str = "local"

    @property
    def function_name(self) -> str:
        return f"{self.prefix}-{API_SERVICE}"

    @property
    def shipper_function_name(self) -> str:
        return f"{self.prefix}-{SHIPPER_SERVICE}"

    @property
    def data_bucket(self) -> str:
        return f"{self.prefix}-data-{self.account_id}"

    @property
    def dead_letter_bucket(self) -> str:
        return f"{self.prefix}-dead-letters-{self.account_id}"

    @property
    def function_log_group(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def shipper_log_group(self) -> str:
        return f"/aws/lambda/{self.shipper_function_name}"

    @property
    def access_log_group(self) -> str:
        return f"/aws/apigateway/{self.prefix}-http-api/access"

    @property
    def alarm_topic_name(self) -> str:
        return f"{self.prefix}-alarms"

    @property
    def alarm_topic_arn(self) -> str:
        return f"arn:aws:sns:{self.region}:{self.account_id}:{self.alarm_topic_name}"

    @property
    def chat_topic_name(self) -> str:
        return f"{self.prefix}-chat"

    @property
    def chat_topic_arn(self) -> str:
        return f"arn:aws:sns:{self.region}:{self.account_id}:{self.chat_topic_name}"

    @property
    def notifier_function_name(self) -> str:
        return f"{self.prefix}-notifier"

    @property
    def kms_alias(self) -> str:
        return f"alias/{self.prefix}"
