#!/usr/bin/env bash
# System packages the test suite drives, installed when missing (root with apt-get, as in CI).
# Without root or apt-get it says what is missing; the tests that need it then skip with a reason.
set -euo pipefail

need=()
# AWS CLI v2 (`aws logs tail` exists only in v2); Debian's awscli package is v2.
if ! /usr/bin/aws --version 2>/dev/null | grep -q '^aws-cli/2\.'; then
    need+=(awscli)
fi

# The AWS SDK for JavaScript v3 the Node.js runtimes offer functions, installed once with npm
# into the cache (~/.cache/lambdaport, or LAMBDAPORT_CACHE_DIR) as the server would on first use.
if command -v node >/dev/null && command -v npm >/dev/null; then
    "${VENV_PYTHON:-.venv/bin/python}" -m lambdaport.runtime.node_versions \
        "${LAMBDAPORT_CACHE_DIR:-$HOME/.cache/lambdaport}"
else
    echo "note: Node.js or npm is missing: the nodejs runtime tests will be skipped" >&2
fi

if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "installing test dependencies: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
    echo "note: missing system packages for some tests (they will be skipped): ${need[*]}" >&2
    if [ -n "${CI:-}" ]; then
        echo "CI must have them: run as root on a machine with apt-get" >&2
        exit 1
    fi
fi
