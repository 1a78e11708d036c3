#!/usr/bin/env bash
# Installs the browser the headless tests drive: Debian's own Chromium and the Noto CJK fonts
# (so Chinese labels render in screenshots). Never a downloaded browser build: `playwright
# install` is not used. Idempotent: does nothing when /usr/bin/chromium is already there.
set -euo pipefail

if [[ -x /usr/bin/chromium ]] && fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
    echo "chromium and fonts-noto-cjk already installed"
    exit 0
fi

SUDO=""
if [[ "$(id -u)" != "0" ]]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium fonts-noto-cjk
/usr/bin/chromium --version
