"""S3's errors, with its codes, messages and the extra elements its error XML carries, and
how they are answered (:class:`S3Errors`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lambdaport.asgi import IDLE_MESSAGE, RequestTimeout
from lambdaport.errors import AwsError
from lambdaport.protocol.base import HttpResponse
from lambdaport.protocol.rest_xml import RestXmlProtocol
from lambdaport.services.s3.models import new_host_id


def internal_error() -> AwsError:
    return AwsError(
        "InternalError",
        "We encountered an internal error. Please try again.",
        500,
        sender_fault=False,
    )


@dataclass(frozen=True, slots=True)
class S3Errors:
    """The S3 endpoint's ``ErrorProtocol``: S3's error XML, named by ``x-amz-request-id``
    and ``x-amz-id-2`` (the gateway drops the body of an answer to HEAD). A body that
    stalled is S3's own 400 ``RequestTimeout`` (botocore retries it as a timeout)."""

    protocol: RestXmlProtocol
    internal: AwsError = field(default_factory=internal_error)

    def error_response(self, error: AwsError, request_id: str) -> HttpResponse:
        if isinstance(error, RequestTimeout):
            error = AwsError("RequestTimeout", IDLE_MESSAGE, 400)
        response = self.protocol.serialize_error(None, error, request_id)
        response.headers += [("x-amz-request-id", request_id), ("x-amz-id-2", new_host_id())]
        return response


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
