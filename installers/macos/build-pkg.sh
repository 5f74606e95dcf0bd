#!/usr/bin/env bash
# Builds Communicator-VERSION.pkg on macOS (not on Linux: PyInstaller, codesign, pkgbuild and
# productbuild are macOS tools), from the same PyInstaller spec as every platform:
#   installers/macos/build-pkg.sh ["Developer ID Application: ..." ["Developer ID Installer: ..."]]
# 1. the bundle: pyinstaller installers/communicator.spec -> build/dist/Communicator.app, whose
#    Info.plist carries NSMicrophoneUsageDescription and the sip/sips/tel/callto URL schemes
#    (the spec's BUNDLE step)
# 2. with an application identity: codesign with the hardened runtime and entitlements.plist
# 3. pkgbuild: the app into /Applications; productbuild: the distribution package; with an
#    installer identity: productsign. Notarise with `xcrun notarytool submit --wait`, then
#    `xcrun stapler staple`.
# The server URL for every user comes from the managed preference com.communicator.Communicator
# (key ServerUrl, optional CaFile): an MDM profile like com.communicator.Communicator.mobileconfig,
# or `sudo defaults write "/Library/Managed Preferences/com.communicator.Communicator" ServerUrl
# https://pbx.example.com` on a single Mac.
set -euo pipefail

if [ "$(uname -s)" != Darwin ]; then
    echo "error: the macOS package is built on macOS" >&2
    exit 1
fi
app_identity="${1:-}"
installer_identity="${2:-}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/pyproject.toml" | head -n 1)"
dist="$root/build/dist"
out="$root/build/packages"
mkdir -p "$out"

cd "$root"
COMMUNICATOR_VERSION="$version" .venv/bin/pyinstaller --noconfirm --log-level WARN \
    --distpath "$dist" --workpath build/pyinstaller installers/communicator.spec
app="$dist/Communicator.app"
/usr/libexec/PlistBuddy -c "Print :NSMicrophoneUsageDescription" "$app/Contents/Info.plist"
/usr/libexec/PlistBuddy -c "Print :CFBundleURLTypes:0:CFBundleURLSchemes" "$app/Contents/Info.plist"

if [ -n "$app_identity" ]; then
    codesign --force --deep --timestamp --options runtime \
        --entitlements "$here/entitlements.plist" --sign "$app_identity" "$app"
    codesign --verify --deep --strict "$app"
fi

pkgbuild --component "$app" --install-location /Applications \
    --identifier com.communicator.Communicator --version "$version" \
    "$out/Communicator-component.pkg"
productbuild --synthesize --package "$out/Communicator-component.pkg" "$out/distribution.xml"
productbuild --distribution "$out/distribution.xml" --package-path "$out" \
    "$out/Communicator-$version-unsigned.pkg"
if [ -n "$installer_identity" ]; then
    productsign --sign "$installer_identity" "$out/Communicator-$version-unsigned.pkg" \
        "$out/Communicator-$version.pkg"
    rm "$out/Communicator-$version-unsigned.pkg"
else
    mv "$out/Communicator-$version-unsigned.pkg" "$out/Communicator-$version.pkg"
fi
rm -f "$out/Communicator-component.pkg" "$out/distribution.xml"
echo "$out/Communicator-$version.pkg"
