#!/bin/sh
# slacktee: copy standard input to standard output and, when SLACK_WEBHOOK_URL is set, post each
# line to that webhook. A small stand-in for the seed's slacktee, written for the image-diet kit.
# POSIX sh on purpose: the busybox variant has no bash.
set -eu

post() {
    payload=$(printf '{"text": "%s"}' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')")
    if command -v curl >/dev/null 2>&1; then
        curl -fsS -X POST -H 'Content-Type: application/json' -d "$payload" "$SLACK_WEBHOOK_URL" >/dev/null
    else
        wget -q -O /dev/null --header 'Content-Type: application/json' --post-data "$payload" "$SLACK_WEBHOOK_URL"
    fi
}

if [ "${1:-}" = "--self-test" ]; then
    # What the kit's probe runs: the tool starts, finds its HTTP client, and tees a line.
    client=$(command -v curl || command -v wget || true)
    [ -n "$client" ] || { echo "slacktee: no curl or wget" >&2; exit 1; }
    echo "slacktee self-test ok (client: $client)" | "$0"
    exit 0
fi

while IFS= read -r line || [ -n "$line" ]; do
    printf '%s\n' "$line"
    if [ -n "${SLACK_WEBHOOK_URL:-}" ]; then
        post "$line" || echo "slacktee: post failed" >&2
    fi
done
