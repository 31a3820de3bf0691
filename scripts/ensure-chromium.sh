#!/usr/bin/env bash
# The browser tests drive Debian's chromium through playwright-core (no browser downloads).
# Install it when it is missing and we may (root, apt-get); otherwise say what to do.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "switchyard: installing chromium for the browser tests (apt-get)" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "switchyard: the browser tests need chromium at /usr/bin/chromium (apt-get install chromium)" >&2
exit 1
