"""PublishLayerVersion, GetLayerVersion(ByArn), ListLayerVersions, ListLayers,
DeleteLayerVersion, Add/RemoveLayerVersionPermission and GetLayerVersionPolicy
(https://docs.aws.amazon.com/lambda/latest/dg/chapter-layers.html).

A layer version's package is stored as a function's is (``code.CodeStore``: content-addressed,
extracted safely); a function names layer versions by ARN and keeps what it resolved
(``layer_registry.function_layers``), so deleting a version does not break the functions
using it. Another account reads a version (GetLayerVersion, GetLayerVersionByArn, a
function's ``Layers``) only where the version's policy grants it ``lambda:GetLayerVersion``;
publishing, deleting and changing the policy are the owner's alone.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from typing import Any

import orjson

from lambdaport.errors import AwsError, invalid_parameter, resource_conflict, resource_not_found
from lambdaport.invoke.permissions import access_denied
from lambdaport.lambda_.code import CodeStore, package_from_s3
from lambdaport.lambda_.commands import (
    AddLayerVersionPermission,
    DeleteLayerVersion,
    FunctionCode,
    GetLayerVersion,
    GetLayerVersionPolicy,
    LayerRef,
    ListLayers,
    ListLayerVersions,
    PublishLayerVersion,
    RemoveLayerVersionPermission,
)
from lambdaport.lambda_.layer_registry import GET_LAYER_VERSION, LayerRegistry, grants
from lambdaport.lambda_.models import (
    Code,
    LayerSummary,
    LayerVersion,
    LayerVersionPolicy,
    layer_arn,
    now_timestamp,
    policy_document,
)
from lambdaport.lambda_.paging import Page, paginate
from lambdaport.lambda_.validation import check_compatible_runtimes
from lambdaport.services.interfaces import ObjectStore

POLICY_LIMIT = 20 * 1024


def _principal(given: str) -> str | dict[str, str]:
    """``*``, or the account as IAM names it (``arn:aws:iam::123456789012:root``); the model
    allowed nothing else."""
    if given == "*":
        return "*"
    return {"AWS": given if given.startswith("arn:") else f"arn:aws:iam::{given}:root"}


def _not_found() -> AwsError:
    return resource_not_found("The resource you requested does not exist.")


def _version_arn(layer: LayerRef, number: int) -> str:
    return f"{layer_arn(layer.region, layer.account_id, layer.name)}:{number}"


def _check_number(number: int) -> None:
    if number < 1:
        raise invalid_parameter("Layer Version Cannot be less than 1")


def _matches(version: LayerVersion, runtime: str | None, architecture: str | None) -> bool:
    if runtime is not None and runtime not in version.compatible_runtimes:
        return False
    return architecture is None or architecture in version.compatible_architectures


def _check_filter(runtime: str | None) -> None:
    """The CompatibleRuntime filter (CompatibleArchitecture's enum is the model's)."""
    if runtime is not None:
        check_compatible_runtimes([runtime], "compatibleRuntime")


class LayerService:
    def __init__(self, registry: LayerRegistry, code: CodeStore, objects: ObjectStore) -> None:
        self._registry = registry
        self._code = code
        self._objects = objects  # S3, for Content.S3Bucket/S3Key

    def _owned(self, layer: LayerRef, action: str) -> None:
        """Publishing, deleting and the policy are the layer's account's alone."""
        if layer.account_id != layer.caller:
            arn = layer_arn(layer.region, layer.account_id, layer.name)
            raise access_denied(layer.caller, f"lambda:{action}", arn)

    def _readable(self, layer: LayerRef, number: int) -> LayerVersion:
        """A version the caller may read: its own, or one whose policy grants it."""
        _check_number(number)
        found = self._registry.find(layer.key, number)
        if layer.account_id != layer.caller and (
            found is None or not grants(found.statements, layer.caller)
        ):
            raise access_denied(layer.caller, GET_LAYER_VERSION, _version_arn(layer, number))
        if found is None:
            raise _not_found()
        return found

    def _policy_target(self, layer: LayerRef, number: int, action: str) -> LayerVersion:
        self._owned(layer, action)
        _check_number(number)
        found = self._registry.find(layer.key, number)
        if found is None:
            raise resource_not_found(f"Layer version {_version_arn(layer, number)} does not exist.")
        return found

    async def _package(self, content: FunctionCode) -> Code:
        if content.zip_file is not None:
            return await asyncio.to_thread(self._code.save_zip, content.zip_file)
        if content.s3_bucket is not None:
            data = await package_from_s3(
                self._objects, content.s3_bucket, content.s3_key, content.s3_object_version
            )
            return await asyncio.to_thread(self._code.save_zip, data)
        raise invalid_parameter("Please provide a source for layer content.")

    # -- versions ---------------------------------------------------------------------

    async def publish_layer_version(self, command: PublishLayerVersion) -> LayerVersion:
        layer = command.layer
        self._owned(layer, "PublishLayerVersion")
        check_compatible_runtimes(command.compatible_runtimes, "compatibleRuntimes")
        code = await self._package(command.content)  # extracted off the loop
        version = LayerVersion(
            account_id=layer.account_id,
            region=layer.region,
            name=layer.name,
            version=self._registry.next_version(layer.key),
            code=code,
            created_date=now_timestamp(),
            description=command.description,
            compatible_runtimes=command.compatible_runtimes,
            compatible_architectures=command.compatible_architectures,
            license_info=command.license_info,
        )
        await self._registry.save(version)
        return version

    def get_layer_version(self, command: GetLayerVersion) -> LayerVersion:
        return self._readable(command.layer, command.version)

    async def delete_layer_version(self, command: DeleteLayerVersion) -> None:
        """Deleting a version that is not there succeeds (as on AWS)."""
        self._owned(command.layer, "DeleteLayerVersion")
        _check_number(command.version)
        await self._registry.delete(command.layer.key, command.version)

    def list_layer_versions(self, command: ListLayerVersions) -> Page[LayerVersion]:
        _check_filter(command.compatible_runtime)
        layer = command.layer
        self._owned(layer, "ListLayerVersions")
        versions = [
            version
            for version in self._registry.versions(layer.key)
            if _matches(version, command.compatible_runtime, command.compatible_architecture)
        ]
        return paginate(versions, command.paging)

    def list_layers(self, command: ListLayers) -> Page[LayerSummary]:
        """Each layer with its newest version matching the filters (layers with none are
        left out)."""
        _check_filter(command.compatible_runtime)
        summaries: list[LayerSummary] = []
        for key, versions in self._registry.layers(command.account_id, command.region):
            matching = [
                version
                for version in versions
                if _matches(version, command.compatible_runtime, command.compatible_architecture)
            ]
            if matching:
                summaries.append(LayerSummary(key[2], matching[0].layer_arn, matching[0]))
        return paginate(summaries, command.paging)

    # -- policy -----------------------------------------------------------------------

    async def add_layer_version_permission(
        self, command: AddLayerVersionPermission
    ) -> LayerVersionPolicy:
        version = self._policy_target(command.layer, command.version, "AddLayerVersionPermission")
        if command.revision_id is not None and command.revision_id != version.policy_revision_id:
            raise _revision_mismatch()
        sid = command.statement_id
        if any(statement["Sid"] == sid for statement in version.statements):
            raise resource_conflict(
                f"The statement id ({sid}) provided already exists. Please provide a new "
                "statement id, or remove the existing statement."
            )
        statement: dict[str, Any] = {
            "Sid": sid,
            "Effect": "Allow",
            "Principal": _principal(command.principal),
            "Action": command.action,
            "Resource": version.arn,
        }
        if command.organization_id:
            statement["Condition"] = {
                "StringEquals": {"aws:PrincipalOrgID": command.organization_id}
            }
        statements = (*version.statements, statement)
        if len(orjson.dumps(policy_document(statements))) > POLICY_LIMIT:
            raise AwsError(
                "PolicyLengthExceededException",
                "The final policy size (bigger than 20480) is bigger than the limit.",
                400,
                fields={"Type": "User"},
            )
        updated = replace(version, statements=statements, policy_revision_id=str(uuid.uuid4()))
        await self._registry.save(updated)
        return LayerVersionPolicy((statement,), updated.policy_revision_id)

    async def remove_layer_version_permission(self, command: RemoveLayerVersionPermission) -> None:
        version = self._policy_target(
            command.layer, command.version, "RemoveLayerVersionPermission"
        )
        if command.revision_id is not None and command.revision_id != version.policy_revision_id:
            raise _revision_mismatch()
        remaining = tuple(s for s in version.statements if s["Sid"] != command.statement_id)
        if len(remaining) == len(version.statements):
            raise resource_not_found(
                f"Statement {command.statement_id} is not found in resource policy."
            )
        revision = str(uuid.uuid4()) if remaining else ""
        await self._registry.save(
            replace(version, statements=remaining, policy_revision_id=revision)
        )

    def get_layer_version_policy(self, command: GetLayerVersionPolicy) -> LayerVersionPolicy:
        version = self._policy_target(command.layer, command.version, "GetLayerVersionPolicy")
        if not version.statements:
            raise resource_not_found("No policy is associated with the given resource.")
        return LayerVersionPolicy(version.statements, version.policy_revision_id)


def _revision_mismatch() -> AwsError:
    return AwsError(
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the "
        "GetLayerPolicy API to retrieve the latest Revision Id",
        412,
        fields={"Type": "User"},
    )
