"""Code signing configurations (Create/Get/Update/Delete/ListCodeSigningConfigs,
ListFunctionsByCodeSigningConfig) and a function's (Put/Get/DeleteFunctionCodeSigningConfig),
https://docs.aws.amazon.com/lambda/latest/dg/configuration-codesigning.html.

A configuration names the AWS Signer profile versions allowed to sign a function's code and
what a deployment of code that fails the check does (``UntrustedArtifactOnDeployment``):
``Warn`` deploys it (AWS then publishes a CloudWatch metric; lambdaport writes a line to the
server's log), ``Enforce`` refuses it with ``CodeVerificationFailedException``.

What is checked here: a package uploaded directly (``ZipFile``) carries no signature at all
(AWS Signer signs S3 objects), so it is untrusted. A package read from S3 is untrusted too:
lambdaport has no AWS Signer whose signing jobs could vouch for it, so no signature can be
verified. So ``Enforce`` refuses every deployment of a function with such a config, ``Warn``
deploys every one; the signature's validity, expiry and revocation are not checked.

The configurations are ``code_signing_config`` documents keyed by account, region and id,
cached here (loaded at start); a function's is in its settings (``code_signing_config_arn``).
"""

from __future__ import annotations

import logging
import random
import re
import string
from dataclasses import replace

from lambdaport.errors import AwsError, invalid_parameter, resource_conflict, resource_not_found
from lambdaport.lambda_.commands import (
    CreateCodeSigningConfig,
    DeleteCodeSigningConfig,
    DeleteFunctionCodeSigningConfig,
    GetCodeSigningConfig,
    GetFunctionCodeSigningConfig,
    ListCodeSigningConfigs,
    ListFunctionsByCodeSigningConfig,
    PutFunctionCodeSigningConfig,
    UpdateCodeSigningConfig,
)
from lambdaport.lambda_.models import CodeSigningConfig, FunctionCodeSigning, now_timestamp
from lambdaport.lambda_.names import FunctionRef
from lambdaport.lambda_.paging import Page, paginate
from lambdaport.lambda_.registry import FunctionEntry, FunctionRegistry
from lambdaport.store.documents import Delete, Documents, Put

logger = logging.getLogger("lambdaport.lambda")

KIND = "code_signing_config"
Key = tuple[str, str, str]  # account, region, id
# An AWS Signer signing profile version:
# arn:aws:signer:REGION:ACCOUNT:/signing-profiles/NAME/VERSION
_PROFILE_VERSION = re.compile(
    r"^arn:aws[a-zA-Z-]*:signer:[a-z0-9-]+:\d{12}:/signing-profiles/[a-zA-Z0-9_]{2,64}/"
    r"[a-zA-Z0-9]{10}$"
)
_CONFIG_ARN = re.compile(
    r"^arn:aws[a-zA-Z-]*:lambda:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"code-signing-config:(?P<id>csc-[a-z0-9]{17})$"
)
_ID_CHARACTERS = string.ascii_lowercase + string.digits


def code_signing_config_not_found(arn: str) -> AwsError:
    return AwsError(
        "CodeSigningConfigNotFoundException",
        f"The code signing configuration cannot be found. Check that the provided configuration "
        f"is not deleted: {arn}.",
        404,
        fields={"Type": "User"},
    )


def code_verification_failed(function_arn: str) -> AwsError:
    return AwsError(
        "CodeVerificationFailedException",
        "Lambda cannot deploy the function. The function or layer might be signed using a "
        "signature that the client is not configured to accept. Check the provided signature "
        f"for {function_arn}. (lambdaport cannot verify code signatures: the package has none "
        "it can check, and the code signing configuration's UntrustedArtifactOnDeployment is "
        "Enforce.)",
        400,
        fields={"Type": "User"},
    )


def _check_publishers(arns: tuple[str, ...]) -> tuple[str, ...]:
    for arn in arns:
        if not _PROFILE_VERSION.match(arn):
            raise invalid_parameter(
                f"Signing profile version ARN {arn} is not valid: it must be an AWS Signer "
                "signing profile version, arn:aws:signer:REGION:ACCOUNT:/signing-profiles/"
                "NAME/VERSION."
            )
    return arns


class CodeSigningService:
    def __init__(self, registry: FunctionRegistry, documents: Documents) -> None:
        self._registry = registry
        self._documents = documents
        self._configs: dict[Key, CodeSigningConfig] = {}

    async def load(self) -> None:
        configs: dict[Key, CodeSigningConfig] = {}
        for (account, region, config_id), body in await self._documents.scan(KIND):
            configs[(account, region, config_id)] = CodeSigningConfig.from_record(body)
        self._configs = configs

    # -- what deployments ask ---------------------------------------------------------------

    def check_deployment(self, arn: str | None, function_arn: str) -> None:
        """Code is being deployed to a function whose code signing config is ``arn`` (None:
        none): every package is untrusted here, so Enforce refuses it and Warn deploys it."""
        if arn is None:
            return
        config = self._find(arn)
        if config is None:
            return  # deleted since: nothing to enforce
        if config.untrusted_artifact_on_deployment == "Enforce":
            raise code_verification_failed(function_arn)
        logger.warning(
            "code signing (Warn): %s deployed code lambdaport cannot verify (config %s)",
            function_arn,
            arn,
        )

    # -- helpers ------------------------------------------------------------------------------

    def _find(self, arn: str) -> CodeSigningConfig | None:
        match = _CONFIG_ARN.match(arn)
        if match is None:
            return None
        return self._configs.get((match["account"], match["region"], match["id"]))

    def _config(self, arn: str, account_id: str, region: str) -> CodeSigningConfig:
        """A configuration the caller's account and region own (the model checked the ARN)."""
        found = self._find(arn)
        if found is None or found.account_id != account_id or found.region != region:
            raise resource_not_found(f"The code signing configuration cannot be found: {arn}")
        return found

    def check_config(self, arn: str, account_id: str, region: str) -> str:
        """CreateFunction's CodeSigningConfigArn and PutFunctionCodeSigningConfig's."""
        found = self._find(arn)
        if found is None or found.account_id != account_id or found.region != region:
            raise code_signing_config_not_found(arn)
        return arn

    async def _save(self, config: CodeSigningConfig) -> CodeSigningConfig:
        key = (config.account_id, config.region, config.config_id)
        self._configs[key] = config
        await self._documents.write([Put(KIND, key, config.to_record())])
        return config

    def _functions_using(self, arn: str) -> list[FunctionEntry]:
        return [
            entry
            for entry in self._registry.all_functions()
            if entry.settings.code_signing_config_arn == arn
        ]

    # -- configurations -----------------------------------------------------------------------

    async def create_code_signing_config(
        self, command: CreateCodeSigningConfig
    ) -> CodeSigningConfig:
        arns = _check_publishers(command.signing_profile_version_arns)
        config_id = "csc-" + "".join(random.choices(_ID_CHARACTERS, k=17))
        config = CodeSigningConfig(
            account_id=command.account_id,
            region=command.region,
            config_id=config_id,
            signing_profile_version_arns=arns,
            untrusted_artifact_on_deployment=command.untrusted_artifact_on_deployment or "Warn",
            description=command.description,
            tags=dict(command.tags),
        )
        return await self._save(config)

    def get_code_signing_config(self, command: GetCodeSigningConfig) -> CodeSigningConfig:
        return self._config(command.arn, command.account_id, command.region)

    async def update_code_signing_config(
        self, command: UpdateCodeSigningConfig
    ) -> CodeSigningConfig:
        config = self._config(command.arn, command.account_id, command.region)
        if command.signing_profile_version_arns is not None:
            arns = _check_publishers(command.signing_profile_version_arns)
            config = replace(config, signing_profile_version_arns=arns)
        if command.untrusted_artifact_on_deployment is not None:
            policy = command.untrusted_artifact_on_deployment
            config = replace(config, untrusted_artifact_on_deployment=policy)
        if command.description is not None:
            config = replace(config, description=command.description)
        return await self._save(replace(config, last_modified=now_timestamp()))

    async def delete_code_signing_config(self, command: DeleteCodeSigningConfig) -> None:
        config = self._config(command.arn, command.account_id, command.region)
        using = self._functions_using(config.arn)
        if using:
            raise resource_conflict(
                "The code signing configuration cannot be deleted because it is used by the "
                f"following functions: {sorted(entry.latest.arn for entry in using)}"
            )
        key = (config.account_id, config.region, config.config_id)
        del self._configs[key]
        await self._documents.write([Delete(KIND, key)])

    def list_code_signing_configs(self, command: ListCodeSigningConfigs) -> Page[CodeSigningConfig]:
        configs = [
            config
            for key, config in sorted(self._configs.items())
            if key[:2] == (command.account_id, command.region)
        ]
        return paginate(configs, command.paging)

    def list_functions_by_code_signing_config(
        self, command: ListFunctionsByCodeSigningConfig
    ) -> Page[str]:
        config = self._config(command.arn, command.account_id, command.region)
        arns = sorted(entry.latest.arn for entry in self._functions_using(config.arn))
        return paginate(arns, command.paging)

    # -- a function's ---------------------------------------------------------------------------

    def _function(self, ref: FunctionRef) -> FunctionEntry:
        if ref.qualifier is not None:
            raise invalid_parameter(
                "Code signing configuration is not supported on function versions or aliases: "
                "specify an unqualified function name or ARN."
            )
        return self._registry.entry(ref)

    async def put_function_code_signing_config(
        self, command: PutFunctionCodeSigningConfig
    ) -> FunctionCodeSigning:
        ref = command.function
        self.check_config(command.code_signing_config_arn, ref.account_id, ref.region)
        entry = self._function(ref)
        settings = replace(entry.settings, code_signing_config_arn=command.code_signing_config_arn)
        await self._registry.set_settings(entry, settings)
        return FunctionCodeSigning(entry.latest.name, command.code_signing_config_arn)

    def get_function_code_signing_config(
        self, command: GetFunctionCodeSigningConfig
    ) -> FunctionCodeSigning:
        """A function without one answers an empty ARN."""
        entry = self._function(command.function)
        return FunctionCodeSigning(entry.latest.name, entry.settings.code_signing_config_arn or "")

    async def delete_function_code_signing_config(
        self, command: DeleteFunctionCodeSigningConfig
    ) -> None:
        entry = self._function(command.function)
        await self._registry.set_settings(
            entry, replace(entry.settings, code_signing_config_arn=None)
        )
