"""The resource providers, by resource type; custom resources (``Custom::*``,
``AWS::CloudFormation::CustomResource``) go to the one handed in as ``custom``."""

from __future__ import annotations

from lambdaport.services.cloudformation.calls import ServiceCalls
from lambdaport.services.cloudformation.providers.apigateway import APIGATEWAY
from lambdaport.services.cloudformation.providers.base import Provider
from lambdaport.services.cloudformation.providers.data import DATA
from lambdaport.services.cloudformation.providers.iam import IAM
from lambdaport.services.cloudformation.providers.integration import INTEGRATION
from lambdaport.services.cloudformation.providers.lambda_ import LAMBDA
from lambdaport.services.cloudformation.providers.messaging import MESSAGING
from lambdaport.services.cloudformation.providers.nested import NESTED
from lambdaport.services.cloudformation.providers.networking import NETWORKING
from lambdaport.services.cloudformation.providers.nothing import NOTHING
from lambdaport.services.cloudformation.providers.security import SECURITY
from lambdaport.services.cloudformation.providers.storage import STORAGE

PROVIDER_CLASSES: tuple[type[Provider], ...] = (
    *LAMBDA,
    *MESSAGING,
    *STORAGE,
    *IAM,
    *DATA,
    *INTEGRATION,
    *SECURITY,
    *NOTHING,
    *NESTED,
    *APIGATEWAY,
    *NETWORKING,
)
CUSTOM_TYPE = "AWS::CloudFormation::CustomResource"


def is_custom(resource_type: str) -> bool:
    return resource_type == CUSTOM_TYPE or resource_type.startswith("Custom::")


class Providers:
    def __init__(self, calls: ServiceCalls, custom: Provider | None = None) -> None:
        self._by_type: dict[str, Provider] = {}
        for cls in PROVIDER_CLASSES:
            provider = cls(calls)
            for resource_type in cls.types:
                self._by_type[resource_type] = provider
        self.custom = custom

    def get(self, resource_type: str) -> Provider | None:
        if is_custom(resource_type):
            return self.custom
        return self._by_type.get(resource_type)

    def known(self, resource_type: str) -> bool:
        return self.get(resource_type) is not None

    @property
    def types(self) -> list[str]:
        return sorted(self._by_type)

    def unknown(self, resource_type: str) -> str:
        return (
            f"lambdaport has no provider for resource type {resource_type}: it cannot be "
            "created here (see docs/architecture.md, CloudFormation)"
        )
