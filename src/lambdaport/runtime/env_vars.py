"""The environment variables of an execution environment (the defined runtime environment
variables of https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from lambdaport.runtime.settings import RuntimeSettings
from lambdaport.runtime.spec import FunctionSpec

# Reserved names a user may not set (CreateFunction refuses them).
RESERVED = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)

# A function's credentials, as AWS gives it its execution role's temporary credentials: the
# access key is the function's account, which lambdaport reads as the account of every call
# made with it (a 12-digit access key, gateway/identity.py), so the function's SDK calls land
# in its own account; the secret is the one the gateway verifies every access key with under
# --strict-auth (gateway/sigv4.py); the session token is not checked.
SECRET_ACCESS_KEY = "test"


def session_token(account_id: str) -> str:
    return f"lambdaport-session-{account_id}"


def function_environment(
    spec: FunctionSpec,
    settings: RuntimeSettings,
    log_stream_name: str,
    *,
    runtime_api: str | None = None,
    family: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Everything a worker process sees in ``os.environ``.

    ``runtime_api`` is ``host:port`` of the environment's Runtime API (a custom runtime's
    bootstrap reads its invocations there; every runtime's extensions register there).
    ``family`` are the variables of the runtime's family (``AWS_EXECUTION_ENV`` of the
    managed runtimes). User variables cannot override reserved ones.
    """
    env: dict[str, str] = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    }
    env.update(spec.environment)
    env.update(
        {
            "_HANDLER": spec.handler,
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": spec.initialization_type,
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream_name,
            "AWS_ACCESS_KEY": spec.account_id,
            "AWS_ACCESS_KEY_ID": spec.account_id,
            "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "AWS_SESSION_TOKEN": session_token(spec.account_id),
            "LAMBDA_TASK_ROOT": spec.code_dir,
            "LAMBDA_RUNTIME_DIR": spec.code_dir,
        }
    )
    # AWS's LD_LIBRARY_PATH ends with the code's and the layers' libraries; PATH with the
    # layers' programs (https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html).
    libraries = [spec.code_dir, f"{spec.code_dir}/lib"]
    if spec.opt_dir is not None:
        env["PATH"] = f"{env['PATH']}:{spec.opt_dir}/bin"
        libraries.append(f"{spec.opt_dir}/lib")
    env.setdefault("LD_LIBRARY_PATH", ":".join(libraries))  # unless the user set it
    if spec.log_format == "JSON":  # the runtime formats and filters its own records
        env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
        env["AWS_LAMBDA_LOG_LEVEL"] = spec.application_log_level
    # boto3 inside the function talks to lambdaport unless the user pointed it elsewhere.
    env.setdefault("AWS_ENDPOINT_URL", settings.endpoint_url)
    env.update(family or {})
    if runtime_api is not None:
        env["AWS_LAMBDA_RUNTIME_API"] = runtime_api
    return env


def log_stream_name(version: str, environment_id: str, day: str) -> str:
    """AWS's stream name: ``YYYY/MM/DD/[$LATEST]<32 hex>`` (one per environment)."""
    return f"{day}/[{version}]{environment_id}"
