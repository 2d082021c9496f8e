"""``create_app(settings)``: every component built and wired here, explicitly, in one place.

Background work (zygotes, idle reaping, hot reload) starts and stops in the ASGI lifespan.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from lambdaport.asgi import Receive, Scope, Send
from lambdaport.config import Settings
from lambdaport.endpoint import BufferedEndpoint, ServiceEndpoint
from lambdaport.esm.model import EventSourceMapping, MappingReports
from lambdaport.esm.poller import BatchInvoker
from lambdaport.esm.sqs import QUEUE_DELETED, SqsSource
from lambdaport.esm.stream_failures import StreamFailures
from lambdaport.esm.stream_records import DYNAMODB, KINESIS, StreamKind
from lambdaport.esm.streams import STREAM_GONE, StreamPoller
from lambdaport.esm.supervisor import Poller, PollerFactory, Supervisor
from lambdaport.gateway.asgi import Gateway
from lambdaport.gateway.browsers import BrowserPolicy
from lambdaport.gateway.internal import InternalApi
from lambdaport.gateway.internal_auth import InternalAuth, load_token
from lambdaport.http_fronts.addressing import EXECUTE_API, LAMBDA_URL, Addresses
from lambdaport.http_fronts.authorizers import KeySets
from lambdaport.http_fronts.front import INDEX_PATH, HttpFronts
from lambdaport.http_fronts.function_urls import FunctionUrlFront
from lambdaport.http_fronts.http_apis import HttpApiFront
from lambdaport.http_fronts.rest.front import RestApiFront, RestFront
from lambdaport.http_fronts.websocket.connections import Connections, Timeouts
from lambdaport.http_fronts.websocket.front import WebSocketApiFront
from lambdaport.http_fronts.websocket.management import ManagementApi
from lambdaport.invoke import ConcurrencyLimiter, Invoker
from lambdaport.invoke.asynchronous import (
    AsyncDispatcher,
    AsyncQueue,
    AsyncTiming,
    Destinations,
    LambdaTarget,
)
from lambdaport.invoke.triggers import PushTriggers
from lambdaport.lambda_.access import FunctionAccess
from lambdaport.lambda_.account import AccountService
from lambdaport.lambda_.api import LambdaApi
from lambdaport.lambda_.code import CodeStore
from lambdaport.lambda_.code_signing import CodeSigningService
from lambdaport.lambda_.event_invoke_config import EventInvokeConfigService
from lambdaport.lambda_.event_source_mappings import EventSourceMappingService, MappingFunctions
from lambdaport.lambda_.function_urls import FunctionUrlService
from lambdaport.lambda_.functions import FunctionService
from lambdaport.lambda_.hot_reload import HotReloader
from lambdaport.lambda_.layer_registry import LayerRegistry
from lambdaport.lambda_.layers import LayerService
from lambdaport.lambda_.policy import PolicyService
from lambdaport.lambda_.provisioned_concurrency import ProvisionedConcurrencyService
from lambdaport.lambda_.recursion import RecursionService
from lambdaport.lambda_.registry import FunctionRegistry
from lambdaport.lambda_.resolver import Resolver
from lambdaport.lambda_.runtime_management import RuntimeManagementService
from lambdaport.lambda_.setting_operations import setting_operations
from lambdaport.lambda_.versions import VersionService
from lambdaport.lambda_.wire import LambdaProtocol
from lambdaport.pending import PendingWork
from lambdaport.protocol import load_protocol, load_service_model
from lambdaport.protocol.base import ServiceProtocol
from lambdaport.runtime.families import (
    CustomFamily,
    NodeFamily,
    PythonFamily,
    RuntimeFamilies,
)
from lambdaport.runtime.pool import RuntimePool
from lambdaport.runtime.settings import RuntimeSettings
from lambdaport.services.cloudformation import CloudFormationService
from lambdaport.services.cloudformation.custom_resources import (
    ROUTE_PREFIX as CUSTOM_RESOURCE_RESPONSES,
)
from lambdaport.services.cloudformation.custom_resources import CustomResources
from lambdaport.services.dynamodbstreams import DynamoDBStreamsService
from lambdaport.services.interfaces import StreamReader
from lambdaport.services.kinesis import KinesisService
from lambdaport.services.logs.api import LogsApi
from lambdaport.services.logs.service import LogsService
from lambdaport.services.logs.wire import LogsProtocol
from lambdaport.services.moto_tail import MotoTail
from lambdaport.services.moto_tail import iam as iam_policies
from lambdaport.services.moto_tail.apigateway.directory import (
    RestApiDirectory,
    changing_operations,
)
from lambdaport.services.moto_tail.apigateway.export import RestApiExport
from lambdaport.services.moto_tail.apigateway.fixes import MotoFixes
from lambdaport.services.moto_tail.apigateway.openapi import RestApiImport
from lambdaport.services.moto_tail.apigatewayv2 import HttpApiCatalog
from lambdaport.services.moto_tail.cognito import PreSignUp, user_pool_key_set
from lambdaport.services.moto_tail.durability import MotoDurability
from lambdaport.services.moto_tail.dynamodb import DynamoDBStreamHooks
from lambdaport.services.s3 import build_s3
from lambdaport.services.sns import ROUTE_PREFIX as SNS_ROUTE_PREFIX
from lambdaport.services.sns import SnsService
from lambdaport.services.sqs import SqsService
from lambdaport.store.sqlite import SqliteStore

logger = logging.getLogger("lambdaport")

# Services lambdaport serves itself (or will: execute-api is API Gateway's data plane); the
# moto tail never serves these.
OWN_SERVICES = (
    "lambda",
    "s3",
    "s3control",
    "sqs",
    "sns",
    "logs",
    "kinesis",
    "cloudformation",
    "dynamodbstreams",
    "apigatewaymanagementapi",
    EXECUTE_API,
    LAMBDA_URL,
)


def _unserved_protocol(service: str) -> ServiceProtocol | None:
    try:
        return load_protocol(service)
    except Exception:
        return None


class LambdaportApp:
    """The ASGI application: the gateway plus the lifespan of everything behind it.

    ``embedded``: served inside another program's process (``testing.inprocess``), so it
    takes no role of the whole process: it is not the child subreaper of what functions
    start (orphans of a killed keeper go to PID 1, not to the server).
    """

    def __init__(self, settings: Settings, *, embedded: bool = False) -> None:
        self._temp_dir: Path | None = None
        if settings.ephemeral:
            self._temp_dir = Path(tempfile.mkdtemp(prefix="lambdaport-"))
            settings = replace(settings, data_dir=self._temp_dir)
        # Absolute paths: execution environments run in their code directories, so a
        # relative data dir (the default ./.lambdaport) would point elsewhere there.
        settings = replace(
            settings,
            data_dir=settings.data_dir.resolve(),
            cache_dir=settings.cache_dir.expanduser().resolve(),
        )
        self.settings = settings
        self.store = SqliteStore(settings.data_dir)
        # SQS: its own endpoint, the QueueSink other services deliver to, a destination.
        self.sqs = SqsService(self.store.sqs, settings.endpoint_url)
        # Kinesis Data Streams: its endpoint, and the StreamReader in-process readers (event
        # source mappings) read streams through.
        self.kinesis = KinesisService(self.store.kinesis)
        # DynamoDB Streams: its endpoint, the TableStreams DynamoDB's hooks feed, and the
        # StreamReader in-process readers read table streams through.
        self.dynamodb_streams = DynamoDBStreamsService(self.store.dynamodb_streams)
        # CloudWatch Logs owns function logs; it reaches the invoker (built below) lazily.
        self.logs = LogsService(
            self.store.logs, self.store.documents, lambda request: self.invoker.invoke(request)
        )
        # The runtime families: which kind of environment runs each runtime id, and whether
        # its payloads must be JSON (the pool starts environments, the invoker checks).
        families = RuntimeFamilies(PythonFamily(), NodeFamily(settings.cache_dir), CustomFamily())
        self.pool = RuntimePool(
            RuntimeSettings(
                endpoint_url=settings.endpoint_url,
                data_dir=settings.data_dir,
                cache_dir=settings.cache_dir,
                keep_alive_s=settings.keep_alive_seconds,
                adopt_orphans=not embedded,
                function_paths=settings.function_paths,
                python_standbys=settings.python_standbys,
            ),
            self.logs,
            families,
        )
        code = CodeStore(self.store.data_dir / "code")
        self.registry = FunctionRegistry(self.store.documents)
        self.layers = LayerRegistry(self.store.documents)
        self.limiter = ConcurrencyLimiter(settings.account_concurrency_limit)
        self.event_invoke_configs = EventInvokeConfigService(self.registry, self.store.documents)
        resolver = Resolver(self.registry, code, self.event_invoke_configs.lookup)
        self.code_signing = CodeSigningService(self.registry, self.store.documents)
        self.provisioned = ProvisionedConcurrencyService(
            self.registry, self.pool, resolver.spec, settings.account_concurrency_limit
        )
        self.async_queue = AsyncQueue(self.store.async_events)
        self.invoker = Invoker(resolver, self.pool, self.limiter, self.async_queue, families)
        # SNS: deliveries to Lambda as push triggers (invoke/triggers) over the invoker, to
        # SQS through its QueueSink; topics are also async destinations and dead-letter targets.
        self.sns = SnsService(
            self.store.sns,
            data_dir=settings.data_dir,
            base_url=settings.endpoint_url,
            invoker=self.invoker,
            queues=self.sqs.sink,
            delay_scale=settings.async_delay_scale,
        )
        # S3: bodies streamed (the gateway's raw seam); notifications to Lambda (async, as
        # s3.amazonaws.com), SQS and SNS; its ObjectStore gives CreateFunction code from S3;
        # buckets are on-failure destinations of async invocations.
        self.s3 = build_s3(
            self.store.s3,
            settings.data_dir,
            self.invoker,
            self.sqs.sink,
            self.sns,
            strict_auth=settings.strict_auth,
        )
        self.async_dispatcher = AsyncDispatcher(
            self.async_queue,
            self.invoker,
            resolver,
            Destinations(
                {
                    "lambda": LambdaTarget(self.invoker),
                    "sqs": self.sqs.destination,
                    "sns": self.sns.destination,
                    "s3": self.s3.destination,
                }
            ),
            AsyncTiming(settings.async_delay_scale),
        )
        self.hot_reloader = HotReloader(self.registry, self.invoker.retire)
        # lambdaport's own endpoints: the data dir's token (the CLI reads it) or a signature
        # under --strict-auth; GetFunction's Code.Location presigned by lambdaport itself.
        internal_auth = InternalAuth(
            load_token(settings.data_dir),
            strict=settings.strict_auth,
            region=settings.default_region,
        )
        functions = FunctionService(
            self.registry,
            code,
            self._function_changed,
            watch=self.hot_reloader.watch,
            objects=self.s3.objects,
            layers=self.layers,
            code_signing=self.code_signing,
        )
        # The HTTP fronts (http_fronts/): function URLs' and APIs' addresses on this port,
        # each reaching its function through PushTriggers as AWS's caller.
        addresses = Addresses(settings.port, settings.endpoint_url)
        self.function_urls = FunctionUrlService(
            self.registry, self.store.documents, addresses.function_url
        )
        triggers = PushTriggers(self.invoker.invoke, self.invoker.invoke_streaming)
        # A Host that is an API Gateway custom domain name (apigatewayv2's: an HTTP API's
        # mappings; apigateway's: a REST API's) is read lazily: the directories are built
        # with the moto tail, below.
        self.http_fronts = HttpFronts(addresses, self._is_custom_domain)
        url_front = FunctionUrlFront(self.function_urls, triggers)
        self.http_fronts.register(LAMBDA_URL, url_front, "functionUrls", url_front.index)
        # Event source mappings: the supervisor runs a poller per Enabled mapping, reading
        # the source's store directly and invoking through the trigger seam as the function's
        # execution role; the control plane keeps the mappings and is told each transition.
        mapping_functions = MappingFunctions(self.registry)
        account_limit = settings.account_concurrency_limit
        mapping_invoker = BatchInvoker(PushTriggers(self.invoker.invoke), mapping_functions)
        esm_owner = f"lambdaport@{socket.gethostname()}:{settings.data_dir}"
        # Streams' discarded batches: SQS and SNS as destinations are, S3 with the event.
        stream_failures = StreamFailures(
            Destinations({"sqs": self.sqs.destination, "sns": self.sns.destination}),
            self.s3.objects,
        )

        def stream_poller(kind: StreamKind, reader: StreamReader) -> PollerFactory:
            def make(
                mapping: EventSourceMapping,
                reports: MappingReports,
                on_gone: Callable[[str, str], None],
            ) -> Poller:
                role = mapping_functions.execution_role(mapping.function_arn) or (
                    f"arn:aws:iam::{mapping.account_id}:role/lambdaport"
                )
                return StreamPoller(
                    mapping, kind, reader, mapping_invoker, stream_failures,
                    self.store.checkpoints, reports, on_gone,
                    owner=esm_owner, clock=time.time, role=role,
                )  # fmt: skip

            return make

        self.esm = Supervisor(
            {
                "sqs": lambda mapping: SqsSource(
                    self.sqs.reader,
                    mapping,
                    reserved_concurrency=mapping_functions.reserved_concurrency(
                        mapping.function_arn
                    ),
                    account_limit=account_limit,
                )
            },
            mapping_invoker,
            self.store.leases,
            self.store.checkpoints,
            owner=esm_owner,
            clock=time.time,
            streams={
                "kinesis": stream_poller(KINESIS, self.kinesis.reader),
                "dynamodb": stream_poller(DYNAMODB, self.dynamodb_streams.reader),
            },
        )
        self.mappings = EventSourceMappingService(
            self.registry,
            self.store.documents,
            self.esm,
            self.sqs.reader,
            self.kinesis.reader,
            self.dynamodb_streams.reader,
        )
        self.esm.bind(self.mappings)
        self.sqs.reader.on_deleted(lambda arn: self.esm.source_deleted(arn, QUEUE_DELETED))
        self.kinesis.reader.on_deleted(lambda arn: self.esm.source_deleted(arn, STREAM_GONE))
        lambda_api = LambdaApi(
            functions,
            VersionService(self.registry),
            PolicyService(self.registry),
            AccountService(self.registry, settings.account_concurrency_limit),
            self.invoker,
            self.event_invoke_configs,
            FunctionAccess(self.registry),
            internal_auth.code_location,
            LayerService(self.layers, code, self.s3.objects),
            self.function_urls,
            self.mappings,
            more=setting_operations(
                RecursionService(self.registry),
                RuntimeManagementService(self.registry),
                self.code_signing,
                self.provisioned,
            ),
        )
        services: dict[str, ServiceEndpoint] = {
            "lambda": BufferedEndpoint(LambdaProtocol(), lambda_api.dispatch),
            "logs": BufferedEndpoint(LogsProtocol(), LogsApi(self.logs).dispatch),
            "sns": BufferedEndpoint(load_protocol("sns"), self.sns.dispatch),
        }
        services["s3"] = self.s3.endpoint
        services["sqs"] = self.sqs.endpoint
        services["kinesis"] = self.kinesis.endpoint
        services[EXECUTE_API] = services[LAMBDA_URL] = self.http_fronts.endpoint
        # CloudFormation: stacks as documents; resources made through the gateway (attached
        # below, once built), templates from S3 through its ObjectStore.
        # Custom resources: requests to functions through invoke/triggers (async, as the
        # stack's operator) or to topics through SNS; responses PUT to lambdaport's own URL.
        self.custom_resources = CustomResources(
            PushTriggers(self.invoker.invoke),
            self.sns,
            settings.endpoint_url,
            settings.async_delay_scale,
        )
        self.cloudformation = CloudFormationService(
            self.store.documents,
            self.s3.objects,
            settings.endpoint_url,
            custom=self.custom_resources,
        )
        services["cloudformation"] = self.cloudformation.endpoint
        services["dynamodbstreams"] = self.dynamodb_streams.endpoint
        # Every other AWS service moto serves, behind the same gateway: its state journaled
        # and snapshotted in the data dir (in memory only with --ephemeral); hooks around
        # moto's operations registered here, one per (client, operation).
        durability = None if settings.ephemeral else MotoDurability(settings.data_dir / "moto")
        self.moto_tail = MotoTail(strict_auth=settings.strict_auth, durability=durability)
        pre_sign_up = PreSignUp(self.moto_tail.engine, PushTriggers(self.invoker.invoke))
        self.moto_tail.hooks.register("cognito-idp", "SignUp", pre_sign_up.hook())
        for operation, hook in iam_policies.hooks().items():
            self.moto_tail.hooks.register(iam_policies.SERVICE, operation, hook)
        # API Gateway REST APIs: moto's control plane, extended. The directory the data plane
        # reads moto's APIs through moves its revision with every changing call; imports of
        # OpenAPI/Swagger definitions and exports are answered by lambdaport.
        self.rest_apis = RestApiDirectory(self.moto_tail.engine)
        operations = list(load_service_model("apigateway").operation_names)
        for operation in changing_operations(operations):
            self.moto_tail.hooks.register("apigateway", operation, self.rest_apis.hook())
        rest_import = RestApiImport(self.moto_tail.engine, self.rest_apis)
        self.moto_tail.hooks.register("apigateway", "ImportRestApi", rest_import.import_hook())
        self.moto_tail.hooks.register("apigateway", "PutRestApi", rest_import.put_hook())
        for operation, hook in MotoFixes(self.moto_tail.engine, self.rest_apis).hooks().items():
            self.moto_tail.hooks.register("apigateway", operation, hook)
        rest_export = RestApiExport(self.rest_apis)
        self.moto_tail.hooks.register("apigateway", "GetExport", rest_export.hook())
        # HTTP APIs: moto keeps the control plane; the data plane reads it through the
        # catalog, whose cache every apigatewayv2 write clears (an after hook each).
        self.http_apis = http_apis = HttpApiCatalog(self.moto_tail.engine, addresses.api_endpoint)
        http_apis.register(self.moto_tail.hooks)
        key_sets = KeySets(self._cognito_keys)
        api_front = HttpApiFront(http_apis, triggers, key_sets)
        self.http_fronts.register(EXECUTE_API, api_front, "httpApis", api_front.index)
        # WebSocket APIs: the same catalog; connections held here, reached by the @connections
        # management API (apigatewaymanagementapi) at the API's address and at lambdaport's.
        self.websocket_connections = Connections(Timeouts.scaled(settings.websocket_timeout_scale))
        management = ManagementApi(self.websocket_connections)
        services["apigatewaymanagementapi"] = management.endpoint
        websocket_front = WebSocketApiFront(
            http_apis, triggers, self.websocket_connections, management
        )
        self.http_fronts.register(
            EXECUTE_API, websocket_front, "webSocketApis", websocket_front.index
        )
        self.http_fronts.register_websocket(websocket_front)
        # REST APIs' data plane (http_fronts/rest), after the other execute-api fronts
        # (it claims ids it cannot tell yet, before its directory has loaded).
        rest_front = RestFront(self.rest_apis, RestApiFront(self.rest_apis, triggers))
        self.http_fronts.register(EXECUTE_API, rest_front, "restApis", rest_front.index)
        DynamoDBStreamHooks(self.dynamodb_streams.tables).register(self.moto_tail.hooks)
        for name, endpoint in self.moto_tail.endpoints(excluded=OWN_SERVICES).items():
            services.setdefault(name, endpoint)
        # What a drain (GET /_lambdaport/drain) waits for.
        self.pending = PendingWork(
            {
                "asyncEvents": self._async_events,
                "snsDeliveries": lambda: self.sns.status()["deliveriesInFlight"],
                "logEvents": lambda: self.logs.status()["eventsPending"],
                "logsSubscriptionDeliveries": lambda: self.logs.status()[
                    "subscriptionDeliveriesPending"
                ],
                "eventSourceMappings": self.esm.pending,
            }
        )
        internal = InternalApi(
            services=lambda: {name: "running" for name in services},
            logs=self.logs.followers,
            code_root=code.root,
            status=self.status,
            auth=internal_auth,
            pending=self.pending,
            routes={
                SNS_ROUTE_PREFIX: self.sns.handle_http,
                INDEX_PATH: self.http_fronts.index,
                CUSTOM_RESOURCE_RESPONSES: self.custom_resources.handle_http,
            },
        )
        self.gateway = Gateway(
            services,
            internal,
            default_region=settings.default_region,
            unserved=_unserved_protocol,
            strict_auth=settings.strict_auth,
            browsers=BrowserPolicy(settings.allowed_origins, settings.allowed_hosts, settings.host),
            idle_timeout=settings.request_idle_timeout,
            custom_domains=self._is_custom_domain,
        )
        self.cloudformation.attach(self.gateway)
        self._tasks: list[asyncio.Task[None]] = []

    def _is_custom_domain(self, host_name: str) -> bool:
        """Whether a host name is an API Gateway custom domain name: apigatewayv2's (an
        HTTP API's mappings) or apigateway's (a REST API's base path mappings)."""
        return self.http_apis.is_domain_name(host_name) or self.rest_apis.is_domain_name(host_name)

    def _function_changed(self, function_arn: str, version: str | None) -> None:
        """FunctionService's retire hook; ``version`` None means the function was deleted."""
        self.invoker.retire(function_arn, version)
        if version is None:
            self.event_invoke_configs.function_deleted(function_arn)
            self.function_urls.function_deleted(function_arn)

    async def _cognito_keys(self, issuer: str) -> list[dict[str, Any]]:
        """A Cognito user pool's key set (moto serves Cognito)."""
        return await self.moto_tail.engine.read(lambda: user_pool_key_set(issuer))

    async def _async_events(self) -> int:
        """Events in the async queue: queued, running or waiting for a retry (the store's)."""
        return int((await self.async_queue.status())["depth"])

    async def status(self) -> dict[str, Any]:
        return {
            "functions": sum(1 for _ in self.registry.all_functions()),
            "executionEnvironments": {"paths": self.pool.paths},
            "asyncQueue": await self.async_queue.status(),
            "sns": self.sns.status(),
            "logs": self.logs.status(),
            "eventSourceMappings": self.esm.status(),
        }

    async def startup(self) -> None:
        # moto's state back first, alone: its replay moves the process's clock.
        if self.moto_tail.must_recover:
            await self.moto_tail.start()
        # The node-local caches of the store's documents, before anything is served.
        await self.registry.load()
        await self.registry.activate_all()
        await self.layers.load()
        await self.event_invoke_configs.load()
        await self.function_urls.load()
        await self.code_signing.load()
        await self.async_queue.load()
        await self.logs.load()
        await self.sqs.load()
        await self.dynamodb_streams.load()
        await self.pool.start()
        self.esm.start()
        await self.mappings.load()  # every Enabled mapping resumes
        self.provisioned.start()  # the provisioned environments, started again
        self._tasks.append(asyncio.create_task(self.hot_reloader.run()))
        self._tasks.append(asyncio.create_task(self.async_dispatcher.run()))
        self._tasks.append(asyncio.create_task(self.sqs.run_housekeeping()))
        self._tasks.append(asyncio.create_task(self.kinesis.run_housekeeping()))
        self._tasks.append(asyncio.create_task(self.dynamodb_streams.run_housekeeping()))
        self._tasks.append(asyncio.create_task(self.moto_tail.start()))  # at once if done
        self._tasks.append(asyncio.create_task(self.rest_apis.load()))
        self._tasks.append(asyncio.create_task(self.http_apis.load()))
        self.logs.start()
        await self.sns.start()
        await self.cloudformation.start()

    async def shutdown(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.esm.stop()
        await self.cloudformation.stop()
        await self.sns.stop()
        await self.async_dispatcher.stop()
        await self.moto_tail.stop()
        await self.pool.stop()
        await self.logs.stop()
        self.store.close()
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        await self.gateway(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        steps: dict[str, Callable[[], Awaitable[None]]] = {
            "lifespan.startup": self.startup,
            "lifespan.shutdown": self.shutdown,
        }
        while True:
            message = await receive()
            name = message["type"]
            action = steps.get(name)
            if action is None:
                continue
            try:
                await action()
            except Exception as exc:
                logger.exception("%s failed", name)
                await send({"type": f"{name}.failed", "message": str(exc)})
                return
            await send({"type": f"{name}.complete"})
            if name == "lifespan.shutdown":
                return


def create_app(settings: Settings, *, embedded: bool = False) -> LambdaportApp:
    return LambdaportApp(settings, embedded=embedded)
