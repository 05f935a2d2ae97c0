#!/usr/bin/env bash
# System packages the test suite needs beyond PyPI: Chromium for the web page's browser test
# (driven by Playwright from PyPI; Playwright's own browser download is never used), and Node.js with npm
# for the Node host example (examples/node; `make node-deps` then installs onnxruntime-node from npm).
# Both tests fail in CI ($CI set) when these are missing. Idempotent: installs only what is missing.
set -euo pipefail

packages=()
if [ ! -x /usr/bin/chromium ]; then
    packages+=(chromium chromium-driver)
fi
if ! command -v node >/dev/null 2>&1; then
    packages+=(nodejs)
fi
if ! command -v npm >/dev/null 2>&1; then
    packages+=(npm)
fi
if [ ${#packages[@]} -eq 0 ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-deps: missing ${packages[*]} and apt-get is not available; install them by hand" >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-system-deps: run as root (or install sudo) to apt-get install ${packages[*]}" >&2
        exit 1
    fi
fi

echo "install-system-deps: installing ${packages[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${packages[@]}" >/dev/null
if [ -x /usr/bin/chromium ]; then /usr/bin/chromium --version >&2 || true; fi
if command -v node >/dev/null 2>&1; then echo "node $(node --version)" >&2; fi
