#!/usr/bin/env bash
# What the end-to-end tests start for real and pip cannot install: Debian's Chromium and PostgreSQL.
# Installs whichever is missing when run as root (with apt-get); otherwise says in one sentence what to install.
set -euo pipefail

missing=()
command -v chromium >/dev/null || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing what the end-to-end tests need: ${missing[*]} (Debian's packages)."
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
  exit 0
fi
echo "The end-to-end tests need Debian's ${missing[*]}: run 'sudo apt-get install ${missing[*]}' (or this script as root), then the test command again." >&2
exit 1
