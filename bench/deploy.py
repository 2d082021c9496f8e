"""The deployment benchmark: wall time of ``sam deploy`` of one 10-resource SAM app (a
function with an SQS event — function, role, event source mapping —, its dead-letter queue,
a table, a topic, a bucket, a log group, a parameter and a second queue) against lambdaport
and against ministack (with aws-sam-translator, its SAM transform), in one run.

    python bench/deploy.py [--repeat N] [--only lambdaport|ministack]...

SAM CLI is the tools tier's (``scripts/tool-deps.sh``: ``~/.cache/lambdaport/tools/sam``);
ministack runs from the bench venv (``bench/.work/venv``, ministack==1.5.33 and
aws-sam-translator). The app is built once (``sam build``); each repeat deploys it as a new
stack (``sam deploy --s3-bucket``, the artifacts bucket made first) and times the command
from start to exit; the stack is deleted (untimed) before the next. The floor, measured in
the same run, is SAM CLI's own start (``sam --info``): no deploy can take less. Results: a
table, and ``bench/.work/deploy-results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from invoke import find_ministack_python
from report import machine_info
from rich.console import Console
from rich.table import Table
from servers import RunningServer, ServerStartError, running
from systems import lambdaport_spec, ministack_spec

from lambdaport.runtime.interpreters import find_interpreter

BENCH_DIR = Path(__file__).resolve().parent
WORK_DIR = BENCH_DIR / ".work"
RESULTS_PATH = WORK_DIR / "deploy-results.json"
CACHE = Path(os.environ.get("LAMBDAPORT_CACHE_DIR", Path.home() / ".cache" / "lambdaport"))
SAM = CACHE / "tools" / "sam" / "bin" / "sam"
PARTS = ("lambdaport", "ministack")
REGION = "us-east-1"

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: the deployment benchmark's app, 10 resources once transformed
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          TABLE: !Ref Table
      Events:
        Jobs:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
            BatchSize: 10
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt Failed.Arn
        maxReceiveCount: 3
  Failed:
    Type: AWS::SQS::Queue
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  Alerts:
    Type: AWS::SNS::Topic
  Uploads:
    Type: AWS::S3::Bucket
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: 7
  Setting:
    Type: AWS::SSM::Parameter
    Properties:
      Type: String
      Value: !Ref Alerts
Outputs:
  Queue:
    Value: !Ref Jobs
"""
CODE = "def handler(event, context):\n    return len(event['Records'])\n"


@dataclass
class SystemFigures:
    system: str
    deploys_s: list[float] = field(default_factory=list)
    stack_s: list[float] = field(default_factory=list)  # the stack's own events: start to end
    resources: int = 0
    note: str = ""

    @property
    def median_s(self) -> float | None:
        return statistics.median(self.deploys_s) if self.deploys_s else None


def env_for(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAMBDAPORT_"))}
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION=REGION,
        SAM_CLI_TELEMETRY="0",
    )
    return env


def sam(args: list[str], app: Path, env: dict[str, str], timeout: float = 900) -> float:
    """Run SAM CLI; its wall time in seconds (a failure raises with its output)."""
    started = time.perf_counter()
    result = subprocess.run(
        [str(SAM), *args], cwd=app, env=env, capture_output=True, text=True, timeout=timeout
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"sam {' '.join(args)}: {result.stdout[-3000:]}{result.stderr[-3000:]}")
    return elapsed


def build_app(work: Path) -> Path:
    app = work / "app"
    (app / "src").mkdir(parents=True)
    (app / "template.yaml").write_text(TEMPLATE)
    (app / "src" / "app.py").write_text(CODE)
    (app / "src" / "requirements.txt").write_text("")
    env = env_for("http://127.0.0.1:9")  # sam build asks no service
    interpreter = find_interpreter("python3.12", {})
    env["PATH"] = f"{Path(interpreter.executable).parent}:{env['PATH']}"
    sam(["build"], app, env)
    return app


def measure(server: RunningServer, app: Path, repeat: int, figures: SystemFigures) -> None:
    env = env_for(server.endpoint_url)
    config = Config(retries={"max_attempts": 0})
    options = dict(
        endpoint_url=server.endpoint_url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=config,
    )
    s3 = boto3.client("s3", **options)  # type: ignore[call-overload]
    cfn = boto3.client("cloudformation", **options)  # type: ignore[call-overload]
    bucket = f"bench-artifacts-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    for index in range(repeat):
        stack = f"bench-{index}-{uuid.uuid4().hex[:6]}"
        args = ["deploy", "--stack-name", stack, "--s3-bucket", bucket]
        args += ["--capabilities", "CAPABILITY_IAM", "--no-confirm-changeset"]
        args += ["--no-progressbar"]
        figures.deploys_s.append(sam(args, app, env))
        figures.stack_s.append(stack_seconds(cfn, stack))
        resources = cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"]
        figures.resources = len(resources)
        cfn.delete_stack(StackName=stack)
        waiter = cfn.get_waiter("stack_delete_complete")
        waiter.wait(StackName=stack, WaiterConfig={"Delay": 0.5, "MaxAttempts": 600})


def stack_seconds(cfn: Any, stack: str) -> float:
    """From the stack's CREATE_IN_PROGRESS event to its CREATE_COMPLETE one: the server's
    own share of the deploy, as its events date it."""
    events = cfn.describe_stack_events(StackName=stack)["StackEvents"]
    own = [e for e in events if e["ResourceType"] == "AWS::CloudFormation::Stack"]
    started = min(e["Timestamp"] for e in own if e["ResourceStatus"] == "CREATE_IN_PROGRESS")
    ended = max(e["Timestamp"] for e in own if e["ResourceStatus"] == "CREATE_COMPLETE")
    return float((ended - started).total_seconds())


def floor_seconds(repeat: int) -> float:
    env = env_for("http://127.0.0.1:9")
    times = []
    for _ in range(max(3, repeat)):
        started = time.perf_counter()
        subprocess.run([str(SAM), "--info"], env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", action="append", choices=PARTS)
    parser.add_argument(
        "--lambdaport-cmd", default=f"{Path(sys.executable).parent / 'lambdaport'} up"
    )
    parser.add_argument("--ministack-python", default=None)
    args = parser.parse_args()
    console = Console()
    if not SAM.exists():
        console.print(f"no SAM CLI at {SAM}: run scripts/tool-deps.sh")
        return 2
    parts = tuple(args.only or PARTS)
    load_before = os.getloadavg()
    results: list[SystemFigures] = []
    with tempfile.TemporaryDirectory(prefix="bench-deploy-") as tmp:
        work = Path(tmp)
        app = build_app(work)
        floor = floor_seconds(args.repeat)
        for part in parts:
            figures = SystemFigures(part)
            results.append(figures)
            if part == "lambdaport":
                spec = lambdaport_spec(args.lambdaport_cmd, work / "lp")
            else:
                python = find_ministack_python(args.ministack_python)
                if python is None:
                    figures.note = "ministack is not installed (bench/.work/venv)"
                    continue
                spec = ministack_spec(python, work / "ms")
            try:
                with running(spec) as server:
                    measure(server, app, args.repeat, figures)
            except (ServerStartError, RuntimeError) as error:
                figures.note = str(error)[:500]
    load_after = os.getloadavg()
    table = Table(title=f"sam deploy of a 10-resource app, {args.repeat} stacks each")
    columns = ("system", "resources", "median s", "min s", "max s", "÷ floor", "stack s", "note")
    for column in columns:
        table.add_column(column)
    for figures in results:
        median = figures.median_s
        table.add_row(
            figures.system,
            str(figures.resources),
            "-" if median is None else f"{median:.2f}",
            f"{min(figures.deploys_s):.2f}" if figures.deploys_s else "-",
            f"{max(figures.deploys_s):.2f}" if figures.deploys_s else "-",
            "-" if median is None else f"{median / floor:.1f}",
            f"{statistics.median(figures.stack_s):.2f}" if figures.stack_s else "-",
            figures.note,
        )
    console.print(table)
    console.print(f"floor (sam --info, SAM CLI's own start): {floor:.2f} s")
    by_name = {f.system: f.median_s for f in results}
    lp, ms = by_name.get("lambdaport"), by_name.get("ministack")
    if lp and ms:
        console.print(f"ministack / lambdaport, sam deploy's wall time: {ms / lp:.2f}x")
    stacks = {f.system: statistics.median(f.stack_s) for f in results if f.stack_s}
    if stacks.get("lambdaport") and stacks.get("ministack"):
        ratio = stacks["ministack"] / stacks["lambdaport"]
        console.print(f"ministack / lambdaport, the stack's own time: {ratio:.2f}x")
    console.print(f"load average before {load_before}, after {load_after}")
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    document = {
        "machine": machine_info({"load_before": str(load_before), "load_after": str(load_after)}),
        "floor_s": floor,
        "command": shlex.join(sys.argv),
        "systems": [asdict(f) | {"median_s": f.median_s} for f in results],
    }
    RESULTS_PATH.write_text(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
