#!/usr/bin/env bash
# Headless Chromium for the test that opens `segdsl report --html` in a real
# browser (tests/report): Debian's `chromium`, driven by the playwright package
# with executable_path, so no browser is downloaded, and a Chinese font
# (fonts-wqy-zenhei) so the labels in the screenshot are characters, not boxes.
# Installs only what is missing, so a second run is a no-op; prints the browser's path.
set -euo pipefail
have_font() { fc-list 2>/dev/null | grep -qi "wqy\|noto sans cjk\|noto serif cjk"; }
for b in chromium chromium-browser; do
    if command -v "$b" >/dev/null 2>&1 && have_font; then
        command -v "$b"
        exit 0
    fi
done
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "chromium.sh: Chromium is not installed and installing it needs root" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-wqy-zenhei >/dev/null
command -v chromium
