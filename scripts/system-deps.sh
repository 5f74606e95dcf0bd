#!/usr/bin/env bash
# Installs the Debian packages that the tests, the demo and the benchmarks need, when some are
# missing. The packages are listed, with what each one provides, in scripts/system-deps.txt.
# Only acts as root on a Debian-like system; otherwise it lists what is missing and goes on,
# so a developer without root sees exactly what to install.
set -euo pipefail

list="$(dirname "$0")/system-deps.txt"
packages=()
while read -r what package _; do
  case "$what" in '' | '#'*) continue ;; esac
  if [ -z "${package:-}" ]; then
    echo "error: $list: no Debian package for '$what'" >&2
    exit 1
  fi
  [[ " ${packages[*]} " == *" $package "* ]] || packages+=("$package")
done <"$list"

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A Debian system python needs python3-venv for `python3 -m venv`.
if ! python3.11 -c "import ensurepip" >/dev/null 2>&1 && ! python3 -c "import ensurepip" >/dev/null 2>&1; then
  missing+=(python3-venv)
fi

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "warning: missing Debian packages (install them as root): ${missing[*]}" >&2
fi
