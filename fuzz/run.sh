#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), one after the other.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
# Each target starts from its seeds (fuzz/seeds/<target>, or the test
# fixtures for the timeline readers) plus its own growing corpus in
# fuzz/corpus/<target> (not committed). A crash
# stops that target and leaves its input in fuzz/artifacts/<target>/: copy
# it to tests/fuzz_regressions/<target>/ once fixed, and
# `cargo test --test fuzz_regressions` replays it forever after.
set -euo pipefail
cd "$(dirname "$0")"

seconds=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

# Build once, then run the binaries directly, so that edits made to the
# sources while the fuzzers run cannot break or slow down later targets.
cargo +nightly fuzz build --release
bin="target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"
status=0
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target" "artifacts/$target"
  echo "== $target: ${seconds}s"
  # -rss_limit_mb bounds memory per input; -max_len lets timelines be long
  # enough to hold a few hundred tweets.
  # Seeds: committed ones, and for the timeline readers the test fixtures
  # (libFuzzer reads folders recursively and only writes to the first one).
  seeds=()
  [ -d "seeds/$target" ] && seeds+=("seeds/$target")
  case "$target" in
    timeline_*) seeds+=(../tests/fixtures/timelines ../tests/fixtures/guidelines) ;;
  esac
  if ! "$bin/$target" "corpus/$target" "${seeds[@]}" \
    -artifact_prefix="artifacts/$target/" -max_total_time="$seconds" -max_len=65536 \
    -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 2>"corpus/$target.log"; then
    echo "!! $target found a failure: see fuzz/corpus/$target.log and fuzz/artifacts/$target/"
    status=1
  fi
  grep -E "^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+.*DONE" "corpus/$target.log" || true
done
exit $status
