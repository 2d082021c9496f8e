"""ACLs as S3 keeps and returns them: canned ACLs, ``x-amz-grant-*`` headers and
AccessControlPolicy documents on buckets and objects (PutObject and CreateBucket headers
too), the grantee types in the XML, S3's refusals, and Object Ownership / Block Public Access
deciding whether an ACL may be set at all."""

from __future__ import annotations

import http.client
import uuid
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

import pytest
from botocore.exceptions import ClientError

from lambdaport.testing.server import Server
from tests.services.s3.conftest import MakeBucket

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
OTHER_USER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
XSI = "{http://www.w3.org/2001/XMLSchema-instance}type"


@pytest.fixture
def acl_bucket(s3: S3Client, make_bucket: MakeBucket) -> str:
    """A bucket that takes ACLs: ObjectWriter ownership, public ACLs not blocked."""
    bucket = make_bucket()
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": False,
            "IgnorePublicAcls": False,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    return bucket


def owner_id(s3: S3Client) -> str:
    return s3.list_buckets()["Owner"]["ID"]


def error(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    found: dict[str, Any] = dict(raised.value.response["Error"])
    found["Status"] = raised.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return found


def test_canned_acls_on_a_bucket(s3: S3Client, acl_bucket: str) -> None:
    me = owner_id(s3)
    owner_full = {"Grantee": {"ID": me, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}
    policy = s3.get_bucket_acl(Bucket=acl_bucket)
    assert policy["Owner"] == {"ID": me}
    assert policy["Grants"] == [owner_full]
    s3.put_bucket_acl(Bucket=acl_bucket, ACL="public-read-write")
    assert s3.get_bucket_acl(Bucket=acl_bucket)["Grants"] == [
        owner_full,
        {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"},
        {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "WRITE"},
    ]
    s3.put_bucket_acl(Bucket=acl_bucket, ACL="authenticated-read")
    assert s3.get_bucket_acl(Bucket=acl_bucket)["Grants"][1] == {
        "Grantee": {"Type": "Group", "URI": AUTHENTICATED},
        "Permission": "READ",
    }
    s3.put_bucket_acl(Bucket=acl_bucket, ACL="private")
    assert s3.get_bucket_acl(Bucket=acl_bucket)["Grants"] == [owner_full]


def test_grant_headers_and_the_grantee_xml(server: Server, s3: S3Client, acl_bucket: str) -> None:
    s3.put_bucket_acl(
        Bucket=acl_bucket,
        GrantRead=f'uri="{LOG_DELIVERY}", id="{OTHER_USER}"',
        GrantWriteACP='emailAddress="someone@example.com"',
        GrantFullControl=f'id="{OTHER_USER}"',
    )
    grants = s3.get_bucket_acl(Bucket=acl_bucket)["Grants"]
    assert grants == [
        {"Grantee": {"ID": OTHER_USER, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "Group", "URI": LOG_DELIVERY}, "Permission": "READ"},
        {"Grantee": {"ID": OTHER_USER, "Type": "CanonicalUser"}, "Permission": "READ"},
        {
            "Grantee": {"EmailAddress": "someone@example.com", "Type": "AmazonCustomerByEmail"},
            "Permission": "WRITE_ACP",
        },
    ]
    # On the wire: xsi:type attributes, as S3 writes them.
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("GET", f"/{acl_bucket}?acl")
    root = ElementTree.fromstring(connection.getresponse().read())
    connection.close()
    assert root.tag == "{http://s3.amazonaws.com/doc/2006-03-01/}AccessControlPolicy"
    types = [g.attrib[XSI] for g in root.iter() if g.tag.endswith("Grantee")]
    assert types == ["CanonicalUser", "Group", "CanonicalUser", "AmazonCustomerByEmail"]


def test_access_control_policy_documents(s3: S3Client, acl_bucket: str) -> None:
    me = owner_id(s3)
    document: Any = {
        "Owner": {"ID": me},
        "Grants": [
            {"Grantee": {"ID": me, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"URI": LOG_DELIVERY, "Type": "Group"}, "Permission": "WRITE"},
        ],
    }
    s3.put_bucket_acl(Bucket=acl_bucket, AccessControlPolicy=document)
    assert s3.get_bucket_acl(Bucket=acl_bucket)["Grants"] == document["Grants"]
    s3.put_object(Bucket=acl_bucket, Key="k", Body=b"x")
    s3.put_object_acl(Bucket=acl_bucket, Key="k", AccessControlPolicy=document)
    assert s3.get_object_acl(Bucket=acl_bucket, Key="k")["Grants"] == document["Grants"]


def test_refusals(s3: S3Client, acl_bucket: str) -> None:
    me = owner_id(s3)
    put = s3.put_bucket_acl
    canned = error(put, Bucket=acl_bucket, ACL="fake-acl")
    assert (canned["Code"], canned["ArgumentName"], canned["ArgumentValue"]) == (
        "InvalidArgument",
        "x-amz-acl",
        "fake-acl",
    )
    fake_group = error(put, Bucket=acl_bucket, GrantWrite=f'uri="{ALL_USERS}x"')
    assert (fake_group["Message"], fake_group["ArgumentName"]) == ("Invalid group uri", "uri")
    fake_key = error(put, Bucket=acl_bucket, GrantWrite='fakekey="1234"')
    assert (fake_key["Message"], fake_key["ArgumentName"], fake_key["ArgumentValue"]) == (
        "Argument format not recognized",
        "x-amz-grant-write",
        'fakekey="1234"',
    )
    wrong_id = error(put, Bucket=acl_bucket, GrantWrite='id="wrong-id"')
    assert (wrong_id["Message"], wrong_id["ArgumentName"]) == ("Invalid id", "id")
    both = error(put, Bucket=acl_bucket, ACL="private", GrantRead=f'uri="{LOG_DELIVERY}"')
    assert (both["Code"], both["Message"]) == (
        "InvalidRequest",
        "Specifying both Canned ACLs and Header Grants is not allowed",
    )
    nothing = error(put, Bucket=acl_bucket)
    assert (nothing["Code"], nothing["MissingHeaderName"]) == ("MissingSecurityHeader", "x-amz-acl")
    grant = {"Grantee": {"URI": LOG_DELIVERY, "Type": "Group"}, "Permission": "WRITE"}
    no_owner = error(put, Bucket=acl_bucket, AccessControlPolicy={"Grants": [grant]})
    assert (no_owner["Code"], no_owner["Status"]) == ("MalformedACLError", 400)
    bad_permission = {**grant, "Permission": "WRONG-PERMISSION"}
    policy: Any = {"Owner": {"ID": me}, "Grants": [bad_permission]}
    assert error(put, Bucket=acl_bucket, AccessControlPolicy=policy)["Code"] == "MalformedACLError"
    policy = {"Owner": {"ID": "wrong-id"}, "Grants": [grant]}
    bad_owner = error(put, Bucket=acl_bucket, AccessControlPolicy=policy)
    assert (bad_owner["Message"], bad_owner["ArgumentName"]) == ("Invalid id", "CanonicalUser/ID")
    with_body = error(
        put,
        Bucket=acl_bucket,
        ACL="private",
        AccessControlPolicy={"Owner": {"ID": me}, "Grants": [grant]},
    )
    assert with_body["Code"] == "UnexpectedContent"
    put_object = error(s3.put_object, Bucket=acl_bucket, Key="k", Body=b"x", ACL="fake-acl")
    assert put_object["ArgumentName"] == "x-amz-acl"


def test_object_acls_from_writes(s3: S3Client, acl_bucket: str) -> None:
    me = owner_id(s3)
    s3.put_object(Bucket=acl_bucket, Key="public", Body=b"x", ACL="public-read")
    assert s3.get_object_acl(Bucket=acl_bucket, Key="public")["Grants"] == [
        {"Grantee": {"ID": me, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"},
    ]
    s3.put_object(Bucket=acl_bucket, Key="granted", Body=b"x", GrantRead=f'id="{OTHER_USER}"')
    assert s3.get_object_acl(Bucket=acl_bucket, Key="granted")["Grants"] == [
        {"Grantee": {"ID": OTHER_USER, "Type": "CanonicalUser"}, "Permission": "READ"}
    ]
    upload = s3.create_multipart_upload(Bucket=acl_bucket, Key="mp", ACL="authenticated-read")
    etag = s3.upload_part(
        Bucket=acl_bucket, Key="mp", UploadId=upload["UploadId"], PartNumber=1, Body=b"p"
    )["ETag"]
    s3.complete_multipart_upload(
        Bucket=acl_bucket,
        Key="mp",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
    )
    grants = s3.get_object_acl(Bucket=acl_bucket, Key="mp")["Grants"]
    assert grants[1] == {"Grantee": {"Type": "Group", "URI": AUTHENTICATED}, "Permission": "READ"}
    # A copy gets its own ACL (private unless the copy request says otherwise).
    s3.copy_object(Bucket=acl_bucket, Key="copy", CopySource=f"{acl_bucket}/public")
    assert len(s3.get_object_acl(Bucket=acl_bucket, Key="copy")["Grants"]) == 1


def test_ownership_and_public_access_block(s3: S3Client, make_bucket: MakeBucket) -> None:
    enforced = make_bucket()  # a new bucket: BucketOwnerEnforced, public access blocked
    refused = error(s3.put_bucket_acl, Bucket=enforced, ACL="public-read")
    assert (refused["Code"], refused["Message"], refused["Status"]) == (
        "AccessControlListNotSupported",
        "The bucket does not allow ACLs",
        400,
    )
    s3.put_bucket_acl(Bucket=enforced, ACL="private")  # the owner's full control is taken
    s3.put_object(Bucket=enforced, Key="k", Body=b"x", ACL="bucket-owner-full-control")
    put = error(s3.put_object, Bucket=enforced, Key="k2", Body=b"x", ACL="public-read")
    assert put["Code"] == "AccessControlListNotSupported"
    writer = make_bucket()
    s3.put_bucket_ownership_controls(
        Bucket=writer, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    s3.put_bucket_acl(Bucket=writer, GrantRead=f'uri="{LOG_DELIVERY}"')
    blocked = error(s3.put_bucket_acl, Bucket=writer, ACL="public-read")
    assert (blocked["Code"], blocked["Status"]) == ("AccessDenied", 403)
    name = f"bkt-{uuid.uuid4().hex[:16]}"
    create = error(s3.create_bucket, Bucket=name, ACL="public-read")
    assert create["Code"] == "InvalidBucketAclWithObjectOwnership"
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket=name)
