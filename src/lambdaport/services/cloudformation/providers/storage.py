"""S3 and CloudWatch Logs resources: ``AWS::S3::Bucket`` (with its notification, versioning,
CORS and tags), ``AWS::S3::BucketPolicy``, ``AWS::Logs::LogGroup``,
``AWS::Logs::SubscriptionFilter``."""

from __future__ import annotations

from typing import Any

from lambdaport.services.cloudformation.providers.base import (
    Created,
    Provider,
    ResourceRequest,
    as_json,
    physical_name,
    tag_list,
    tag_map,
)


def _filter(config: dict[str, Any]) -> dict[str, Any]:
    rules = ((config.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
    if not rules:
        return {}
    return {
        "Filter": {
            "Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}
        }
    }


def notification_configuration(value: Any) -> dict[str, Any]:
    """CloudFormation's ``NotificationConfiguration`` in the S3 API's shape."""
    value = value or {}
    result: dict[str, Any] = {}
    for cfn_name, api_name, target, api_target in (
        ("LambdaConfigurations", "LambdaFunctionConfigurations", "Function", "LambdaFunctionArn"),
        ("QueueConfigurations", "QueueConfigurations", "Queue", "QueueArn"),
        ("TopicConfigurations", "TopicConfigurations", "Topic", "TopicArn"),
    ):
        configs = value.get(cfn_name) or []
        if configs:
            result[api_name] = [
                {api_target: c[target], "Events": [c["Event"]], **_filter(c)} for c in configs
            ]
    if value.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled") in (True, "true"):
        result["EventBridgeConfiguration"] = {}
    return result


def _cors(value: Any) -> dict[str, Any]:
    rules = []
    for rule in (value or {}).get("CorsRules") or []:
        item: dict[str, Any] = {
            "AllowedMethods": rule["AllowedMethods"],
            "AllowedOrigins": rule["AllowedOrigins"],
        }
        if "AllowedHeaders" in rule:
            item["AllowedHeaders"] = rule["AllowedHeaders"]
        if "ExposedHeaders" in rule:
            item["ExposeHeaders"] = rule["ExposedHeaders"]
        if "MaxAge" in rule:
            item["MaxAgeSeconds"] = int(rule["MaxAge"])
        if "Id" in rule:
            item["ID"] = rule["Id"]
        rules.append(item)
    return {"CORSRules": rules}


def _lifecycle(value: Any) -> dict[str, Any]:
    """CloudFormation's ``LifecycleConfiguration`` in the S3 API's shape."""
    rules = []
    for rule in (value or {}).get("Rules") or []:
        item: dict[str, Any] = {"Status": rule.get("Status", "Enabled")}
        if "Id" in rule:
            item["ID"] = rule["Id"]
        item["Filter"] = {"Prefix": rule["Prefix"]} if "Prefix" in rule else {}
        if "ExpirationInDays" in rule:
            item["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
        if "NoncurrentVersionExpirationInDays" in rule:
            days = int(rule["NoncurrentVersionExpirationInDays"])
            item["NoncurrentVersionExpiration"] = {"NoncurrentDays": days}
        if "NoncurrentVersionExpiration" in rule:
            days = int(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])
            item["NoncurrentVersionExpiration"] = {"NoncurrentDays": days}
        if "AbortIncompleteMultipartUpload" in rule:
            days = int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
            item["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}
        transitions = [
            {"Days": int(t["TransitionInDays"]), "StorageClass": t["StorageClass"]}
            for t in rule.get("Transitions") or []
            if "TransitionInDays" in t
        ]
        if transitions:
            item["Transitions"] = transitions
        rules.append(item)
    return {"Rules": rules}


def _booleans(value: Any) -> dict[str, bool]:
    return {str(k): str(v).lower() == "true" for k, v in (value or {}).items()}


# Bucket configurations: (property, put operation and its member, delete operation, shape).
_CONFIGURATIONS: tuple[tuple[str, str, str, str, Any], ...] = (
    (
        "BucketEncryption",
        "PutBucketEncryption",
        "ServerSideEncryptionConfiguration",
        "DeleteBucketEncryption",
        lambda v: {
            "Rules": [
                {
                    **(
                        {"BucketKeyEnabled": str(r["BucketKeyEnabled"]).lower() == "true"}
                        if "BucketKeyEnabled" in r
                        else {}
                    ),
                    **(
                        {"ApplyServerSideEncryptionByDefault": r["ServerSideEncryptionByDefault"]}
                        if "ServerSideEncryptionByDefault" in r
                        else {}
                    ),
                }
                for r in v.get("ServerSideEncryptionConfiguration", [])
            ]
        },
    ),
    (
        "PublicAccessBlockConfiguration",
        "PutPublicAccessBlock",
        "PublicAccessBlockConfiguration",
        "DeletePublicAccessBlock",
        _booleans,
    ),
    (
        "LifecycleConfiguration",
        "PutBucketLifecycleConfiguration",
        "LifecycleConfiguration",
        "DeleteBucketLifecycle",
        _lifecycle,
    ),
    (
        "OwnershipControls",
        "PutBucketOwnershipControls",
        "OwnershipControls",
        "DeleteBucketOwnershipControls",
        lambda v: {
            "Rules": [{"ObjectOwnership": r["ObjectOwnership"]} for r in v.get("Rules", [])]
        },
    ),
    (
        "WebsiteConfiguration",
        "PutBucketWebsite",
        "WebsiteConfiguration",
        "DeleteBucketWebsite",
        lambda v: {
            **({"IndexDocument": {"Suffix": v["IndexDocument"]}} if "IndexDocument" in v else {}),
            **({"ErrorDocument": {"Key": v["ErrorDocument"]}} if "ErrorDocument" in v else {}),
        },
    ),
)


class Bucket(Provider):
    types = ("AWS::S3::Bucket",)
    replacement = frozenset({"BucketName"})

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        name = str(props.get("BucketName") or physical_name(request, max_length=63, lower=True))
        params: dict[str, Any] = {"Bucket": name}
        if request.stack.region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": request.stack.region}
        await self.call(request, "s3", "CreateBucket", **params)
        await self.configured(name, self._configure(request, name, {}))
        return self._created(request, name)

    def _created(self, request: ResourceRequest, name: str) -> Created:
        region = request.stack.region
        return Created(
            name,
            {
                "Arn": f"arn:aws:s3:::{name}",
                "DomainName": f"{name}.s3.amazonaws.com",
                "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
                "DualStackDomainName": f"{name}.s3.dualstack.{region}.amazonaws.com",
                "WebsiteURL": f"http://{name}.s3-website-{region}.amazonaws.com",
            },
        )

    async def _configure(self, request: ResourceRequest, bucket_name: str, previous: Any) -> None:
        props = request.properties
        name = bucket_name
        if props.get("VersioningConfiguration") != previous.get(
            "VersioningConfiguration"
        ) and props.get("VersioningConfiguration"):
            await self.call(
                request,
                "s3",
                "PutBucketVersioning",
                Bucket=name,
                VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]},
            )
        if props.get("Tags") != previous.get("Tags"):
            if props.get("Tags"):
                await self.call(
                    request,
                    "s3",
                    "PutBucketTagging",
                    Bucket=name,
                    Tagging={"TagSet": tag_list(props["Tags"])},
                )
            else:
                await self.attempt(request, "s3", "DeleteBucketTagging", Bucket=name)
        if props.get("CorsConfiguration") != previous.get("CorsConfiguration"):
            if props.get("CorsConfiguration"):
                await self.call(
                    request,
                    "s3",
                    "PutBucketCors",
                    Bucket=name,
                    CORSConfiguration=_cors(props["CorsConfiguration"]),
                )
            else:
                await self.attempt(request, "s3", "DeleteBucketCors", Bucket=name)
        for prop, put, member, remove, shape in _CONFIGURATIONS:
            if props.get(prop) == previous.get(prop):
                continue
            if props.get(prop):
                await self.call(
                    request, "s3", put, Bucket=bucket_name, **{member: shape(props[prop])}
                )
            else:
                await self.attempt(request, "s3", remove, Bucket=bucket_name)
        if props.get("NotificationConfiguration") != previous.get("NotificationConfiguration"):
            await self.call(
                request,
                "s3",
                "PutBucketNotificationConfiguration",
                Bucket=name,
                NotificationConfiguration=notification_configuration(
                    props.get("NotificationConfiguration")
                ),
            )

    async def update(self, request: ResourceRequest) -> Created:
        await self._configure(request, request.physical_id, request.previous)
        return self._created(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        # A bucket that still holds objects is refused, as in AWS (BucketNotEmpty).
        await self.call(request, "s3", "DeleteBucket", Bucket=request.physical_id)


class BucketPolicy(Provider):
    types = ("AWS::S3::BucketPolicy",)
    replacement = frozenset({"Bucket"})

    async def create(self, request: ResourceRequest) -> Created:
        bucket = str(request.properties["Bucket"])
        await self.call(
            request,
            "s3",
            "PutBucketPolicy",
            Bucket=bucket,
            Policy=as_json(request.properties.get("PolicyDocument", {})),
        )
        return Created(request.physical_id or physical_name(request))

    async def update(self, request: ResourceRequest) -> Created:
        return await self.create(request)

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(
            request, "s3", "DeleteBucketPolicy", Bucket=str(request.properties["Bucket"])
        )


class LogGroup(Provider):
    types = ("AWS::Logs::LogGroup",)
    replacement = frozenset({"LogGroupName", "KmsKeyId", "LogGroupClass"})

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        name = str(props.get("LogGroupName") or physical_name(request, max_length=512))
        params: dict[str, Any] = {"logGroupName": name}
        tags = tag_map(props.get("Tags"))
        if tags:
            params["tags"] = tags
        await self.call(request, "logs", "CreateLogGroup", **params)
        await self._retention(request, name, None)
        return self._created(request, name)

    def _created(self, request: ResourceRequest, name: str) -> Created:
        stack = request.stack
        return Created(
            name, {"Arn": f"arn:aws:logs:{stack.region}:{stack.account}:log-group:{name}:*"}
        )

    async def _retention(self, request: ResourceRequest, name: str, before: Any) -> None:
        days = request.properties.get("RetentionInDays")
        if days == before:
            return
        if days is None:
            await self.attempt(request, "logs", "DeleteRetentionPolicy", logGroupName=name)
        else:
            await self.call(
                request, "logs", "PutRetentionPolicy", logGroupName=name, retentionInDays=int(days)
            )

    async def update(self, request: ResourceRequest) -> Created:
        await self._retention(request, request.physical_id, request.previous.get("RetentionInDays"))
        return self._created(request, request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(request, "logs", "DeleteLogGroup", logGroupName=request.physical_id)


class SubscriptionFilter(Provider):
    types = ("AWS::Logs::SubscriptionFilter",)
    replacement = frozenset({"LogGroupName", "FilterName"})

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        name = str(props.get("FilterName") or physical_name(request, max_length=512))
        params: dict[str, Any] = {
            "logGroupName": str(props["LogGroupName"]),
            "filterName": name,
            "filterPattern": str(props.get("FilterPattern", "")),
            "destinationArn": str(props["DestinationArn"]),
        }
        if "RoleArn" in props:
            params["roleArn"] = str(props["RoleArn"])
        if "Distribution" in props:
            params["distribution"] = str(props["Distribution"])
        await self.call(request, "logs", "PutSubscriptionFilter", **params)
        return Created(name)

    async def update(self, request: ResourceRequest) -> Created:
        props = dict(request.properties)
        props["FilterName"] = request.physical_id
        await self.create(
            ResourceRequest(request.stack, request.logical_id, request.resource_type, props)
        )
        return Created(request.physical_id)

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(
            request,
            "logs",
            "DeleteSubscriptionFilter",
            logGroupName=str(request.properties["LogGroupName"]),
            filterName=request.physical_id,
        )


class Repository(Provider):
    """``AWS::ECR::Repository`` (CDK's bootstrap stack has one), through ECR's API (moto's)."""

    types = ("AWS::ECR::Repository",)
    replacement = frozenset({"RepositoryName"})

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        name = str(
            props.get("RepositoryName") or physical_name(request, max_length=256, lower=True)
        )
        params: dict[str, Any] = {"repositoryName": name}
        if "ImageTagMutability" in props:
            params["imageTagMutability"] = str(props["ImageTagMutability"])
        scanning = props.get("ImageScanningConfiguration")
        if scanning:
            params["imageScanningConfiguration"] = {
                "scanOnPush": str(scanning.get("ScanOnPush", "false")).lower() == "true"
            }
        if props.get("Tags"):
            params["tags"] = tag_list(props["Tags"])
        repository = (await self.call(request, "ecr", "CreateRepository", **params))["repository"]
        await self.configured(name, self._policies(request, name, {}))
        return Created(
            name, {"Arn": repository["repositoryArn"], "RepositoryUri": repository["repositoryUri"]}
        )

    async def _policies(self, request: ResourceRequest, name: str, previous: Any) -> None:
        props = request.properties
        lifecycle = (props.get("LifecyclePolicy") or {}).get("LifecyclePolicyText")
        if lifecycle and lifecycle != (previous.get("LifecyclePolicy") or {}).get(
            "LifecyclePolicyText"
        ):
            await self.call(
                request,
                "ecr",
                "PutLifecyclePolicy",
                repositoryName=name,
                lifecyclePolicyText=as_json(lifecycle),
            )
        policy = props.get("RepositoryPolicyText")
        if policy and policy != previous.get("RepositoryPolicyText"):
            await self.call(
                request,
                "ecr",
                "SetRepositoryPolicy",
                repositoryName=name,
                policyText=as_json(policy),
            )

    async def update(self, request: ResourceRequest) -> Created:
        await self._policies(request, request.physical_id, request.previous)
        return Created(request.physical_id, dict(request.attributes))

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(
            request, "ecr", "DeleteRepository", repositoryName=request.physical_id, force=True
        )


STORAGE = (Bucket, BucketPolicy, LogGroup, SubscriptionFilter, Repository)
