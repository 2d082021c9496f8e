"""Access control lists, kept and returned as S3 keeps them (not enforced on requests).

An ACL comes from a canned ``x-amz-acl``, from ``x-amz-grant-*`` headers
(``id="..."``, ``uri="..."``, ``emailAddress="..."``) or from an ``AccessControlPolicy``
document, each checked as S3 checks it. It is stored as the policy GetBucketAcl and
GetObjectAcl answer: the owner and the grants, grantees in the model's members (``Type``
CanonicalUser, Group or AmazonCustomerByEmail). Object Ownership decides whether ACLs may be
set at all: with ``BucketOwnerEnforced`` (the default of new buckets) only the owner's full
control is taken, and Block Public Access refuses public grants.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lambdaport.errors import AwsError
from lambdaport.services.s3.bucket_config import SUBRESOURCES
from lambdaport.services.s3.errors import invalid_argument, invalid_request
from lambdaport.services.s3.models import Bucket, ObjectVersion, canonical_user_id

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
GROUPS = frozenset({ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY})
PUBLIC_GROUPS = frozenset({ALL_USERS, AUTHENTICATED_USERS})
PERMISSIONS = ("FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP")
EC2_BUNDLE_READER = "6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c"
# (request member, header, permission), in the model's order
GRANT_HEADERS = (
    ("GrantFullControl", "x-amz-grant-full-control", "FULL_CONTROL"),
    ("GrantRead", "x-amz-grant-read", "READ"),
    ("GrantReadACP", "x-amz-grant-read-acp", "READ_ACP"),
    ("GrantWrite", "x-amz-grant-write", "WRITE"),
    ("GrantWriteACP", "x-amz-grant-write-acp", "WRITE_ACP"),
)
_CANONICAL_ID = re.compile(r"[0-9a-fA-F]{64}")
_GRANT_ITEM = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^,"\s]*))\s*(?:,|$)')

Grant = dict[str, Any]
Policy = dict[str, Any]  # {"Owner": {"ID": ...}, "Grants": [...]}


def _user(user_id: str) -> dict[str, str]:
    return {"Type": "CanonicalUser", "ID": user_id}


def _group(uri: str) -> dict[str, str]:
    return {"Type": "Group", "URI": uri}


def canned_policy(canned: str, owner_account: str, bucket_owner: str | None = None) -> Policy:
    """The policy a canned ACL stands for (``bucket_owner``: the account owning the bucket of
    an object, for the ``bucket-owner-*`` ACLs)."""
    owner_id = canonical_user_id(owner_account)
    grants: list[Grant] = [{"Grantee": _user(owner_id), "Permission": "FULL_CONTROL"}]
    extra: list[tuple[dict[str, str], str]] = []
    if canned in ("public-read", "public-read-write"):
        extra.append((_group(ALL_USERS), "READ"))
    if canned == "public-read-write":
        extra.append((_group(ALL_USERS), "WRITE"))
    if canned == "authenticated-read":
        extra.append((_group(AUTHENTICATED_USERS), "READ"))
    if canned == "aws-exec-read":
        extra.append((_user(EC2_BUNDLE_READER), "READ"))
    if canned == "log-delivery-write":
        extra += [(_group(LOG_DELIVERY), "WRITE"), (_group(LOG_DELIVERY), "READ_ACP")]
    other_owner = bucket_owner is not None and bucket_owner != owner_account
    if canned in ("bucket-owner-read", "bucket-owner-full-control") and other_owner:
        permission = "READ" if canned == "bucket-owner-read" else "FULL_CONTROL"
        extra.append((_user(canonical_user_id(str(bucket_owner))), permission))
    grants += [{"Grantee": grantee, "Permission": permission} for grantee, permission in extra]
    return {"Owner": {"ID": owner_id}, "Grants": grants}


CANNED = frozenset(
    {
        "private",
        "public-read",
        "public-read-write",
        "authenticated-read",
        "aws-exec-read",
        "bucket-owner-read",
        "bucket-owner-full-control",
        "log-delivery-write",
    }
)


def _header_grantee(header: str, text: str, key: str, value: str) -> dict[str, str]:
    kind = key.lower()
    if kind == "id":
        if not _CANONICAL_ID.fullmatch(value):
            raise invalid_argument("Invalid id", "id", value)
        return _user(value.lower())
    if kind == "uri":
        if value not in GROUPS:
            raise invalid_argument("Invalid group uri", "uri", value)
        return _group(value)
    if kind == "emailaddress":
        return {"Type": "AmazonCustomerByEmail", "EmailAddress": value}
    raise invalid_argument("Argument format not recognized", header, text)


def _header_grants(header: str, text: str, permission: str) -> list[Grant]:
    grants: list[Grant] = []
    position = 0
    while position < len(text.rstrip()):
        match = _GRANT_ITEM.match(text, position)
        if match is None or match.end() == position:
            raise invalid_argument("Argument format not recognized", header, text)
        value = match.group(2) if match.group(2) is not None else match.group(3)
        grantee = _header_grantee(header, text, match.group(1), value)
        grants.append({"Grantee": grantee, "Permission": permission})
        position = match.end()
    return grants


def malformed_acl() -> AwsError:
    return AwsError(
        "MalformedACLError",
        "The XML you provided was not well-formed or did not validate against our published schema",
        400,
    )


def _document_grantee(grantee: Mapping[str, Any]) -> dict[str, str]:
    kind = grantee.get("Type")
    if kind == "CanonicalUser":
        user_id = str(grantee.get("ID") or "")
        if not _CANONICAL_ID.fullmatch(user_id):
            raise invalid_argument("Invalid id", "CanonicalUser/ID", user_id)
        return _user(user_id.lower())
    if kind == "Group":
        uri = str(grantee.get("URI") or "")
        if uri not in GROUPS:
            raise invalid_argument("Invalid group uri", "Group/URI", uri)
        return _group(uri)
    if kind == "AmazonCustomerByEmail" and grantee.get("EmailAddress"):
        return {"Type": kind, "EmailAddress": str(grantee["EmailAddress"])}
    raise malformed_acl()


def _document_policy(document: Mapping[str, Any]) -> Policy:
    owner = document.get("Owner") or {}
    owner_id = str(owner.get("ID") or "")
    if not owner_id:
        raise malformed_acl()
    if not _CANONICAL_ID.fullmatch(owner_id):
        raise invalid_argument("Invalid id", "CanonicalUser/ID", owner_id)
    grants: list[Grant] = []
    for grant in document.get("Grants") or []:
        permission = grant.get("Permission")
        if permission not in PERMISSIONS or not grant.get("Grantee"):
            raise malformed_acl()
        grants.append({"Grantee": _document_grantee(grant["Grantee"]), "Permission": permission})
    return {"Owner": {"ID": owner_id.lower()}, "Grants": grants}


def requested_policy(
    params: Mapping[str, Any],
    owner_account: str,
    bucket_owner: str | None = None,
    *,
    document: bool = False,
) -> Policy | None:
    """The ACL a request sets (None: it sets none). ``document``: the operation also takes
    an ``AccessControlPolicy`` body (PutBucketAcl, PutObjectAcl)."""
    canned = params.get("ACL")
    headers = [(h, str(params[m]), p) for m, h, p in GRANT_HEADERS if params.get(m) is not None]
    body = params.get("AccessControlPolicy") if document else None
    if canned is not None and headers:
        raise invalid_request("Specifying both Canned ACLs and Header Grants is not allowed")
    if body is not None and (canned is not None or headers):
        raise AwsError("UnexpectedContent", "This request does not support content", 400)
    if canned is not None:
        if canned not in CANNED:
            raise invalid_argument("", "x-amz-acl", str(canned))
        return canned_policy(str(canned), owner_account, bucket_owner)
    if headers:
        grants = [grant for h, text, p in headers for grant in _header_grants(h, text, p)]
        return {"Owner": {"ID": canonical_user_id(owner_account)}, "Grants": grants}
    if body is not None:
        return _document_policy(body)
    return None


def required_policy(params: Mapping[str, Any], owner_account: str, bucket_owner: str) -> Policy:
    """PutBucketAcl/PutObjectAcl: an ACL must be given, one way only."""
    policy = requested_policy(params, owner_account, bucket_owner, document=True)
    if policy is None:
        raise AwsError(
            "MissingSecurityHeader",
            "Your request was missing a required header",
            400,
            fields={"MissingHeaderName": "x-amz-acl"},
        )
    return policy


def stored_policy(stored: Any, owner_account: str) -> Policy:
    """The policy kept with a bucket or object (a canned name from older data included)."""
    if isinstance(stored, Mapping):
        return {"Owner": dict(stored["Owner"]), "Grants": [dict(g) for g in stored["Grants"]]}
    return canned_policy(str(stored or "private"), owner_account)


def object_owner(bucket: Bucket, writer: str, obj: ObjectVersion | None = None) -> str:
    """The account owning an object: its writer's, unless the bucket owner owns every
    object (``BucketOwnerEnforced``); an existing object keeps the owner its ACL names."""
    if ownership(bucket.config) == "BucketOwnerEnforced":
        return bucket.account_id
    stored = obj.attrs.get("OwnerAccount") if obj is not None else None
    return str(stored or writer)


def acl_attrs(params: Mapping[str, Any], bucket: Bucket, writer: str) -> dict[str, Any]:
    """What a write (PutObject, CopyObject, CreateMultipartUpload, POST) keeps of its ACL
    headers: the checked policy, and the owner when it is not the bucket's."""
    owner = object_owner(bucket, writer)
    kept: dict[str, Any] = {} if owner == bucket.account_id else {"OwnerAccount": owner}
    policy = requested_policy(params, owner, bucket.account_id)
    if policy is not None:
        check_settable(policy, bucket.config, bucket.account_id)
        kept["ACL"] = policy
    return kept


def ownership(config: Mapping[str, Any]) -> str:
    """The Object Ownership in force: as put; a new bucket's (``BucketOwnerEnforced``) until
    then; once the controls are deleted, ACLs apply as before the setting existed."""
    controls = config.get("OwnershipControls", SUBRESOURCES["OwnershipControls"].default)
    rules = (controls or {}).get("Rules") or [{"ObjectOwnership": "ObjectWriter"}]
    return str(rules[0].get("ObjectOwnership"))


def public_access_block(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """The Block Public Access settings in force: as put; a new bucket's (all on) until
    then; none once deleted."""
    return config.get("PublicAccessBlock", SUBRESOURCES["PublicAccessBlock"].default) or {}


def _owner_only(policy: Policy, bucket_owner: str) -> bool:
    owner = {"Type": "CanonicalUser", "ID": canonical_user_id(bucket_owner)}
    return all(
        g["Grantee"] == owner and g["Permission"] == "FULL_CONTROL" for g in policy["Grants"]
    )


def check_settable(policy: Policy, bucket_config: Mapping[str, Any], bucket_owner: str) -> None:
    """Object Ownership and Block Public Access, as S3 applies them to an ACL being set."""
    if ownership(bucket_config) == "BucketOwnerEnforced" and not _owner_only(policy, bucket_owner):
        raise AwsError("AccessControlListNotSupported", "The bucket does not allow ACLs", 400)
    block = public_access_block(bucket_config)
    public = any(g["Grantee"].get("URI") in PUBLIC_GROUPS for g in policy["Grants"])
    if public and block.get("BlockPublicAcls"):
        raise AwsError("AccessDenied", "Access Denied", 403)
