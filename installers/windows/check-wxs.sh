#!/usr/bin/env bash
# Checks on Linux what can be checked of the MSI source (make package): installers/windows/
# communicator.wxs builds with Debian's wixl, with build-msi.sh's file harvesting, around a
# stand-in bundle (communicator.exe and one file under _internal/: the real Windows bundle is
# built on Windows), and the MSI's tables hold what IT relies on: per-machine install, the
# upgrade code, the public properties read back from and written to HKLM\Software\Communicator,
# the sip/sips/tel/callto protocol keys, the Start-menu shortcut, and no HKCU entry.
# What it cannot check (an install, Group Policy assignment, the client reading the registry
# on Windows) is listed in installers/README.md.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/bundle/_internal"
printf 'MZ stand-in for the PyInstaller executable\n' >"$work/bundle/communicator.exe"
printf 'stand-in\n' >"$work/bundle/_internal/base_library.zip"
"$here/build-msi.sh" "$work/bundle" "$work/communicator.msi" >/dev/null

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
table() { msiinfo export "$work/communicator.msi" "$1" | tr -d '\r'; }
has() {
    # has TABLE PATTERN WHAT: the exported table has a line matching the extended regex.
    table "$1" | grep -E "$2" >/dev/null || fail "$3 (table $1)"
    echo "ok: $3"
}

has Property '^ALLUSERS	1' "per-machine install (ALLUSERS=1)"
has Property '^UpgradeCode	\{6E1C6A3B-7F0B-4F43-9A64-2C7B3E9D5A11\}' "fixed upgrade code"
has Upgrade '^\{6E1C6A3B-7F0B-4F43-9A64-2C7B3E9D5A11\}' "in-place upgrade of older versions"
has Property '^SecureCustomProperties	PROVISIONING_URL;CA_FILE;ALLOW_SERVER_CHANGE(;|$)' "the public properties are secure (reach a managed install)"
for name in ServerUrl CaFile AllowServerChange; do
    has RegLocator "	2	Software\\\\Communicator	$name	" "$name read back from HKLM"
done
has Registry '	2	Software\\Communicator	ServerUrl	\[PROVISIONING_URL\]	PresetServerUrl$' "PROVISIONING_URL written to HKLM ServerUrl"
has Registry '	2	Software\\Communicator	CaFile	\[CA_FILE\]	PresetCaFile$' "CA_FILE written to HKLM CaFile"
has Registry '	2	Software\\Communicator	AllowServerChange	\[ALLOW_SERVER_CHANGE\]	' "ALLOW_SERVER_CHANGE written to HKLM AllowServerChange"
for scheme in sip sips tel callto; do
    has Registry "	2	Software\\\\Classes\\\\$scheme	URL Protocol	" "$scheme: protocol registered"
    has Registry "	2	Software\\\\Classes\\\\$scheme\\\\shell\\\\open\\\\command		\"\\[INSTALLDIR\\]communicator.exe\" \"%1\"	" "$scheme: opens communicator.exe"
done
has Shortcut '	Communicator	.*\[INSTALLDIR\]communicator.exe' "Start-menu shortcut"
if table Registry | awk -F'\t' 'NR > 3 && $2 != 2 { found = 1 } END { exit !found }'; then
    fail "a registry value outside HKLM (per-user parts break an assigned install)"
fi
echo "ok: every registry value under HKLM"
has File '	communicator.exe	' "the bundle's executable"
echo "check-wxs: passed ($(du -k "$work/communicator.msi" | cut -f1) KB stand-in MSI)"
