#!/bin/sh
# Upstream name (TP0 Ex1): ./generar-compose.sh <output-file> <number-of-clients>
# Writes a docker-compose file in the upstream shape (server, client1..clientN, CLI_ID=i, AGENCIES=N)
# through `actor-runtime lottery topology --compose`.
set -eu
if [ "$#" -ne 2 ]; then
  echo "usage: $0 <output-file> <number-of-clients>" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")" && pwd)
node="$root/node_modules/.bin/node"
[ -x "$node" ] || node=node
exec "$node" "$root/actors/lottery/main.ts" lottery topology --agencies "$2" --compose "$1"
