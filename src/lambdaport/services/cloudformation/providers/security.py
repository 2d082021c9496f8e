"""Configuration and security resources: ``AWS::SSM::Parameter``,
``AWS::SecretsManager::Secret``, ``AWS::KMS::Key``, ``AWS::KMS::Alias``,
``AWS::Cognito::UserPool``, ``AWS::Cognito::UserPoolClient``."""

from __future__ import annotations

import json
from typing import Any

from lambdaport.services.cloudformation.providers.base import (
    Created,
    Provider,
    ResourceRequest,
    as_json,
    members_of,
    physical_name,
    tag_list,
    tag_map,
)


class Parameter(Provider):
    types = ("AWS::SSM::Parameter",)
    replacement = frozenset({"Name"})

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        name = str(props.get("Name") or f"CFN-{physical_name(request, max_length=128)}")
        await self._put(request, name, overwrite=False)
        return Created(
            name, {"Type": str(props.get("Type", "String")), "Value": str(props.get("Value", ""))}
        )

    async def _put(self, request: ResourceRequest, name: str, *, overwrite: bool) -> None:
        props = request.properties
        params: dict[str, Any] = {
            "Name": name,
            "Value": str(props.get("Value", "")),
            "Type": str(props.get("Type", "String")),
            "Overwrite": overwrite,
        }
        for key in ("Description", "AllowedPattern", "Tier", "DataType"):
            if key in props:
                params[key] = str(props[key])
        if props.get("Tags") and not overwrite:
            params["Tags"] = tag_list(props["Tags"])
        await self.call(request, "ssm", "PutParameter", **params)

    async def update(self, request: ResourceRequest) -> Created:
        await self._put(request, request.physical_id, overwrite=True)
        props = request.properties
        return Created(
            request.physical_id,
            {"Type": str(props.get("Type", "String")), "Value": str(props.get("Value", ""))},
        )

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(request, "ssm", "DeleteParameter", Name=request.physical_id)


class Secret(Provider):
    types = ("AWS::SecretsManager::Secret",)
    replacement = frozenset({"Name"})

    async def _value(self, request: ResourceRequest) -> str:
        props = request.properties
        generate = props.get("GenerateSecretString")
        if not generate:
            return str(props.get("SecretString", ""))
        options = members_of(self.calls, "secretsmanager", "GetRandomPassword", request, generate)
        password = (await self.call(request, "secretsmanager", "GetRandomPassword", **options))[
            "RandomPassword"
        ]
        template = generate.get("SecretStringTemplate")
        if template is None:
            return str(password)
        document = json.loads(str(template))
        document[str(generate.get("GenerateStringKey", "password"))] = password
        return json.dumps(document)

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        name = str(props.get("Name") or physical_name(request, max_length=256))
        params: dict[str, Any] = {"Name": name, "SecretString": await self._value(request)}
        for key in ("Description", "KmsKeyId"):
            if key in props:
                params[key] = str(props[key])
        if props.get("Tags"):
            params["Tags"] = tag_list(props["Tags"])
        arn = (await self.call(request, "secretsmanager", "CreateSecret", **params))["ARN"]
        return Created(arn, {"Id": arn})

    async def update(self, request: ResourceRequest) -> Created:
        props = request.properties
        if props.get("SecretString") != request.previous.get("SecretString") or props.get(
            "GenerateSecretString"
        ) != request.previous.get("GenerateSecretString"):
            await self.call(
                request,
                "secretsmanager",
                "PutSecretValue",
                SecretId=request.physical_id,
                SecretString=await self._value(request),
            )
        if props.get("Description") != request.previous.get("Description"):
            await self.call(
                request,
                "secretsmanager",
                "UpdateSecret",
                SecretId=request.physical_id,
                Description=str(props.get("Description", "")),
            )
        return Created(request.physical_id, {"Id": request.physical_id})

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(
            request,
            "secretsmanager",
            "DeleteSecret",
            SecretId=request.physical_id,
            ForceDeleteWithoutRecovery=True,
        )


class Key(Provider):
    types = ("AWS::KMS::Key",)
    replacement = frozenset({"KeyUsage", "KeySpec", "MultiRegion"})

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        params: dict[str, Any] = {}
        for key in ("Description", "KeyUsage", "KeySpec", "Origin"):
            if key in props:
                params[key] = str(props[key])
        if "KeyPolicy" in props:
            params["Policy"] = as_json(props["KeyPolicy"])
        if props.get("Tags"):
            params["Tags"] = [
                {"TagKey": t["Key"], "TagValue": t["Value"]} for t in tag_list(props["Tags"])
            ]
        key = (await self.call(request, "kms", "CreateKey", **params))["KeyMetadata"]
        await self._settings(request, key["KeyId"], {})
        return Created(key["KeyId"], {"Arn": key["Arn"], "KeyId": key["KeyId"]})

    async def _settings(self, request: ResourceRequest, key_id: str, previous: Any) -> None:
        props = request.properties
        rotation = str(props.get("EnableKeyRotation", "false")).lower() == "true"
        if rotation != (str(previous.get("EnableKeyRotation", "false")).lower() == "true"):
            await self.call(
                request,
                "kms",
                "EnableKeyRotation" if rotation else "DisableKeyRotation",
                KeyId=key_id,
            )
        enabled = str(props.get("Enabled", "true")).lower() == "true"
        if enabled != (str(previous.get("Enabled", "true")).lower() == "true"):
            await self.call(request, "kms", "EnableKey" if enabled else "DisableKey", KeyId=key_id)

    async def update(self, request: ResourceRequest) -> Created:
        props = request.properties
        if "KeyPolicy" in props and props.get("KeyPolicy") != request.previous.get("KeyPolicy"):
            await self.call(
                request,
                "kms",
                "PutKeyPolicy",
                KeyId=request.physical_id,
                PolicyName="default",
                Policy=as_json(props["KeyPolicy"]),
            )
        if props.get("Description") != request.previous.get("Description"):
            await self.call(
                request,
                "kms",
                "UpdateKeyDescription",
                KeyId=request.physical_id,
                Description=str(props.get("Description", "")),
            )
        await self._settings(request, request.physical_id, request.previous)
        return Created(request.physical_id, dict(request.attributes))

    async def delete(self, request: ResourceRequest) -> None:
        days = int(request.properties.get("PendingWindowInDays", 30))
        await self.attempt(
            request,
            "kms",
            "ScheduleKeyDeletion",
            KeyId=request.physical_id,
            PendingWindowInDays=days,
        )


class KeyAlias(Provider):
    types = ("AWS::KMS::Alias",)
    replacement = frozenset({"AliasName"})

    async def create(self, request: ResourceRequest) -> Created:
        name = str(request.properties["AliasName"])
        await self.call(
            request,
            "kms",
            "CreateAlias",
            AliasName=name,
            TargetKeyId=str(request.properties["TargetKeyId"]),
        )
        return Created(name)

    async def update(self, request: ResourceRequest) -> Created:
        await self.call(
            request,
            "kms",
            "UpdateAlias",
            AliasName=request.physical_id,
            TargetKeyId=str(request.properties["TargetKeyId"]),
        )
        return Created(request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(request, "kms", "DeleteAlias", AliasName=request.physical_id)


class UserPool(Provider):
    types = ("AWS::Cognito::UserPool",)
    replacement = frozenset({"UserPoolName", "UsernameAttributes", "AliasAttributes", "Schema"})

    async def create(self, request: ResourceRequest) -> Created:
        props = dict(request.properties)
        params = members_of(
            self.calls, "cognito-idp", "CreateUserPool", request, props, skip=("UserPoolTags",)
        )
        params["PoolName"] = str(
            props.get("UserPoolName") or physical_name(request, max_length=128)
        )
        tags = tag_map(props.get("UserPoolTags"))
        if tags:
            params["UserPoolTags"] = tags
        pool = (await self.call(request, "cognito-idp", "CreateUserPool", **params))["UserPool"]
        return self._created(request, pool["Id"], pool.get("Arn"))

    def _created(self, request: ResourceRequest, pool_id: str, arn: str | None) -> Created:
        stack = request.stack
        arn = arn or f"arn:aws:cognito-idp:{stack.region}:{stack.account}:userpool/{pool_id}"
        url = f"https://cognito-idp.{stack.region}.amazonaws.com/{pool_id}"
        return Created(
            pool_id,
            {
                "Arn": arn,
                "ProviderName": url.removeprefix("https://"),
                "ProviderURL": url,
                "UserPoolId": pool_id,
            },
        )

    async def update(self, request: ResourceRequest) -> Created:
        params = members_of(
            self.calls,
            "cognito-idp",
            "UpdateUserPool",
            request,
            request.properties,
            skip=("UserPoolTags",),
        )
        params["UserPoolId"] = request.physical_id
        await self.call(request, "cognito-idp", "UpdateUserPool", **params)
        return self._created(request, request.physical_id, request.attributes.get("Arn"))

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(request, "cognito-idp", "DeleteUserPool", UserPoolId=request.physical_id)


class UserPoolClient(Provider):
    types = ("AWS::Cognito::UserPoolClient",)
    replacement = frozenset({"UserPoolId", "GenerateSecret"})

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        params = members_of(self.calls, "cognito-idp", "CreateUserPoolClient", request, props)
        params["ClientName"] = str(
            props.get("ClientName") or physical_name(request, max_length=128)
        )
        client = (await self.call(request, "cognito-idp", "CreateUserPoolClient", **params))[
            "UserPoolClient"
        ]
        attributes = {"ClientId": client["ClientId"], "Name": client["ClientName"]}
        if client.get("ClientSecret"):
            attributes["ClientSecret"] = client["ClientSecret"]
        return Created(client["ClientId"], attributes)

    async def update(self, request: ResourceRequest) -> Created:
        params = members_of(
            self.calls, "cognito-idp", "UpdateUserPoolClient", request, request.properties
        )
        params["ClientId"] = request.physical_id
        await self.call(request, "cognito-idp", "UpdateUserPoolClient", **params)
        return Created(request.physical_id, dict(request.attributes))

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(
            request,
            "cognito-idp",
            "DeleteUserPoolClient",
            UserPoolId=str(request.properties["UserPoolId"]),
            ClientId=request.physical_id,
        )


SECURITY = (Parameter, Secret, Key, KeyAlias, UserPool, UserPoolClient)
