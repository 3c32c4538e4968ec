#!/bin/sh
# Regenerate slacktee.bundle (a git repository in one file) from src/. The Dockerfiles clone the
# bundle with git, as the seed clones slacktee's upstream, but offline. Dates and author are
# fixed so the bundle's bytes only change when src/ does.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -R "$here/src/." "$work/"
cd "$work"
export GIT_AUTHOR_NAME=kit GIT_AUTHOR_EMAIL=kit@localhost GIT_COMMITTER_NAME=kit \
    GIT_COMMITTER_EMAIL=kit@localhost GIT_AUTHOR_DATE=2026-01-01T00:00:00Z \
    GIT_COMMITTER_DATE=2026-01-01T00:00:00Z
git init -q -b main .
git add -A
git commit -q -m "slacktee for the image-diet kit"
git bundle create "$here/slacktee.bundle" HEAD main 2>/dev/null
echo "wrote $here/slacktee.bundle"
