#!/usr/bin/env bash
# disco data import / verify from the command line, on the real t10k split:
# the data set verifies and h5dump reads its shards; a finished data set is
# refused without --force; an interrupted import resumes, keeping finished
# shards; a truncated shard fails verification with its name. With MPI
# (mpirun given as $2): imports by 2 and 4 ranks hold the same images as one
# rank's, and a job whose rank meets a bad shard ends on every rank, with the
# file's name, instead of hanging.
set -euo pipefail
disco=$1
mpirun=${2:-}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
import=(data import --fmnist --split t10k --size 32 --rgb --shard-images 3000)
data=$scratch/t10k

"$disco" "${import[@]}" --out "$data"
out=$("$disco" data verify "$data")
echo "$out"
grep -q "N 10000 in 4 shards, shape 32x32x3, classes 10: ok" <<<"$out"
h5dump -H "$data/shard-00003.h5" | grep -q "( 1000, 32, 32, 3 )"

# A second import is refused with the directory's name, unless forced.
if "$disco" "${import[@]}" --out "$data" 2>"$scratch/err"; then exit 1; fi
grep -q "$data" "$scratch/err"
"$disco" "${import[@]}" --force --out "$data"

# An import cut short (no index, one shard missing) resumes.
rm "$data/index.h5" "$data/shard-00001.h5"
out=$("$disco" "${import[@]}" --out "$data")
echo "$out"
grep -q "in 4 shards (1 written, 3 kept from an earlier run)" <<<"$out"
"$disco" data verify "$data" >/dev/null

# A truncated shard fails with status 1 and its name.
cp "$data/shard-00002.h5" "$scratch/whole.h5"
head -c 1000000 "$scratch/whole.h5" >"$data/shard-00002.h5"
status=0
"$disco" data verify "$data" 2>"$scratch/err" || status=$?
cat "$scratch/err"
test "$status" -eq 1
grep -q "$data/shard-00002.h5" "$scratch/err"

if [ -z "$mpirun" ]; then
  echo "SKIP: the mpirun imports (built without MPI)"
else
  # Each shard's checksums of its images and labels; verify proves they match the content.
  content() {
    "$disco" data verify "$1" >/dev/null
    for f in "$1"/shard-*.h5; do h5dump -a images_crc32 -a labels_crc32 "$f" | tail -n +2; done
  }
  cp "$scratch/whole.h5" "$data/shard-00002.h5"
  content "$data" >"$scratch/one_rank"
  for ranks in 2 4; do
    "$mpirun" -np "$ranks" "$disco" "${import[@]}" --out "$scratch/np$ranks" | tee "$scratch/out"
    grep -q "in 4 shards (4 written, 0 kept from an earlier run) by $ranks ranks" "$scratch/out"
    content "$scratch/np$ranks" | cmp - "$scratch/one_rank"
  done

  # Rank 1 owns shard 1; a truncated one left there stops the whole job.
  rm "$scratch/np2/index.h5"
  head -c 100000 "$scratch/whole.h5" >"$scratch/np2/shard-00001.h5"
  status=0
  timeout 120 "$mpirun" -np 2 "$disco" "${import[@]}" --out "$scratch/np2" >"$scratch/out" 2>"$scratch/err" || status=$?
  cat "$scratch/err"
  test "$status" -ne 0 && test "$status" -ne 124
  grep -q "$scratch/np2/shard-00001.h5" "$scratch/err"
fi
echo "data cli: ok"
