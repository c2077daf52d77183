#!/usr/bin/env bash
# Install what the tests need, then run the whole suite: bash tests/run.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q -r requirements-test.txt
# A real browser, and fonts for emoji and Chinese (the screenshots show both).
if command -v apt-get >/dev/null && { ! command -v chromium >/dev/null ||
        ! dpkg -s fonts-noto-color-emoji fonts-noto-cjk >/dev/null 2>&1; }; then
    (apt-get update -qq && apt-get install -y -qq chromium fonts-noto-color-emoji fonts-noto-cjk) >/dev/null ||
        echo "could not install chromium: browser tests will be skipped (or fail, with GENAI_REQUIRE_BROWSER=1)"
fi
export GRADIO_ANALYTICS_ENABLED=False
python -m pytest "$@"
