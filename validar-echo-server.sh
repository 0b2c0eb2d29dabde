#!/bin/sh
# Upstream name (TP0 Ex3): checks the echo server and prints exactly one line,
#   action: test_echo_server | result: success     (exit 0)   or
#   action: test_echo_server | result: fail        (exit 1).
# The server address is SERVER_ADDRESS (default 127.0.0.1:12345; `server:12345` inside the
# upstream Docker network). Needs neither Docker nor netcat.
set -eu
root=$(cd "$(dirname "$0")" && pwd)
node="$root/node_modules/.bin/node"
[ -x "$node" ] || node=node
exec "$node" "$root/actors/lottery/main.ts" lottery echo-check --server "${SERVER_ADDRESS:-127.0.0.1:12345}"
