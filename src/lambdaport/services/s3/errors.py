"""S3's errors, with its codes, messages and the extra elements its error XML carries."""

from __future__ import annotations

from lambdaport.errors import AwsError


def bucket_error(code: str, message: str, status: int, bucket: str) -> AwsError:
    """An error about a bucket (or one of its subresources): its XML names the bucket."""
    return AwsError(code, message, status, fields={"BucketName": bucket})


def no_such_bucket(bucket: str) -> AwsError:
    return bucket_error("NoSuchBucket", "The specified bucket does not exist", 404, bucket)


def no_such_key(key: str) -> AwsError:
    return AwsError("NoSuchKey", "The specified key does not exist.", 404, fields={"Key": key})


def no_such_version(key: str, version_id: str) -> AwsError:
    return AwsError(
        "NoSuchVersion",
        "The specified version does not exist.",
        404,
        fields={"Key": key, "VersionId": version_id},
    )


def no_such_upload(upload_id: str) -> AwsError:
    return AwsError(
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload "
        "may have been aborted or completed.",
        404,
        fields={"UploadId": upload_id},
    )


def invalid_argument(message: str, name: str | None = None, value: str | None = None) -> AwsError:
    fields = {} if name is None else {"ArgumentName": name, "ArgumentValue": value}
    return AwsError("InvalidArgument", message, 400, fields=fields)


# Arguments S3 names in its message when their text is not an integer.
_INTEGER_ARGUMENTS = frozenset(
    {"max-keys", "max-uploads", "max-parts", "part-number-marker", "max-buckets"}
)
PART_NUMBER_RANGE = "Part number must be an integer between 1 and 10000, inclusive"


def invalid_value(wire: str, text: str) -> AwsError:
    """A query parameter or header whose text is not of its type (``max-keys=ten``)."""
    if wire in _INTEGER_ARGUMENTS:
        message = f"Provided {wire} not an integer or within integer range"
    elif wire == "partNumber":
        message = PART_NUMBER_RANGE
    else:
        message = f"Invalid value for {wire}"
    return invalid_argument(message, wire, text)


def invalid_tag(message: str) -> AwsError:
    return AwsError("InvalidTag", message, 400)


def invalid_request(message: str) -> AwsError:
    return AwsError("InvalidRequest", message, 400)


def malformed_xml() -> AwsError:
    return AwsError(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
        400,
    )


def precondition_failed(condition: str) -> AwsError:
    return AwsError(
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        412,
        fields={"Condition": condition},
    )


def bad_digest(what: str) -> AwsError:
    return AwsError(
        "BadDigest", f"The {what} you specified did not match the calculated checksum.", 400
    )


def method_not_allowed(method: str, resource: str) -> AwsError:
    return AwsError(
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        405,
        fields={"Method": method, "ResourceType": resource},
    )


def not_implemented(what: str) -> AwsError:
    return AwsError(
        "NotImplemented",
        f"A header or operation you provided implies functionality that is not implemented "
        f"({what}).",
        501,
        sender_fault=False,
    )
