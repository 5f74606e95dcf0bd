#!/usr/bin/env bash
# Builds communicator.msi from the Windows one-folder bundle with wixl (msitools), on Linux or
# in MSYS2/WSL on the Windows build machine:
#   installers/windows/build-msi.sh BUNDLE_DIR [OUT.msi]
# BUNDLE_DIR is PyInstaller's dist\communicator built on Windows from installers/communicator.spec.
# The bundle's files are harvested into a ComponentGroup "BundleFiles" (wixl-heat), which
# communicator.wxs installs under INSTALLDIR. With the WiX 3 toolset instead:
#   heat dir BUNDLE_DIR -cg BundleFiles -dr INSTALLDIR -srd -gg -var var.BundleDir -out files.wxs
#   candle -arch x64 -dVersion=0.1.0 -dBundleDir=BUNDLE_DIR -dIconFile=communicator.ico communicator.wxs files.wxs
#   light -out communicator.msi communicator.wixobj files.wixobj
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bundle="$(cd "$1" && pwd)"
out="${2:-$root/build/packages/communicator.msi}"
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/pyproject.toml" | head -n 1)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# wixl-heat takes the file list on stdin, relative to the folder it is run in; -p strips the
# prefix so the files land directly under INSTALLDIR.
(cd "$bundle" && find . -type f | sed 's|^\./||' | sort |
    wixl-heat --directory-ref INSTALLDIR --component-group BundleFiles --var var.BundleDir \
        --win64 -p "") >"$work/files.wxs"

# wixl resolves only relative source paths: it runs in the work folder, with the bundle and the
# icon linked there.
ln -s "$bundle" "$work/bundle"
cp "$here/communicator.ico" "$here/communicator.wxs" "$work/"
mkdir -p "$(dirname "$out")"
(cd "$work" && wixl --arch x64 -D Win64=yes -D Version="$version" -D BundleDir=bundle \
    -D IconFile=communicator.ico -o communicator.msi communicator.wxs files.wxs) \
    2> >(grep -v -e "no property named" -e '^$' >&2)
mv "$work/communicator.msi" "$out"
# wixl ignores Property/@Secure: the public properties must be listed in SecureCustomProperties
# (beside the upgrade detection's, which wixl lists) to reach the elevated, server-side part of
# a managed install, as WiX 3 lists them itself.
secure="$(msiinfo export "$out" Property | awk -F'\t' '$1 == "SecureCustomProperties" {print $2}')"
secure="PROVISIONING_URL;CA_FILE;ALLOW_SERVER_CHANGE${secure:+;$secure}"
msibuild "$out" -q "UPDATE \`Property\` SET \`Value\` = '$secure' WHERE \`Property\` = 'SecureCustomProperties'"
echo "$out"
