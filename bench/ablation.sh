#!/usr/bin/env bash
# What each part of the default recipe is worth: `tweetguide train` with one
# part changed at a time, macro-F1 on both held-out sets, as a markdown table.
#
#   bench/ablation.sh            # about 5 minutes on two cores
#
# Needs the shared real tweets (../shared/data/real-tweets). Models go to a
# temporary folder; models/default.model is not touched.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release >&2
TG=target/release/tweetguide
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tweetguide-ablation.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

row() {
    local name=$1
    shift
    "$TG" train --out "$TMP/model" "$@" >/dev/null
    # Measured apart from training, so that a model trained without the real
    # tweets is scored on the real held-out split too.
    "$TG" evaluate --model "$TMP/model" --json >"$TMP/report.json"
    python3 - "$name" "$TMP/report.json" <<'PY'
import json, sys
name, path = sys.argv[1], sys.argv[2]
r = json.load(open(path))
cells = []
for s in ("hand-written held-out", "real held-out"):
    m = r.get(s)
    if m is None:
        cells += ["—"] * 3
        continue
    by = m.get("by_language", {})
    cells += [f"{m['macro_f1']:.3f}"] + [f"{by[l]['macro_f1']:.3f}" if l in by else "—" for l in ("fr", "en")]
print(f"| {name} | " + " | ".join(cells) + " |")
PY
}

echo "| recipe | hand-written all | fr | en | real all | fr | en |"
echo "|---|---:|---:|---:|---:|---:|---:|"
row "default recipe"
row "hand-written corpus only (--no-real)" --no-real
row "real tweets unbalanced (--balance-languages false)" --balance-languages false
row "raw counts, no unit length (--length-norm false)" --length-norm false
row "no EM over unlabelled tweets (--em-weight 0)" --em-weight 0
row "uniform priors, not tuned (--tune-priors false)" --tune-priors false
row "no word prefixes (--prefix 0)" --prefix 0
row "features in 1+ tweets (--min-df 1)" --min-df 1
row "hand-written weight 1 (--hand-written-weight 1)" --hand-written-weight 1
row "empirical priors, not tuned (--priors empirical --tune-priors false)" --priors empirical --tune-priors false
