"""Resources that provision nothing: CDK's ``AWS::CDK::Metadata`` (its analytics record) and
``AWS::CloudFormation::WaitConditionHandle``."""

from __future__ import annotations

from lambdaport.services.cloudformation.providers.base import (
    Created,
    Provider,
    ResourceRequest,
    physical_name,
)


class Metadata(Provider):
    types = ("AWS::CDK::Metadata", "AWS::CloudFormation::WaitConditionHandle")

    async def create(self, request: ResourceRequest) -> Created:
        return Created(physical_name(request, max_length=128))

    async def update(self, request: ResourceRequest) -> Created:
        return Created(request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        return None


NOTHING = (Metadata,)
