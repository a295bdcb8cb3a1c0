#!/usr/bin/env bash
# disco data import / verify from the command line, on the real t10k split:
# the shard must verify, refuse to be overwritten without --force, and a
# truncated copy must fail verification with its name.
set -euo pipefail
disco=$1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
shard=$scratch/t10k.h5

"$disco" data import --fmnist --split t10k --size 32 --rgb --out "$shard"
out=$("$disco" data verify "$shard")
echo "$out"
grep -q "N 10000, shape 32x32x3, classes 10: ok" <<<"$out"
h5dump -H "$shard" | grep -q "( 10000, 32, 32, 3 )"

# A second import is refused with the file's name, unless forced.
if "$disco" data import --fmnist --split t10k --size 32 --rgb --out "$shard" 2>"$scratch/err"; then exit 1; fi
grep -q "$shard" "$scratch/err"
"$disco" data import --fmnist --split t10k --size 32 --rgb --force --out "$shard"

# A truncated copy fails with status 1 and its name.
head -c 1000000 "$shard" >"$scratch/cut.h5"
status=0
"$disco" data verify "$scratch/cut.h5" 2>"$scratch/err" || status=$?
cat "$scratch/err"
test "$status" -eq 1
grep -q "$scratch/cut.h5" "$scratch/err"
echo "data cli: ok"
