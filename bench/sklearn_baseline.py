#!/usr/bin/env python3
"""scikit-learn side-by-side for tweetguide's naive-Bayes classifier.

Trains scikit-learn's usual text pipeline,

    CountVectorizer(ngram_range=(1, 2), min_df=2, lowercase=True, strip_accents="unicode")
    + MultinomialNB(alpha=...)

on DIR/train.jsonl and reports held-out figures on DIR/test.jsonl. The
smoothing is chosen by 5-fold GridSearchCV (scoring f1_macro) over the grid
tweetguide uses, unless --alpha is given, in which case the pipeline is fitted
once with it (as `tweetguide train --alpha`).

Timings (time.perf_counter):
  fit_seconds         vectorizer + NB fit (GridSearchCV.fit, refit included),
                      without reading the files and without scoring test.jsonl;
                      the counterpart of tweetguide's "trained model ... in X.XXs"
  train_wall_seconds  reading train.jsonl and test.jsonl + the fit above
  predict.*           with --predict: load the pickled pipeline, read the file
                      (one tweet per line), predict, write one label per line

With --predict after training, the fitted pipeline is pickled to a temporary
file and loaded back before predicting, to mirror a process that loads a model.
With --model PATH no training happens at all: the pipeline saved earlier by
--save-model is loaded, so that the whole process can be timed from outside
like `tweetguide classify --labels --model M`.

Examples:
  python bench/sklearn_baseline.py --data training-data --json
  python bench/sklearn_baseline.py --data training-data --alpha 0.3 --save-model /tmp/nb.pkl
  python bench/sklearn_baseline.py --model /tmp/nb.pkl --predict tweets.txt --predict-out labels.txt --json
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import tempfile
import time

import numpy as np
import scipy
import sklearn
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import Pipeline

# The order tweetguide prints labels in (its confusion matrix uses it too).
LABELS = ["self_promotion", "sharing", "political"]
# tweetguide's TrainParams::default() candidates.
ALPHAS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0]
FOLDS = 5


def read_jsonl(path: str) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row["label"] not in LABELS:
                raise SystemExit(f"{path}:{line_no}: unknown label {row['label']!r}")
            texts.append(row["text"])
            labels.append(row["label"])
    return texts, labels


def read_lines(path: str) -> list[str]:
    # Split on "\n" only (as tweetguide's stdin reader does), dropping a
    # trailing "\r"; str.splitlines would also split on U+2028, U+0085, ...
    with open(path, encoding="utf-8", newline="\n") as f:
        return [line.rstrip("\n").rstrip("\r") for line in f]


def pipeline(alpha: float, max_features: int | None) -> Pipeline:
    return Pipeline(
        [
            (
                "vec",
                CountVectorizer(
                    ngram_range=(1, 2),
                    min_df=2,
                    lowercase=True,
                    strip_accents="unicode",
                    max_features=max_features,
                ),
            ),
            ("nb", MultinomialNB(alpha=alpha)),
        ]
    )


def metrics(truth: list[str], predicted: list[str]) -> dict:
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=LABELS, zero_division=0
    )
    return {
        "count": len(truth),
        "accuracy": float(accuracy_score(truth, predicted)),
        "macro_f1": float(f1_score(truth, predicted, labels=LABELS, average="macro", zero_division=0)),
        "per_class": {
            label: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(LABELS)
        },
        "confusion": confusion_matrix(truth, predicted, labels=LABELS).tolist(),
    }


def train(args: argparse.Namespace) -> tuple[dict, Pipeline]:
    started = time.perf_counter()
    train_texts, train_labels = read_jsonl(os.path.join(args.data, "train.jsonl"))
    test_texts, test_labels = read_jsonl(os.path.join(args.data, "test.jsonl"))
    read_seconds = time.perf_counter() - started

    fit_started = time.perf_counter()
    if args.alpha is not None:
        model = pipeline(args.alpha, args.max_features).fit(train_texts, train_labels)
        alpha, cv_scores = args.alpha, []
    else:
        search = GridSearchCV(
            pipeline(ALPHAS[0], args.max_features),
            {"nb__alpha": ALPHAS},
            scoring="f1_macro",
            cv=StratifiedKFold(n_splits=FOLDS),
            n_jobs=args.jobs,
            refit=True,
        ).fit(train_texts, train_labels)
        model = search.best_estimator_
        alpha = float(search.best_params_["nb__alpha"])
        cv_scores = [
            [float(a), float(s)]
            for a, s in zip(search.cv_results_["param_nb__alpha"], search.cv_results_["mean_test_score"])
        ]
    fit_seconds = time.perf_counter() - fit_started
    train_wall_seconds = time.perf_counter() - started

    held_out = metrics(test_labels, list(model.predict(test_texts)))
    report = {
        "tool": "scikit-learn",
        "versions": {
            "python": sys.version.split()[0],
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "scipy": scipy.__version__,
        },
        "data": args.data,
        "train_examples": len(train_texts),
        "alpha": alpha,
        "cross_validation": cv_scores,
        "vocabulary_size": len(model.named_steps["vec"].vocabulary_),
        "read_seconds": read_seconds,
        "fit_seconds": fit_seconds,
        "train_wall_seconds": train_wall_seconds,
        "held_out": held_out,
        "accuracy": held_out["accuracy"],
        "macro_f1": held_out["macro_f1"],
    }
    return report, model


def save(model: Pipeline, path: str) -> None:
    with open(path, "wb") as f:
        pickle.dump(model, f, protocol=pickle.HIGHEST_PROTOCOL)


def predict(model_path: str, input_path: str, output_path: str) -> dict:
    started = time.perf_counter()
    with open(model_path, "rb") as f:
        model = pickle.load(f)
    loaded = time.perf_counter()
    texts = read_lines(input_path)
    read = time.perf_counter()
    labels = model.predict(texts)
    predicted = time.perf_counter()
    with open(output_path, "w", encoding="utf-8", newline="\n") as f:
        if len(labels):
            f.write("\n".join(labels.tolist()))
            f.write("\n")
    written = time.perf_counter()
    return {
        "lines": len(texts),
        "load_seconds": loaded - started,
        "read_seconds": read - loaded,
        "predict_seconds": predicted - read,
        "write_seconds": written - predicted,
        "total_seconds": written - started,
    }


def print_table(report: dict) -> None:
    rows = []
    if "held_out" in report:
        rows += [
            ("train examples", report["train_examples"]),
            ("alpha", report["alpha"] if report["cross_validation"] == [] else f"{report['alpha']} (5-fold CV)"),
            ("vocabulary", report["vocabulary_size"]),
            ("held-out accuracy", f"{report['accuracy']:.4f}"),
            ("held-out macro-F1", f"{report['macro_f1']:.4f}"),
            ("fit (vectorizer + NB)", f"{report['fit_seconds']:.3f} s"),
            ("read + fit", f"{report['train_wall_seconds']:.3f} s"),
        ]
    if "predict" in report:
        p = report["predict"]
        rows += [
            ("predicted lines", p["lines"]),
            ("load model", f"{p['load_seconds']:.3f} s"),
            ("read input", f"{p['read_seconds']:.3f} s"),
            ("predict", f"{p['predict_seconds']:.3f} s"),
            ("write labels", f"{p['write_seconds']:.3f} s"),
            ("load + read + predict + write", f"{p['total_seconds']:.3f} s"),
        ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="training-data", help="folder with train.jsonl and test.jsonl")
    parser.add_argument("--alpha", type=float, help="fit once with this smoothing instead of GridSearchCV")
    parser.add_argument("--max-features", type=int, default=None, help="CountVectorizer max_features (default: none)")
    parser.add_argument("--jobs", type=int, default=None, help="GridSearchCV n_jobs (default: 1 process)")
    parser.add_argument("--save-model", metavar="PATH", help="pickle the fitted pipeline here")
    parser.add_argument("--model", metavar="PATH", help="load this pickled pipeline instead of training")
    parser.add_argument("--predict", metavar="FILE", help="one tweet per line to label")
    parser.add_argument("--predict-out", metavar="FILE", default=os.devnull, help="where to write one label per line")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args()
    if args.alpha is not None and not args.alpha > 0:
        parser.error("--alpha must be positive")
    if args.model and not args.predict:
        parser.error("--model only makes sense with --predict")

    if args.model:
        report = {"tool": "scikit-learn", "model": args.model}
    else:
        report, model = train(args)
        if args.save_model:
            save(model, args.save_model)

    if args.predict:
        if args.model:
            model_path = args.model
            report["predict"] = predict(model_path, args.predict, args.predict_out)
        elif args.save_model:
            report["predict"] = predict(args.save_model, args.predict, args.predict_out)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                model_path = os.path.join(tmp, "pipeline.pkl")
                save(model, model_path)
                del model
                report["predict"] = predict(model_path, args.predict, args.predict_out)

    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
