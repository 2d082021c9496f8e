"""VPC resources a function's ``VpcConfig`` names, through EC2's API (moto's):
``AWS::EC2::VPC``, ``Subnet``, ``SecurityGroup`` (with its rules), ``InternetGateway``,
``VPCGatewayAttachment``, ``RouteTable``, ``Route``, ``SubnetRouteTableAssociation``."""

from __future__ import annotations

from typing import Any

from lambdaport.services.cloudformation.providers.base import (
    Created,
    Provider,
    ResourceRequest,
    physical_name,
    tag_list,
)


def _tags(resource_type: str, props: Any) -> list[dict[str, Any]]:
    tags = tag_list(props.get("Tags"))
    return [{"ResourceType": resource_type, "Tags": tags}] if tags else []


class Vpc(Provider):
    types = ("AWS::EC2::VPC",)
    immutable = True

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        params: dict[str, Any] = {"CidrBlock": str(props.get("CidrBlock", "10.0.0.0/16"))}
        if "InstanceTenancy" in props:
            params["InstanceTenancy"] = str(props["InstanceTenancy"])
        if _tags("vpc", props):
            params["TagSpecifications"] = _tags("vpc", props)
        vpc = (await self.call(request, "ec2", "CreateVpc", **params))["Vpc"]
        vpc_id = vpc["VpcId"]
        groups = await self.call(
            request,
            "ec2",
            "DescribeSecurityGroups",
            Filters=[
                {"Name": "vpc-id", "Values": [vpc_id]},
                {"Name": "group-name", "Values": ["default"]},
            ],
        )
        acls = await self.call(
            request,
            "ec2",
            "DescribeNetworkAcls",
            Filters=[
                {"Name": "vpc-id", "Values": [vpc_id]},
                {"Name": "default", "Values": ["true"]},
            ],
        )
        return Created(
            vpc_id,
            {
                "VpcId": vpc_id,
                "CidrBlock": vpc["CidrBlock"],
                "DefaultSecurityGroup": next((g["GroupId"] for g in groups["SecurityGroups"]), ""),
                "DefaultNetworkAcl": next((a["NetworkAclId"] for a in acls["NetworkAcls"]), ""),
                "CidrBlockAssociations": [
                    a["AssociationId"] for a in vpc.get("CidrBlockAssociationSet", [])
                ],
            },
        )

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(request, "ec2", "DeleteVpc", VpcId=request.physical_id)


class Subnet(Provider):
    types = ("AWS::EC2::Subnet",)
    immutable = True

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        params: dict[str, Any] = {
            "VpcId": str(props["VpcId"]),
            "CidrBlock": str(props["CidrBlock"]),
        }
        if "AvailabilityZone" in props:
            params["AvailabilityZone"] = str(props["AvailabilityZone"])
        if _tags("subnet", props):
            params["TagSpecifications"] = _tags("subnet", props)
        subnet = (await self.call(request, "ec2", "CreateSubnet", **params))["Subnet"]
        return Created(
            subnet["SubnetId"],
            {
                "SubnetId": subnet["SubnetId"],
                "AvailabilityZone": subnet["AvailabilityZone"],
                "VpcId": subnet["VpcId"],
                "CidrBlock": subnet["CidrBlock"],
            },
        )

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(request, "ec2", "DeleteSubnet", SubnetId=request.physical_id)


def _permissions(rules: Any) -> list[dict[str, Any]]:
    permissions = []
    for rule in rules or []:
        item: dict[str, Any] = {"IpProtocol": str(rule.get("IpProtocol", "-1"))}
        if "FromPort" in rule:
            item["FromPort"] = int(rule["FromPort"])
        if "ToPort" in rule:
            item["ToPort"] = int(rule["ToPort"])
        if "CidrIp" in rule:
            item["IpRanges"] = [
                {
                    "CidrIp": rule["CidrIp"],
                    **({"Description": rule["Description"]} if "Description" in rule else {}),
                }
            ]
        for key in ("SourceSecurityGroupId", "DestinationSecurityGroupId"):
            if key in rule:
                item["UserIdGroupPairs"] = [{"GroupId": rule[key]}]
        permissions.append(item)
    return permissions


class SecurityGroup(Provider):
    types = ("AWS::EC2::SecurityGroup",)
    replacement = frozenset({"GroupName", "GroupDescription", "VpcId"})

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        params: dict[str, Any] = {
            "GroupName": str(props.get("GroupName") or physical_name(request, max_length=255)),
            "Description": str(props.get("GroupDescription", "")),
        }
        if "VpcId" in props:
            params["VpcId"] = str(props["VpcId"])
        if _tags("security-group", props):
            params["TagSpecifications"] = _tags("security-group", props)
        group_id = (await self.call(request, "ec2", "CreateSecurityGroup", **params))["GroupId"]
        await self.configured(group_id, self._rules(request, group_id, {}))
        return Created(group_id, {"GroupId": group_id, "VpcId": str(props.get("VpcId", ""))})

    async def _rules(self, request: ResourceRequest, group_id: str, previous: Any) -> None:
        props = request.properties
        for key, operation, revoke in (
            ("SecurityGroupIngress", "AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress"),
            ("SecurityGroupEgress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress"),
        ):
            if props.get(key) == previous.get(key):
                continue
            if previous.get(key):
                await self.attempt(
                    request,
                    "ec2",
                    revoke,
                    GroupId=group_id,
                    IpPermissions=_permissions(previous[key]),
                )
            if props.get(key):
                await self.call(
                    request,
                    "ec2",
                    operation,
                    GroupId=group_id,
                    IpPermissions=_permissions(props[key]),
                )

    async def update(self, request: ResourceRequest) -> Created:
        await self._rules(request, request.physical_id, request.previous)
        return Created(request.physical_id, dict(request.attributes))

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(request, "ec2", "DeleteSecurityGroup", GroupId=request.physical_id)


class InternetGateway(Provider):
    types = ("AWS::EC2::InternetGateway",)

    async def create(self, request: ResourceRequest) -> Created:
        gateway = (await self.call(request, "ec2", "CreateInternetGateway"))["InternetGateway"]
        return Created(
            gateway["InternetGatewayId"], {"InternetGatewayId": gateway["InternetGatewayId"]}
        )

    async def update(self, request: ResourceRequest) -> Created:
        return Created(request.physical_id, dict(request.attributes))

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(
            request, "ec2", "DeleteInternetGateway", InternetGatewayId=request.physical_id
        )


class GatewayAttachment(Provider):
    types = ("AWS::EC2::VPCGatewayAttachment",)
    immutable = True

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        await self.call(
            request,
            "ec2",
            "AttachInternetGateway",
            InternetGatewayId=str(props["InternetGatewayId"]),
            VpcId=str(props["VpcId"]),
        )
        return Created(physical_name(request, max_length=128))

    async def delete(self, request: ResourceRequest) -> None:
        props = request.properties
        await self.attempt(
            request,
            "ec2",
            "DetachInternetGateway",
            InternetGatewayId=str(props["InternetGatewayId"]),
            VpcId=str(props["VpcId"]),
        )


class RouteTable(Provider):
    types = ("AWS::EC2::RouteTable",)
    immutable = True

    async def create(self, request: ResourceRequest) -> Created:
        table = (
            await self.call(
                request, "ec2", "CreateRouteTable", VpcId=str(request.properties["VpcId"])
            )
        )["RouteTable"]
        return Created(table["RouteTableId"], {"RouteTableId": table["RouteTableId"]})

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(request, "ec2", "DeleteRouteTable", RouteTableId=request.physical_id)


class Route(Provider):
    types = ("AWS::EC2::Route",)
    immutable = True

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        params: dict[str, Any] = {"RouteTableId": str(props["RouteTableId"])}
        for key in (
            "DestinationCidrBlock",
            "GatewayId",
            "NatGatewayId",
            "InstanceId",
            "VpcPeeringConnectionId",
            "TransitGatewayId",
        ):
            if key in props:
                params[key] = str(props[key])
        await self.call(request, "ec2", "CreateRoute", **params)
        return Created(physical_name(request, max_length=128))

    async def delete(self, request: ResourceRequest) -> None:
        props = request.properties
        await self.attempt(
            request,
            "ec2",
            "DeleteRoute",
            RouteTableId=str(props["RouteTableId"]),
            DestinationCidrBlock=str(props.get("DestinationCidrBlock", "")),
        )


class RouteTableAssociation(Provider):
    types = ("AWS::EC2::SubnetRouteTableAssociation",)
    immutable = True

    async def create(self, request: ResourceRequest) -> Created:
        props = request.properties
        answer = await self.call(
            request,
            "ec2",
            "AssociateRouteTable",
            RouteTableId=str(props["RouteTableId"]),
            SubnetId=str(props["SubnetId"]),
        )
        return Created(answer["AssociationId"])

    async def delete(self, request: ResourceRequest) -> None:
        await self.attempt(
            request, "ec2", "DisassociateRouteTable", AssociationId=request.physical_id
        )


NETWORKING = (
    Vpc,
    Subnet,
    SecurityGroup,
    InternetGateway,
    GatewayAttachment,
    RouteTable,
    Route,
    RouteTableAssociation,
)
