"""The operations of a function's further settings, in the Lambda API's operation table
(``api.LambdaApi``'s ``more``): recursion control, runtime management, code signing and
provisioned concurrency, each ``requests`` → one domain call → ``rendering`` as every other."""

from __future__ import annotations

from typing import Any

from lambdaport.lambda_ import rendering as r
from lambdaport.lambda_ import requests as q
from lambdaport.lambda_.api import Operation
from lambdaport.lambda_.code_signing import CodeSigningService
from lambdaport.lambda_.provisioned_concurrency import ProvisionedConcurrencyService
from lambdaport.lambda_.recursion import RecursionService
from lambdaport.lambda_.runtime_management import RuntimeManagementService


def setting_operations(
    recursion: RecursionService,
    runtime_management: RuntimeManagementService,
    code_signing: CodeSigningService,
    provisioned: ProvisionedConcurrencyService,
) -> dict[str, Operation[Any, Any]]:
    signing, pc = code_signing, provisioned
    return {
        "PutFunctionRecursionConfig": Operation(
            q.put_function_recursion_config,
            recursion.put_function_recursion_config,
            r.recursion_config,
        ),
        "GetFunctionRecursionConfig": Operation(
            q.get_function_recursion_config,
            recursion.get_function_recursion_config,
            r.recursion_config,
        ),
        "PutRuntimeManagementConfig": Operation(
            q.put_runtime_management_config,
            runtime_management.put_runtime_management_config,
            r.runtime_management_config,
        ),
        "GetRuntimeManagementConfig": Operation(
            q.get_runtime_management_config,
            runtime_management.get_runtime_management_config,
            r.runtime_management_config,
        ),
        "CreateCodeSigningConfig": Operation(
            q.create_code_signing_config,
            signing.create_code_signing_config,
            r.code_signing_config,
        ),
        "GetCodeSigningConfig": Operation(
            q.get_code_signing_config, signing.get_code_signing_config, r.code_signing_config
        ),
        "UpdateCodeSigningConfig": Operation(
            q.update_code_signing_config,
            signing.update_code_signing_config,
            r.code_signing_config,
        ),
        "DeleteCodeSigningConfig": Operation(
            q.delete_code_signing_config, signing.delete_code_signing_config, r.empty
        ),
        "ListCodeSigningConfigs": Operation(
            q.list_code_signing_configs, signing.list_code_signing_configs, r.code_signing_configs
        ),
        "ListFunctionsByCodeSigningConfig": Operation(
            q.list_functions_by_code_signing_config,
            signing.list_functions_by_code_signing_config,
            r.function_arns,
        ),
        "PutFunctionCodeSigningConfig": Operation(
            q.put_function_code_signing_config,
            signing.put_function_code_signing_config,
            r.function_code_signing_config,
        ),
        "GetFunctionCodeSigningConfig": Operation(
            q.get_function_code_signing_config,
            signing.get_function_code_signing_config,
            r.function_code_signing_config,
        ),
        "DeleteFunctionCodeSigningConfig": Operation(
            q.delete_function_code_signing_config,
            signing.delete_function_code_signing_config,
            r.empty,
        ),
        "PutProvisionedConcurrencyConfig": Operation(
            q.put_provisioned_concurrency_config,
            pc.put_provisioned_concurrency_config,
            r.provisioned_concurrency_config,
        ),
        "GetProvisionedConcurrencyConfig": Operation(
            q.get_provisioned_concurrency_config,
            pc.get_provisioned_concurrency_config,
            r.provisioned_concurrency_config,
        ),
        "DeleteProvisionedConcurrencyConfig": Operation(
            q.delete_provisioned_concurrency_config,
            pc.delete_provisioned_concurrency_config,
            r.empty,
        ),
        "ListProvisionedConcurrencyConfigs": Operation(
            q.list_provisioned_concurrency_configs,
            pc.list_provisioned_concurrency_configs,
            r.provisioned_concurrency_configs,
        ),
    }
