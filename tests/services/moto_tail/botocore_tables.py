"""Derives the service-name tables from botocore's models and moto's URL index.

``gateway/service_names.py`` and ``moto_tail/catalog.py`` are checked against this; when a
botocore or moto upgrade changes them, the failing test prints what to write.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import botocore.session

# Signing names shared by several clients, none of which is named like it: the client the
# signing name alone stands for (execute-api stays unmapped: API Gateway's data plane).
AMBIGUOUS_SIGNING_NAMES: Mapping[str, str | None] = {
    "aws-marketplace": "meteringmarketplace",
    "cassandra": "keyspaces",
    "connect-campaigns": "connectcampaigns",
    "elasticloadbalancing": "elbv2",
    "execute-api": None,
    "lex": "lexv2-models",
    "timestream": "timestream-write",
}


@dataclass(frozen=True)
class ServiceMetadata:
    name: str
    endpoint_prefix: str
    signing_name: str
    target_prefix: str | None
    api_version: str = ""
    protocols: tuple[str, ...] = ()


def load_metadata() -> list[ServiceMetadata]:
    session = botocore.session.get_session()
    loader = session.get_component("data_loader")
    found = []
    for name in session.get_available_services():
        metadata = loader.load_service_model(name, "service-2")["metadata"]
        found.append(
            ServiceMetadata(
                name,
                metadata["endpointPrefix"],
                metadata.get("signingName") or metadata["endpointPrefix"],
                metadata.get("targetPrefix"),
                metadata["apiVersion"],
                (
                    *(metadata.get("protocols") or [metadata["protocol"]]),
                    *(["query"] if "awsQueryCompatible" in metadata else []),
                ),
            )
        )
    return found


def signing_name_services(services: list[ServiceMetadata]) -> dict[str, str]:
    by_signing: dict[str, list[str]] = defaultdict(list)
    for service in services:
        by_signing[service.signing_name].append(service.name)
    table: dict[str, str] = {}
    for signing_name, names in by_signing.items():
        if signing_name in names:
            continue
        default = names[0] if len(names) == 1 else AMBIGUOUS_SIGNING_NAMES.get(signing_name)
        if default is not None:
            table[signing_name] = default
    return table


def target_prefix_services(services: list[ServiceMetadata]) -> dict[str, str]:
    by_target: dict[str, list[str]] = defaultdict(list)
    for service in services:
        if service.target_prefix:
            by_target[service.target_prefix].append(service.name)
    return {target: names[0] for target, names in by_target.items() if len(names) == 1}


def shared_signing_names(
    services: list[ServiceMetadata], served: Mapping[str, str], named: Mapping[str, str]
) -> dict[str, tuple[str, ...]]:
    """For each served client the gateway names a signing name by (``named``: signing name
    -> client), the other clients of that signing name: served ones first, by name."""
    by_signing: dict[str, list[str]] = defaultdict(list)
    for service in services:
        by_signing[service.signing_name].append(service.name)
    table: dict[str, tuple[str, ...]] = {}
    for signing_name, names in by_signing.items():
        client = named.get(signing_name, signing_name)
        if client in served and len(names) > 1:
            others = sorted((n for n in names if n != client), key=lambda n: (n not in served, n))
            table[client] = tuple(others)
    return table


def query_api_versions(services: list[ServiceMetadata]) -> dict[str, tuple[str, ...]]:
    """API version -> the clients that speak the query (or EC2) protocol with it (SQS: its
    legacy query mode, ``awsQueryCompatible``)."""
    by_version: dict[str, list[str]] = defaultdict(list)
    for service in services:
        if {"query", "ec2"} & set(service.protocols):
            by_version[service.api_version].append(service.name)
    return {version: tuple(sorted(names)) for version, names in sorted(by_version.items())}


def moto_host_index(services: list[ServiceMetadata]) -> dict[str, str]:
    """client name -> the moto backend whose URL pattern matches the client's host."""
    from moto.backends import get_service_from_url

    index = {}
    for service in services:
        backend = get_service_from_url(f"https://{service.endpoint_prefix}.us-east-1.amazonaws.com")
        if backend is not None:
            index[service.name] = backend
    return index
