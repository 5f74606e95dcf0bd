#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked, throwaway gnome-keyring, so the
# keyring tests meet the real Secret Service. The keyring lives in a temporary directory that is
# removed afterwards; its password is random and never written anywhere.
set -euo pipefail
if ! command -v dbus-run-session >/dev/null || ! command -v gnome-keyring-daemon >/dev/null; then
  echo "warning: dbus-run-session or gnome-keyring-daemon missing; running without Secret Service" >&2
  exec "$@"
fi
data_dir=$(mktemp -d)
trap 'rm -rf "$data_dir"' EXIT
export COMMUNICATOR_KEYRING_DIR="$data_dir"
dbus-run-session -- bash -c '
  set -e
  export XDG_DATA_HOME="$COMMUNICATOR_KEYRING_DIR"
  eval "$(head -c 24 /dev/urandom | base64 | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL
  export COMMUNICATOR_SECRET_SERVICE=1
  exec "$@"
' bash "$@" 2> >(grep -v "Failed to set fd limit" >&2)
