#!/usr/bin/env bash
# The deployment tools of the tools tier (tests/tools), installed once into the cache
# (${LAMBDAPORT_CACHE_DIR:-~/.cache/lambdaport}/tools) and reused while their pins hold:
#   sam/  a venv of its own with AWS SAM CLI from PyPI (not the project's venv: SAM CLI pins
#         its own boto3, Flask and aws-sam-translator);
#   node/ CDK's CLI and library, ts-node and the Serverless Framework v3 from npm
#         (tests/tools/package.json).
# pip's and npm's own caches (~/.cache/pip, ~/.npm) keep the downloads, so a rebuild is local.
# Without python3.11+ or npm it says what is missing; the tests that need it skip with a reason.
set -euo pipefail

SAM_CLI_VERSION=1.170.0
here="$(cd "$(dirname "$0")/.." && pwd)"
tools="${LAMBDAPORT_CACHE_DIR:-$HOME/.cache/lambdaport}/tools"
mkdir -p "$tools"

python="${TOOLS_PYTHON:-python3}"
if [ "$(cat "$tools/sam/.pin" 2>/dev/null)" != "$SAM_CLI_VERSION" ]; then
    if "$python" -c 'import sys; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then
        echo "installing AWS SAM CLI $SAM_CLI_VERSION into $tools/sam"
        rm -rf "$tools/sam"
        "$python" -m venv "$tools/sam"
        if ! "$tools/sam/bin/python" -m pip install -q --disable-pip-version-check \
            "aws-sam-cli==$SAM_CLI_VERSION" >"$tools/sam-install.log" 2>&1; then
            grep -v '^WARNING: Location' "$tools/sam-install.log" >&2
            exit 1
        fi
        "$tools/sam/bin/sam" --version >/dev/null
        echo "$SAM_CLI_VERSION" > "$tools/sam/.pin"
    else
        echo "note: no python3 for SAM CLI: the sam tests will be skipped" >&2
    fi
fi

if command -v npm >/dev/null; then
    if ! cmp -s "$here/tests/tools/package.json" "$tools/node/package.json"; then
        echo "installing CDK and the Serverless Framework into $tools/node"
        mkdir -p "$tools/node"
        cp "$here/tests/tools/package.json" "$tools/node/package.json"
        (cd "$tools/node" && npm install --no-audit --no-fund --loglevel=error >/dev/null) || {
            rm -f "$tools/node/package.json"
            exit 1
        }
    fi
else
    echo "note: npm is missing: the cdk and serverless tests will be skipped" >&2
fi
