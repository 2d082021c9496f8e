"""Create/Get/Update/Delete/ListFunctionUrlConfig(s): a function's HTTPS endpoint on
``$LATEST`` or an alias (https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html).

A config is a ``function_url`` document keyed by account, region, function name and
qualifier; this node keeps them in memory by key and by url id (the first label of the
URL's host), for the data plane (``http_fronts.function_urls``), which finds a request's
config with :meth:`FunctionUrlService.by_url_id`. ``FunctionUrl`` is the address that
works here (``address``, handed in by ``app.py``), never stored: it follows the port.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from lambdaport.errors import AwsError, invalid_parameter, resource_conflict, resource_not_found
from lambdaport.lambda_.commands import (
    CreateFunctionUrlConfig,
    DeleteFunctionUrlConfig,
    GetFunctionUrlConfig,
    ListFunctionUrlConfigs,
    UpdateFunctionUrlConfig,
)
from lambdaport.lambda_.models import FunctionUrlConfig, UrlCors
from lambdaport.lambda_.names import LATEST, FunctionRef
from lambdaport.lambda_.paging import Page, paginate
from lambdaport.lambda_.registry import FUNCTION_URL, FunctionRegistry, not_found
from lambdaport.store.documents import Delete, Documents, Put

Key = tuple[str, str, str, str]  # account, region, function name, qualifier
Address = Callable[[str, str], str]  # (url id, region) -> the URL that reaches it here
_ID_ALPHABET = string.ascii_lowercase + string.digits
_METHODS = frozenset({"GET", "PUT", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS", "*"})


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _new_url_id() -> str:
    """32 lower-case letters and digits, as AWS's url ids."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(32))


def _key(ref: FunctionRef) -> Key:
    return (ref.account_id, ref.region, ref.name, ref.qualifier or LATEST)


def _no_config() -> AwsError:
    return resource_not_found("The resource you requested does not exist.")


def _check_cors(cors: UrlCors | None) -> None:
    if cors is None:
        return
    for method in cors.allow_methods or ():
        if method.upper() not in _METHODS:
            raise invalid_parameter(
                f"Invalid CORS configuration: {method} is not a valid HTTP method."
            )


def _cors_document(cors: UrlCors | None) -> dict[str, Any] | None:
    if cors is None:
        return None
    return {
        "AllowCredentials": cors.allow_credentials,
        "AllowHeaders": cors.allow_headers,
        "AllowMethods": cors.allow_methods,
        "AllowOrigins": cors.allow_origins,
        "ExposeHeaders": cors.expose_headers,
        "MaxAge": cors.max_age,
    }


def _strings(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(str(v) for v in value)


def _cors_of(body: Mapping[str, Any] | None) -> UrlCors | None:
    if body is None:
        return None
    max_age = body.get("MaxAge")
    credentials = body.get("AllowCredentials")
    return UrlCors(
        allow_credentials=None if credentials is None else bool(credentials),
        allow_headers=_strings(body.get("AllowHeaders")),
        allow_methods=_strings(body.get("AllowMethods")),
        allow_origins=_strings(body.get("AllowOrigins")),
        expose_headers=_strings(body.get("ExposeHeaders")),
        max_age=None if max_age is None else int(max_age),
    )


def _merged(old: UrlCors | None, new: UrlCors) -> UrlCors:
    """Update's Cors: the members given replace the ones set."""
    if old is None:
        return new
    return replace(
        old,
        **{
            name: getattr(new, name)
            for name in UrlCors.__dataclass_fields__
            if getattr(new, name) is not None
        },
    )


class FunctionUrlService:
    """The configs are documents; ``_configs`` and ``_by_id`` this node's cache of them."""

    def __init__(self, registry: FunctionRegistry, documents: Documents, address: Address) -> None:
        self._registry = registry
        self._documents = documents
        self._address = address
        self._configs: dict[Key, FunctionUrlConfig] = {}
        self._by_id: dict[str, Key] = {}

    async def load(self) -> None:
        self._configs.clear()
        self._by_id.clear()
        for key, body in await self._documents.scan(FUNCTION_URL):
            account, region, name, qualifier = key
            config = FunctionUrlConfig(
                url_id=str(body["UrlId"]),
                account_id=account,
                region=region,
                function_name=name,
                qualifier=qualifier,
                auth_type=str(body["AuthType"]),
                invoke_mode=str(body.get("InvokeMode") or "BUFFERED"),
                cors=_cors_of(body.get("Cors")),
                creation_time=str(body["CreationTime"]),
                last_modified_time=str(body["LastModifiedTime"]),
            )
            self._remember(config)

    def address(self, config: FunctionUrlConfig) -> str:
        return self._address(config.url_id, config.region)

    # -- the data plane ---------------------------------------------------------------

    def by_url_id(self, url_id: str) -> FunctionUrlConfig | None:
        key = self._by_id.get(url_id)
        return None if key is None else self._configs.get(key)

    def all_configs(self) -> list[FunctionUrlConfig]:
        return [self._configs[key] for key in sorted(self._configs)]

    def function_deleted(self, arn: str) -> None:
        """A deleted function's URLs go with it (the registry deletes their documents)."""
        _, _, _, region, account_id, _, name = arn.split(":", 6)
        for key in [k for k in self._configs if k[:3] == (account_id, region, name)]:
            self._forget(key)

    # -- helpers ----------------------------------------------------------------------

    def _remember(self, config: FunctionUrlConfig) -> None:
        key = (config.account_id, config.region, config.function_name, config.qualifier)
        self._configs[key] = config
        self._by_id[config.url_id] = key

    def _forget(self, key: Key) -> None:
        config = self._configs.pop(key, None)
        if config is not None:
            self._by_id.pop(config.url_id, None)

    def _existing_target(self, ref: FunctionRef) -> Key:
        """The function and the alias the URL is for must exist."""
        key = _key(ref)
        entry = self._registry.find(FunctionRef(key[0], key[1], key[2], None))
        if entry is None:
            raise not_found(ref)
        if key[3] != LATEST and key[3] not in entry.aliases:
            raise not_found(ref, key[3])
        return key

    def _existing(self, ref: FunctionRef) -> FunctionUrlConfig:
        key = self._existing_target(ref)
        config = self._configs.get(key)
        if config is None:
            raise _no_config()
        return config

    async def _save(self, config: FunctionUrlConfig) -> FunctionUrlConfig:
        key = (config.account_id, config.region, config.function_name, config.qualifier)
        body = {
            "UrlId": config.url_id,
            "AuthType": config.auth_type,
            "InvokeMode": config.invoke_mode,
            "Cors": _cors_document(config.cors),
            "CreationTime": config.creation_time,
            "LastModifiedTime": config.last_modified_time,
        }
        await self._documents.write([Put(FUNCTION_URL, key, body)])
        self._remember(config)
        return config

    # -- operations -------------------------------------------------------------------

    async def create_function_url_config(
        self, command: CreateFunctionUrlConfig
    ) -> FunctionUrlConfig:
        key = self._existing_target(command.function)
        if key in self._configs:
            arn = self._configs[key].function_arn
            raise resource_conflict(
                f"Failed to create function url config for [functionArn = {arn}]. "
                "Error message:  FunctionUrlConfig exists for this Lambda function"
            )
        _check_cors(command.cors)
        now = _now()
        config = FunctionUrlConfig(
            url_id=_new_url_id(),
            account_id=key[0],
            region=key[1],
            function_name=key[2],
            qualifier=key[3],
            auth_type=command.auth_type,
            invoke_mode=command.invoke_mode or "BUFFERED",
            cors=command.cors,
            creation_time=now,
            last_modified_time=now,
        )
        return await self._save(config)

    async def update_function_url_config(
        self, command: UpdateFunctionUrlConfig
    ) -> FunctionUrlConfig:
        config = self._existing(command.function)
        _check_cors(command.cors)
        if command.auth_type is not None:
            config = replace(config, auth_type=command.auth_type)
        if command.invoke_mode is not None:
            config = replace(config, invoke_mode=command.invoke_mode)
        if command.cors is not None:
            config = replace(config, cors=_merged(config.cors, command.cors))
        return await self._save(replace(config, last_modified_time=_now()))

    def get_function_url_config(self, command: GetFunctionUrlConfig) -> FunctionUrlConfig:
        return self._existing(command.function)

    async def delete_function_url_config(self, command: DeleteFunctionUrlConfig) -> None:
        self._existing(command.function)
        key = _key(command.function)
        await self._documents.write([Delete(FUNCTION_URL, key)])
        self._forget(key)

    def list_function_url_configs(self, command: ListFunctionUrlConfigs) -> Page[FunctionUrlConfig]:
        ref = command.function
        if self._registry.find(ref) is None:
            raise not_found(ref)
        prefix = (ref.account_id, ref.region, ref.name)
        configs = [config for key, config in sorted(self._configs.items()) if key[:3] == prefix]
        return paginate(configs, command.paging)
