#!/bin/sh
# The node images' entrypoint contract: arguments that are not a command run under node, so
# `CMD ["server.js"]` and `docker run IMAGE --version` start node, while `docker run IMAGE npm
# test` or `CMD ["node", "server.js"]` run as given. "Not a command" means: starts with a dash,
# is not found on PATH, or is a file that is not executable (a script path like server.js).
set -e
first=${1-}
if [ "${first#-}" != "$first" ]; then
    set -- node "$@"
elif [ -f "$first" ] && [ ! -x "$first" ]; then
    set -- node "$@"
elif ! command -v "$first" >/dev/null 2>&1; then
    set -- node "$@"
fi
exec "$@"
