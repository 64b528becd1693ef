#!/usr/bin/env python3
"""Accuracy of off-the-shelf text classifiers on tweetguide's two held-out sets.

Trains three baselines on the same labelled data as tweetguide's default model,

    the hand-written corpus   DATA/train.jsonl and DATA/everyday.jsonl
  + the real tweets           REAL_LABELS lines with "split": "train",
                              texts joined by id from REAL_TWEETS/*.jsonl

and reports macro-F1, overall and per language (fr, en), on

    hand-written held-out     DATA/test.jsonl
    real held-out             REAL_LABELS lines with "split": "test"

The models:

  mnb        CountVectorizer(ngram_range=(1, 2), min_df=2, lowercase=True,
             strip_accents="unicode") + MultinomialNB, alpha chosen by 5-fold
             GridSearchCV(scoring="f1_macro") over tweetguide's grid; the folds
             are stratified by label and shuffled with --seed.
  fasttext   fastText supervised (Python binding) on lowercased text: epoch 25,
             lr 0.5, wordNgrams 2, dim 50, minCount 1, softmax, --threads
             threads. With more than one thread fastText's lock-free SGD
             depends on how the threads interleave, so even with a fixed seed
             its figures move between runs (by up to 0.02-0.03 macro-F1 on
             these sets); --threads 1 is reproducible.
  linearsvc  TfidfVectorizer over the same n-grams + LinearSVC(C=1.0): what a
             discriminative linear model gets from the same features.

Every example counts once: unlike tweetguide's recipe, there is no weighting
of hand-written against real tweets and no use of the unlabelled texts.

The real texts are not in the repository (their licences are not ours); they
are cleaned as tweetguide's loader does (HTML entities, "\\r\\n"). Nothing
but the printed figures leaves the process: fastText's training file lives
in a temporary folder that is removed at exit.

Examples:
  python bench/accuracy_baselines.py
  python bench/accuracy_baselines.py --real-tweets /data/real-tweets --json
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy
import sklearn
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

LABELS = ["self_promotion", "sharing", "political"]
LANGS = ["fr", "en"]
# tweetguide's candidate smoothings, so both sides search the same grid.
ALPHAS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0]
FOLDS = 5
# The names tweetguide's `evaluate --json` gives the two sets, so that the
# two reports can be read side by side without a mapping.
HAND_WRITTEN = "hand-written held-out"
REAL = "real held-out"

REPO = Path(__file__).resolve().parent.parent

# The HTML entities the shared files keep as scraped. "&amp;" goes last so
# that "&amp;lt;" becomes "&lt;" and not "<", as in the Rust loader.
ENTITIES = [("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"), ("&amp;", "&")]

# Every byte fastText's reader treats as a word break; "\n" also ends an
# example, so a tweet must not contain it (or any of these) in its file.
FASTTEXT_BREAKS = re.compile("[ \n\r\t\v\f\0]+")


class Examples:
    """Parallel lists of texts, labels and languages."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.labels: list[str] = []
        self.langs: list[str] = []

    def add(self, text: str, label: str, lang: str) -> None:
        self.texts.append(text)
        self.labels.append(label)
        self.langs.append(lang)

    def __add__(self, other: Examples) -> Examples:
        both = Examples()
        both.texts = self.texts + other.texts
        both.labels = self.labels + other.labels
        both.langs = self.langs + other.langs
        return both

    def __len__(self) -> int:
        return len(self.texts)


def check(where: str, label: str, lang: str) -> None:
    # A typo here would otherwise surface as a silently wrong per-class score.
    if label not in LABELS:
        raise SystemExit(f"{where}: unknown label {label!r}")
    if lang not in LANGS:
        raise SystemExit(f"{where}: unknown language {lang!r}")


def read_hand_written(path: Path) -> Examples:
    examples = Examples()
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            check(f"{path}:{line_no}", row["label"], row["lang"])
            examples.add(row["text"], row["label"], row["lang"])
    return examples


def clean_real_text(text: str) -> str:
    text = text.replace("\r\n", "\n")
    for entity, char in ENTITIES:
        text = text.replace(entity, char)
    return text


def read_real_texts(folder: Path) -> dict[str, tuple[str, str]]:
    if not folder.is_dir():
        raise SystemExit(
            f"{folder} is not a folder: the real tweets' texts live in the shared data set "
            "(../shared/data/real-tweets beside the repository); pass --real-tweets DIR"
        )
    texts: dict[str, tuple[str, str]] = {}
    for path in sorted(folder.glob("*.jsonl")):
        with open(path, encoding="utf-8") as f:
            for line_no, line in enumerate(f, 1):
                if not line.strip():
                    continue
                row = json.loads(line)
                if row["id"] in texts:
                    raise SystemExit(f"{path}:{line_no}: id {row['id']!r} appears twice")
                texts[row["id"]] = (clean_real_text(row["text"]), row["lang"])
    return texts


def read_real(labels_path: Path, texts_dir: Path) -> tuple[Examples, Examples]:
    """The real labelled tweets, as (train split, test split)."""
    texts = read_real_texts(texts_dir)
    splits = {"train": Examples(), "test": Examples()}
    with open(labels_path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            where = f"{labels_path}:{line_no}"
            if row["id"] not in texts:
                # The labels and the shared data are out of step: a smaller
                # set would give figures that look comparable and are not.
                raise SystemExit(f"{where}: no text for id {row['id']!r} in {texts_dir}")
            if row["split"] not in splits:
                raise SystemExit(f"{where}: unknown split {row['split']!r}")
            # The language comes from the shared data, as in tweetguide's join.
            text, lang = texts[row["id"]]
            check(where, row["label"], lang)
            splits[row["split"]].add(text, row["label"], lang)
    return splits["train"], splits["test"]


def macro_f1(truth: list[str], predicted: list[str]) -> float:
    # labels= and zero_division=0 match tweetguide's metric: a label that is
    # neither present nor predicted still counts, with an F1 of 0.
    return float(f1_score(truth, predicted, labels=LABELS, average="macro", zero_division=0))


def scores(examples: Examples, predicted: list[str]) -> dict:
    result = {
        "count": len(examples),
        "accuracy": float(accuracy_score(examples.labels, predicted)),
        "macro_f1": macro_f1(examples.labels, predicted),
        "by_language": {},
    }
    for lang in LANGS:
        idx = [i for i, of in enumerate(examples.langs) if of == lang]
        if not idx:
            continue
        truth = [examples.labels[i] for i in idx]
        guess = [predicted[i] for i in idx]
        result["by_language"][lang] = {
            "count": len(idx),
            "accuracy": float(accuracy_score(truth, guess)),
            "macro_f1": macro_f1(truth, guess),
        }
    return result


def ngrams(vectorizer: type) -> CountVectorizer:
    # One feature definition for both scikit-learn models, so that they differ
    # only in how they weigh the same n-grams.
    return vectorizer(ngram_range=(1, 2), min_df=2, lowercase=True, strip_accents="unicode")


def train_mnb(train: Examples, seed: int, jobs: int | None) -> tuple[object, dict]:
    search = GridSearchCV(
        Pipeline([("vec", ngrams(CountVectorizer)), ("nb", MultinomialNB())]),
        {"nb__alpha": ALPHAS},
        scoring="f1_macro",
        cv=StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed),
        n_jobs=jobs,
        refit=True,
    ).fit(train.texts, train.labels)
    cv = [
        [float(a), float(s)]
        for a, s in zip(search.cv_results_["param_nb__alpha"], search.cv_results_["mean_test_score"], strict=True)
    ]
    return search.best_estimator_.predict, {
        "alpha": float(search.best_params_["nb__alpha"]),
        "cross_validation": cv,
        "vocabulary_size": len(search.best_estimator_.named_steps["vec"].vocabulary_),
    }


def train_linearsvc(train: Examples, seed: int) -> tuple[object, dict]:
    # liblinear's dual solver visits the examples in a random order: the seed
    # makes the fit reproducible.
    model = Pipeline([("vec", ngrams(TfidfVectorizer)), ("svm", LinearSVC(C=1.0, random_state=seed))])
    model.fit(train.texts, train.labels)
    return model.predict, {"C": 1.0, "vocabulary_size": len(model.named_steps["vec"].vocabulary_)}


def fasttext_line(text: str) -> str:
    # fastText splits on whitespace only, so lowercasing is the one
    # normalisation asked of it; the breaks keep each tweet on one line.
    return FASTTEXT_BREAKS.sub(" ", text.lower()).strip()


def train_fasttext(train: Examples, seed: int, threads: int) -> tuple[object, dict]:
    import fasttext

    params = {
        "epoch": 25,
        "lr": 0.5,
        "wordNgrams": 2,
        "dim": 50,
        "minCount": 1,
        "loss": "softmax",
        "seed": seed,
        "thread": threads,
    }
    prefix = "__label__"
    with tempfile.TemporaryDirectory(prefix="tweetguide-fasttext.") as tmp:
        path = os.path.join(tmp, "train.txt")
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            for text, label in zip(train.texts, train.labels, strict=True):
                f.write(f"{prefix}{label} {fasttext_line(text)}\n")
        model = fasttext.train_supervised(input=path, verbose=0, **params)

    def predict(texts: list[str]) -> list[str]:
        # The list form of predict: the one-string form builds its result with
        # np.array(copy=False), which numpy 2 refuses.
        labels, _ = model.predict([fasttext_line(t) for t in texts], k=1)
        return [found[0][len(prefix) :] for found in labels]

    return predict, {**params, "vocabulary_size": len(model.words)}


def fasttext_version() -> str:
    # The same module is shipped under two distribution names.
    for name in ("fasttext-wheel", "fasttext"):
        try:
            return f"{name} {importlib.metadata.version(name)}"
        except importlib.metadata.PackageNotFoundError:
            pass
    return "unknown"


MODELS = {
    "mnb": "scikit-learn MultinomialNB",
    "fasttext": "fastText",
    "linearsvc": "scikit-learn LinearSVC",
}


def run(args: argparse.Namespace) -> dict:
    # The hand-written training files tweetguide reads (everyday.jsonl is
    # optional there too).
    hand_written_train = read_hand_written(args.data / "train.jsonl")
    if (args.data / "everyday.jsonl").exists():
        hand_written_train += read_hand_written(args.data / "everyday.jsonl")
    hand_written_test = read_hand_written(args.data / "test.jsonl")
    real_train, real_test = read_real(args.real_labels, args.real_tweets)
    train = hand_written_train + real_train
    held_out = {HAND_WRITTEN: hand_written_test, REAL: real_test}

    trainers = {
        "mnb": lambda: train_mnb(train, args.seed, args.jobs),
        "fasttext": lambda: train_fasttext(train, args.seed, args.threads),
        "linearsvc": lambda: train_linearsvc(train, args.seed),
    }
    models = {}
    for key in args.models:
        print(f"[accuracy] training {MODELS[key]} on {len(train)} tweets", file=sys.stderr)
        started = time.perf_counter()
        predict, params = trainers[key]()
        fit_seconds = time.perf_counter() - started
        models[key] = {
            "name": MODELS[key],
            "params": params,
            "fit_seconds": fit_seconds,
            "sets": {name: scores(examples, list(predict(examples.texts))) for name, examples in held_out.items()},
        }

    return {
        "versions": {
            "python": sys.version.split()[0],
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "fasttext": fasttext_version() if "fasttext" in args.models else None,
        },
        "seed": args.seed,
        "train": {"hand_written": len(hand_written_train), "real": len(real_train), "total": len(train)},
        "held_out": {
            name: {"count": len(ex), **{lang: ex.langs.count(lang) for lang in LANGS}} for name, ex in held_out.items()
        },
        "models": models,
    }


def print_table(report: dict) -> None:
    t = report["train"]
    print(f"trained on {t['total']} tweets ({t['hand_written']} hand-written + {t['real']} real); macro-F1:\n")
    sets = list(report["held_out"])
    header = ["model"] + [f"{name} {part}" for name in sets for part in ["all", *LANGS]]
    rows = []
    for model in report["models"].values():
        row = [model["name"]]
        for name in sets:
            s = model["sets"][name]
            row.append(f"{s['macro_f1']:.4f}")
            row += [f"{s['by_language'][lang]['macro_f1']:.4f}" if lang in s["by_language"] else "-" for lang in LANGS]
        rows.append(row)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    if "mnb" in report["models"]:
        print(f"\nMultinomialNB alpha (5-fold CV): {report['models']['mnb']['params']['alpha']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--data",
        type=Path,
        default=REPO / "training-data",
        help="folder with the hand-written train.jsonl and test.jsonl",
    )
    parser.add_argument(
        "--real-labels", type=Path, default=REPO / "training-data/real/labels.jsonl", help="the real tweets' labels"
    )
    parser.add_argument(
        "--real-tweets",
        type=Path,
        default=REPO.parent / "shared/data/real-tweets",
        help="folder of the real tweets' texts (default: ../shared/data/real-tweets beside the repository)",
    )
    parser.add_argument("--seed", type=int, default=20240601, help="CV shuffling, fastText and LinearSVC seed")
    parser.add_argument("--threads", type=int, default=2, help="fastText threads (default: 2)")
    parser.add_argument("--jobs", type=int, default=None, help="GridSearchCV n_jobs (default: 1 process)")
    parser.add_argument(
        "--models",
        default=",".join(MODELS),
        help=f"comma-separated subset of {', '.join(MODELS)} (default: all)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args()
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in args.models if m not in MODELS]
    if unknown or not args.models:
        parser.error(f"--models takes names among {', '.join(MODELS)}")
    if args.threads < 1:
        parser.error("--threads must be at least 1")

    report = run(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
