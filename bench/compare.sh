#!/usr/bin/env bash
# tweetguide vs scikit-learn, side by side on this machine, as one markdown table.
#
#   bench/compare.sh                                   # full run (about 10 minutes on 2 cores)
#   RUNS=1 TRAIN_SIZE=5000 PREDICT_SIZE=20000 bench/compare.sh   # smoke test
#   ONLY=accuracy bench/compare.sh                     # held-out accuracy only (a few minutes)
#
# Environment:
#   ONLY=                "accuracy": only the accuracy side-by-side (tweetguide,
#                        MultinomialNB, fastText, LinearSVC on both held-out sets)
#   REAL_TWEETS=../shared/data/real-tweets   texts of the real labelled tweets
#   RUNS=3               timed runs per measurement (the median is reported)
#   TRAIN_SIZE=100000    tweets in the resampled training corpus
#   PREDICT_SIZE=1000000 lines in the resampled batch-labelling file
#   ALPHA=0.3            smoothing for the fixed-alpha training runs
#   SEED=20240601        seed of both resamplings
#
# The markdown report goes to stdout; progress and build output go to stderr.
# It creates bench/.venv (python3 -m venv) with bench/requirements.txt when
# missing, builds `cargo build --release`, and keeps its data in a temporary
# folder removed at the end.
set -euo pipefail
export LC_ALL=C

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

RUNS=${RUNS:-3}
TRAIN_SIZE=${TRAIN_SIZE:-100000}
PREDICT_SIZE=${PREDICT_SIZE:-1000000}
ALPHA=${ALPHA:-0.3}
SEED=${SEED:-20240601}
ONLY=${ONLY:-}
REAL_TWEETS=${REAL_TWEETS:-../shared/data/real-tweets}
DATA=training-data
TG=$ROOT/target/release/tweetguide
VENV=$ROOT/bench/.venv
PY=$VENV/bin/python
SK=$ROOT/bench/sklearn_baseline.py
ACC=$ROOT/bench/accuracy_baselines.py

for n in "$RUNS" "$TRAIN_SIZE" "$PREDICT_SIZE"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "RUNS, TRAIN_SIZE and PREDICT_SIZE must be positive integers" >&2; exit 2; }
done
[[ -z $ONLY || $ONLY == accuracy ]] || { echo "ONLY must be empty or \"accuracy\"" >&2; exit 2; }

log() { printf '[compare] %s\n' "$*" >&2; }

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tweetguide-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# --- set-up --------------------------------------------------------------

if [[ ! -x $PY ]]; then
    log "creating $VENV"
    python3 -m venv "$VENV"
fi
REQ_HASH=$(sha256sum bench/requirements.txt | cut -d' ' -f1)
if [[ ! -f $VENV/.requirements.sha256 || $(cat "$VENV/.requirements.sha256") != "$REQ_HASH" ]]; then
    log "installing bench/requirements.txt into $VENV"
    "$PY" -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt >&2
    echo "$REQ_HASH" >"$VENV/.requirements.sha256"
fi

log "cargo build --release"
cargo build --release >&2

# --- helpers -------------------------------------------------------------

TIME_BIN=
[[ -x /usr/bin/time ]] && TIME_BIN=/usr/bin/time

# timed STDIN STDOUT CMD...: runs CMD, sets WALL (seconds) and RSS (peak MiB, or "?").
timed() {
    local in=$1 out=$2
    shift 2
    local t0 t1
    t0=$EPOCHREALTIME
    if [[ -n $TIME_BIN ]]; then
        "$TIME_BIN" -f %M -o "$TMP/rss" "$@" <"$in" >"$out"
    else
        "$@" <"$in" >"$out"
    fi
    t1=$EPOCHREALTIME
    WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
    if [[ -n $TIME_BIN ]]; then
        RSS=$(awk 'END { printf "%.0f", $1 / 1024 }' "$TMP/rss")
    else
        RSS="?"
    fi
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
maximum() { printf '%s\n' "$@" | sort -g | tail -n 1; }

# jget FILE EXPR: a value from a JSON file, EXPR applied to `d`.
jget() { "$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# tg_train_line FILE: "seconds alpha features" from tweetguide train's first line.
tg_train_line() {
    sed -n 's/^trained model .* in \([0-9.]*\)s: alpha \([^,]*\), \([0-9]*\) features.*/\1 \2 \3/p' "$1"
}

sec() { awk -v s="$1" 'BEGIN { if (s < 10) printf "%.3f s", s; else if (s < 100) printf "%.2f s", s; else printf "%.1f s", s }'; }
ratio() { awk -v sk="$1" -v tg="$2" 'BEGIN { if (tg > 0) printf "%.2f", sk / tg; else print "n/a" }'; }
int() { awk -v n="$1" 'BEGIN { s = sprintf("%d", n); out = ""; while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) } print s out }'; }
f4() { awk -v x="$1" 'BEGIN { printf "%.4f", x }'; }
diff4() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.4f", a - b }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }

ROWS=()
row() { ROWS+=("| $1 | $2 | $3 | $4 |"); }

# context_lines: the date, commit, machine and compiler lines that open a report.
context_lines() {
    local commit dirty cpu ram
    commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
    dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | wc -l)
    cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
    ram=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
    cat <<EOF
- date: $(date -u '+%Y-%m-%d %H:%M UTC')
- commit: \`$commit\`$( ((dirty > 0)) && echo " (binary built from a working tree with $dirty modified tracked files)")
- machine: $(nproc) CPUs ($cpu), $ram RAM, $(uname -sr); load average at the start $LOAD_START, at the end $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine shows here)
- tweetguide: $(rustc --version 2>/dev/null || echo "rustc ?"), \`cargo build --release\`
EOF
}

TRAIN_N=$(grep -c . "$DATA/train.jsonl")
TEST_N=$(grep -c . "$DATA/test.jsonl")

# --- 0. accuracy: tweetguide vs MultinomialNB, fastText, LinearSVC ------------
#
# Every model here learns from the same labelled tweets (the hand-written
# train.jsonl and the real tweets of split "train") and is scored on both
# held-out sets: the hand-written test.jsonl and the real tweets of split
# "test", whose texts live in $REAL_TWEETS, outside the repository.

log "accuracy: tweetguide evaluate --json (built-in default model)"
TG_ACC_ROW="tweetguide (default model)"
TG_ACC_NOTE="the model built into the binary (models/default.model), \`tweetguide evaluate --json\`"
"$TG" evaluate --corpus "$DATA" --real-tweets "$REAL_TWEETS" --json >"$TMP/acc-tg.json"

log "accuracy: MultinomialNB, fastText and LinearSVC (bench/accuracy_baselines.py)"
"$PY" "$ACC" --data "$DATA" --real-tweets "$REAL_TWEETS" --seed "$SEED" --json >"$TMP/acc-base.json"

# The two programs read the held-out sets each on its own: a join or a filter
# that differs would make the rows incomparable, so the counts must agree.
for held_out in "hand-written held-out" "real held-out"; do
    a=$(jget "$TMP/acc-tg.json" "d['$held_out']['count']")
    b=$(jget "$TMP/acc-base.json" "d['held_out']['$held_out']['count']")
    [[ $a == "$b" ]] || { echo "$held_out: tweetguide scored $a tweets, accuracy_baselines.py $b" >&2; exit 1; }
done

# Python applied to `s`, an object keyed by held-out set name as both tools
# print it: the six macro-F1 cells of one table row.
F1_CELLS='" | ".join("%.4f" % x for n in ("hand-written held-out", "real held-out") for x in (s[n]["macro_f1"], s[n]["by_language"]["fr"]["macro_f1"], s[n]["by_language"]["en"]["macro_f1"]))'
ACC_ROWS=("| $TG_ACC_ROW | $(jget "$TMP/acc-tg.json" "(lambda s: $F1_CELLS)(d)") |")
for model in mnb fasttext linearsvc; do
    ACC_ROWS+=("| $(jget "$TMP/acc-base.json" "d['models']['$model']['name']") | $(jget "$TMP/acc-base.json" "(lambda s: $F1_CELLS)(d['models']['$model']['sets'])") |")
done

# accuracy_report: the markdown of this section.
accuracy_report() {
    local j=$TMP/acc-base.json
    # "N all / N fr / N en" tweets of a held-out set, for the column headers.
    local hw="hand-written held-out" re="real held-out"
    local hw_n re_n
    hw_n=$(jget "$j" "'/'.join(str(d['held_out']['$hw'][k]) for k in ('count', 'fr', 'en'))")
    re_n=$(jget "$j" "'/'.join(str(d['held_out']['$re'][k]) for k in ('count', 'fr', 'en'))")
    local h1 h2 h3 r1 r2 r3
    IFS=/ read -r h1 h2 h3 <<<"$hw_n"
    IFS=/ read -r r1 r2 r3 <<<"$re_n"
    cat <<EOF
| macro-F1 | hand-written, all ($h1) | hand-written, fr ($h2) | hand-written, en ($h3) | real, all ($r1) | real, fr ($r2) | real, en ($r3) |
|---|---:|---:|---:|---:|---:|---:|
EOF
    printf '%s\n' "${ACC_ROWS[@]}"
    cat <<EOF

Notes:
- Training data: $(jget "$j" "'{total:,} tweets ({hand_written:,} hand-written from $DATA/train.jsonl and $DATA/everyday.jsonl + {real:,} real tweets of split \"train\")'.format(**d['train'])"); held-out sets: $DATA/test.jsonl and the real tweets of split "test" (texts from $REAL_TWEETS). Counts in the headers.
- tweetguide: $TG_ACC_NOTE. Its recipe weights hand-written against real tweets and also learns from the unlabelled real tweets; the three baselines count every labelled tweet once and see no unlabelled text.
- scikit-learn MultinomialNB: \`CountVectorizer(ngram_range=(1, 2), min_df=2, lowercase=True, strip_accents="unicode")\`, alpha $(jget "$j" "d['models']['mnb']['params']['alpha']") chosen by 5-fold GridSearchCV (f1_macro, stratified folds shuffled with seed $SEED) over tweetguide's eight: 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0.
- fastText ($(jget "$j" "d['versions']['fasttext']")): supervised, lowercased text, epoch 25, lr 0.5, wordNgrams 2, dim 50, minCount 1, softmax, seed $SEED, $(jget "$j" "d['models']['fasttext']['params']['thread']") threads. With more than one thread its lock-free training depends on how the threads interleave, so its figures move between runs even with a fixed seed (by up to 0.02-0.03 here); \`accuracy_baselines.py --threads 1\` is reproducible.
- scikit-learn LinearSVC: \`TfidfVectorizer\` over the same n-grams, C=1.0; a discriminative reference.
- Versions: $(jget "$j" "', '.join(k + ' ' + v for k, v in d['versions'].items() if v and k != 'fasttext')"), bench/requirements.txt.
EOF
}

if [[ $ONLY == accuracy ]]; then
    echo "# tweetguide vs MultinomialNB, fastText and LinearSVC: held-out accuracy"
    echo
    context_lines
    echo
    accuracy_report
    log "done"
    exit 0
fi

# --- 1. held-out quality: both sides choose alpha by 5-fold CV ------------
#
# Sections 1 to 3 compare the two training pipelines on the same data: the
# hand-written train.jsonl alone (a folder without everyday.jsonl, and
# `--no-real`), which is all sklearn_baseline.py reads. Section 0 compares
# the default model on everything it is trained on.

HW=$TMP/hand-written
mkdir -p "$HW"
cp "$DATA/train.jsonl" "$DATA/test.jsonl" "$HW/"

log "quality: tweetguide train --no-real (5-fold CV over 8 alphas)"
timed /dev/null "$TMP/tg-cv.out" "$TG" train --no-real --data "$HW" --out "$TMP/tg-cv.model"
TG_CV_WALL=$WALL
read -r TG_CV_FIT TG_CV_ALPHA TG_CV_VOCAB < <(tg_train_line "$TMP/tg-cv.out") || true
[[ -n ${TG_CV_FIT:-} ]] || { echo "cannot read the training time from:" >&2; cat "$TMP/tg-cv.out" >&2; exit 1; }
timed /dev/null "$TMP/tg-eval.json" "$TG" evaluate --data "$DATA/test.jsonl" --model "$TMP/tg-cv.model" --json

log "quality: scikit-learn GridSearchCV (5-fold over 8 alphas)"
timed /dev/null "$TMP/sk-cv.json" "$PY" "$SK" --data "$DATA" --json --save-model "$TMP/sk-cv.pkl"
SK_CV_WALL=$WALL

f1s() { jget "$1" '" / ".join("%.3f" % d.get("held_out", d)["per_class"][k]["f1"] for k in ("self_promotion", "sharing", "political"))'; }
TG_ACC=$(jget "$TMP/tg-eval.json" 'd["accuracy"]')
TG_F1=$(jget "$TMP/tg-eval.json" 'd["macro_f1"]')
SK_ACC=$(jget "$TMP/sk-cv.json" 'd["accuracy"]')
SK_F1=$(jget "$TMP/sk-cv.json" 'd["macro_f1"]')
SK_CV_ALPHA=$(jget "$TMP/sk-cv.json" 'd["alpha"]')
SK_CV_FIT=$(jget "$TMP/sk-cv.json" 'd["fit_seconds"]')
SK_CV_VOCAB=$(jget "$TMP/sk-cv.json" 'd["vocabulary_size"]')

row "held-out accuracy ($TEST_N tweets)" "$(f4 "$TG_ACC")" "$(f4 "$SK_ACC")" "Δ $(diff4 "$TG_ACC" "$SK_ACC") for tweetguide"
row "held-out macro-F1" "$(f4 "$TG_F1")" "$(f4 "$SK_F1")" "Δ $(diff4 "$TG_F1" "$SK_F1") for tweetguide"
row "held-out F1 self_promotion / sharing / political" "$(f1s "$TMP/tg-eval.json")" "$(f1s "$TMP/sk-cv.json")" ""
row "alpha chosen by 5-fold CV / vocabulary size" "$TG_CV_ALPHA / $(int "$TG_CV_VOCAB")" "$SK_CV_ALPHA / $(int "$SK_CV_VOCAB")" ""
row "training with 5-fold CV over 8 alphas (tweetguide: and priors), fit only (1 run)" "$(sec "$TG_CV_FIT")" "$(sec "$SK_CV_FIT")" "$(ratio "$SK_CV_FIT" "$TG_CV_FIT")"
row "training with 5-fold CV, whole process (1 run)" "$(sec "$TG_CV_WALL")" "$(sec "$SK_CV_WALL")" "$(ratio "$SK_CV_WALL" "$TG_CV_WALL")"

# --- 2. training time with a fixed alpha ---------------------------------

# bench_train DIR LABEL: RUNS fits of each side with --alpha $ALPHA on DIR.
bench_train() {
    local dir=$1 label=$2 i
    local tg_fit=() tg_wall=() tg_rss=() sk_fit=() sk_wall=() sk_rss=() tg_vocab sk_vocab
    for ((i = 1; i <= RUNS; i++)); do
        log "training on $label, run $i/$RUNS: tweetguide"
        timed /dev/null "$TMP/tg-train.out" "$TG" train --no-real --data "$dir" --out "$TMP/tg-train.model" --alpha "$ALPHA"
        local fit _alpha vocab
        read -r fit _alpha vocab < <(tg_train_line "$TMP/tg-train.out") || true
        [[ -n ${fit:-} ]] || { echo "cannot read the training time from:" >&2; cat "$TMP/tg-train.out" >&2; exit 1; }
        tg_fit+=("$fit") tg_wall+=("$WALL") tg_rss+=("$RSS") tg_vocab=$vocab
        log "training on $label, run $i/$RUNS: scikit-learn"
        timed /dev/null "$TMP/sk-train.json" "$PY" "$SK" --data "$dir" --alpha "$ALPHA" --json
        sk_fit+=("$(jget "$TMP/sk-train.json" 'd["fit_seconds"]')") sk_wall+=("$WALL") sk_rss+=("$RSS")
        sk_vocab=$(jget "$TMP/sk-train.json" 'd["vocabulary_size"]')
    done
    local a b
    a=$(median "${tg_fit[@]}") b=$(median "${sk_fit[@]}")
    row "training on $label, alpha $ALPHA: fit only" "$(sec "$a")" "$(sec "$b")" "$(ratio "$b" "$a")"
    a=$(median "${tg_wall[@]}") b=$(median "${sk_wall[@]}")
    row "training on $label, alpha $ALPHA: whole process" "$(sec "$a")" "$(sec "$b")" "$(ratio "$b" "$a")"
    a=$(maximum "${tg_rss[@]}") b=$(maximum "${sk_rss[@]}")
    row "training on $label: vocabulary / peak memory" "$(int "$tg_vocab") / $a MiB" "$(int "$sk_vocab") / $b MiB" "$(ratio "$b" "$a") (memory)"
}

bench_train "$DATA" "the committed corpus ($(int "$TRAIN_N") tweets)"

log "resampling $DATA/train.jsonl to $TRAIN_SIZE tweets"
mkdir -p "$TMP/big"
cp "$DATA/test.jsonl" "$TMP/big/test.jsonl"
# tweetguide refuses a corpus with duplicate texts (after normalisation), so
# every resampled copy gets a unique letters-only marker word ("zq" + 5
# letters). A marker is in one tweet only, so min_df=2 prunes it (and its
# bigram) on both sides; the ~30 tweets too long for it lose their last
# characters to stay within the corpus limit of 280 characters.
TRUNCATED=$("$PY" - "$DATA/train.jsonl" "$TMP/big/train.jsonl" "$TRAIN_SIZE" "$SEED" <<'EOF'
import json, random, string, sys
source, target, size, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rows = [json.loads(line) for line in open(source, encoding="utf-8") if line.strip()]
rng = random.Random(seed)
truncated = 0
with open(target, "w", encoding="utf-8") as out:
    for i, row in enumerate(rng.choices(rows, k=size)):
        n, letters = i, []
        for _ in range(5):
            n, r = divmod(n, 26)
            letters.append(string.ascii_lowercase[r])
        marker = " zq" + "".join(letters)
        text = row["text"]
        if len(text) + len(marker) > 280:
            text = text[: 280 - len(marker)].rstrip()
            truncated += 1
        out.write(json.dumps({"text": text + marker, "label": row["label"], "lang": row["lang"]}, ensure_ascii=False) + "\n")
print(truncated)
EOF
)

bench_train "$TMP/big" "$(int "$TRAIN_SIZE") resampled tweets"

# --- 3. offline batch labelling -------------------------------------------

log "resampling the texts of $DATA/train.jsonl to $PREDICT_SIZE lines"
"$PY" - "$DATA/train.jsonl" "$TMP/batch.txt" "$PREDICT_SIZE" "$SEED" <<'EOF'
import json, random, re, sys
source, target, size, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
# Every character str.splitlines() breaks on becomes a space: one tweet per line for both readers.
breaks = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
texts = [breaks.sub(" ", json.loads(line)["text"]) for line in open(source, encoding="utf-8") if line.strip()]
rng = random.Random(seed + 1)
with open(target, "w", encoding="utf-8", newline="\n") as out:
    out.writelines(text + "\n" for text in rng.choices(texts, k=size))
EOF
BATCH_MB=$(awk -v b="$(stat -c %s "$TMP/batch.txt")" 'BEGIN { printf "%.0f", b / 1048576 }')

tg_b=() tg_b_rss=() sk_b=() sk_b_rss=() sk_b_in=()
for ((i = 1; i <= RUNS; i++)); do
    log "batch labelling of $PREDICT_SIZE lines, run $i/$RUNS: tweetguide"
    timed "$TMP/batch.txt" "$TMP/tg.labels" "$TG" classify --labels --model "$TMP/tg-cv.model"
    tg_b+=("$WALL") tg_b_rss+=("$RSS")
    log "batch labelling of $PREDICT_SIZE lines, run $i/$RUNS: scikit-learn"
    timed /dev/null "$TMP/sk-predict.json" "$PY" "$SK" --model "$TMP/sk-cv.pkl" --predict "$TMP/batch.txt" --predict-out "$TMP/sk.labels" --json
    sk_b+=("$WALL") sk_b_rss+=("$RSS") sk_b_in+=("$(jget "$TMP/sk-predict.json" 'd["predict"]["total_seconds"]')")
done
for f in tg.labels sk.labels; do
    n=$(wc -l <"$TMP/$f")
    [[ $n -eq $PREDICT_SIZE ]] || { echo "$f has $n lines, expected $PREDICT_SIZE" >&2; exit 1; }
done
AGREE=$(paste -d' ' "$TMP/tg.labels" "$TMP/sk.labels" | awk '$1 == $2 { same++ } END { printf "%.2f", 100 * same / NR }')

a=$(median "${tg_b[@]}") b=$(median "${sk_b[@]}")
row "batch labelling of $(int "$PREDICT_SIZE") lines ($BATCH_MB MB), whole process" "$(sec "$a")" "$(sec "$b")" "$(ratio "$b" "$a")"
row "batch labelling: tweets per second (whole process)" "$(int "$(rate "$PREDICT_SIZE" "$a")")" "$(int "$(rate "$PREDICT_SIZE" "$b")")" ""
c=$(median "${sk_b_in[@]}")
row "batch labelling: in-process load + read + predict + write" "—" "$(sec "$c")" ""
a=$(maximum "${tg_b_rss[@]}") b=$(maximum "${sk_b_rss[@]}")
row "batch labelling: peak memory" "$a MiB" "$b MiB" "$(ratio "$b" "$a")"
row "batch labelling: labels identical on both sides" "$AGREE %" "" ""

# --- report ----------------------------------------------------------------

VERSIONS=$(jget "$TMP/sk-cv.json" '", ".join(k + " " + v for k, v in d["versions"].items())')

echo "# tweetguide vs scikit-learn"
echo
context_lines
cat <<EOF
- scikit-learn side: $VERSIONS (bench/requirements.txt); \`CountVectorizer(ngram_range=(1, 2), min_df=2, lowercase=True, strip_accents="unicode")\` + \`MultinomialNB\`, GridSearchCV n_jobs=1
- settings: RUNS=$RUNS (medians), TRAIN_SIZE=$TRAIN_SIZE, PREDICT_SIZE=$PREDICT_SIZE, ALPHA=$ALPHA, SEED=$SEED

| measure | tweetguide | scikit-learn | sklearn / tweetguide |
|---|---:|---:|---:|
EOF
printf '%s\n' "${ROWS[@]}"
cat <<EOF

Notes:
- Quality: tweetguide \`train --no-real\` on $DATA/train.jsonl alone, then \`evaluate --data $DATA/test.jsonl --json\` (its recipe: unit-length tweets, word prefixes, smoothing over 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0 and class priors tuned by 5-fold CV); scikit-learn GridSearchCV (5 stratified folds, f1_macro) over the same eight smoothings on the same split.
- "fit only" is tweetguide's own "trained model ... in X.XXs" (tokenising + fitting + compiling the scorer + scoring test.jsonl, files already read) and scikit-learn's vectorizer + NB fit (\`time.perf_counter\`, files already read, test.jsonl not scored). "whole process" is the wall time of the command, including start-up, Python imports, reading the data and, for tweetguide, writing the model file.
- The $(int "$TRAIN_SIZE")-tweet corpus resamples $DATA/train.jsonl with replacement (seed $SEED) and keeps $DATA/test.jsonl. Because tweetguide refuses duplicate texts, each row ends with a unique marker word, which min_df=2 prunes on both sides; $TRUNCATED rows were cut by up to 8 characters to stay within 280 characters.
- Batch labelling: $(int "$PREDICT_SIZE") texts resampled from $DATA/train.jsonl (seed $((SEED + 1))), one per line. tweetguide: \`classify --labels --model M < file > out\`; scikit-learn: \`sklearn_baseline.py --model M.pkl --predict file --predict-out out\` (a fresh Python process that loads the pickled pipeline, reads, predicts, writes). M are the CV-chosen models of the first rows. Peak memory is the maximum RSS from /usr/bin/time.
- Ratios above 1 mean scikit-learn takes longer (or uses more memory) than tweetguide.

## Held-out accuracy against MultinomialNB, fastText and LinearSVC

EOF
accuracy_report
log "done"
