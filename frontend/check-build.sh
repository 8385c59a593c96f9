#!/usr/bin/env bash
# CI check: the editor's unit tests pass, and the committed build equals a fresh
# build from the lockfile.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
npm test
npm run build
cd ..
if ! git diff --exit-code --stat -- static/builder; then
  echo "static/builder differs from a fresh build: run 'cd frontend && npm ci && npm run build' and commit." >&2
  exit 1
fi
untracked=$(git ls-files --others --exclude-standard -- static/builder)
if [ -n "$untracked" ]; then
  echo "static/builder has files that are not committed: $untracked" >&2
  exit 1
fi
echo "static/builder matches a fresh build."
