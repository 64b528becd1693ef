"""Classify a few tweets with a running tweetguide server, from the proto alone.

The Python code for tweetguide.v1 is generated at run time from
proto/tweetguide/v1/tweetguide.proto with grpcio-tools: nothing else of the
Rust project is needed.

    python3 -m venv .venv && .venv/bin/pip install -r requirements.txt
    .venv/bin/python classify.py --addr 127.0.0.1:50051
"""

import argparse
import importlib
import pathlib
import sys
import tempfile

import grpc
from grpc_tools import protoc

PROTO_ROOT = pathlib.Path(__file__).resolve().parents[2] / "proto"

TWEETS = [
    ("fr-1", "Non à la réforme des retraites, tous en grève jeudi ✊"),
    ("fr-2", "Nouveau chez nous : le pain aux figues, 4,20 € la pièce 🥖"),
    ("en-1", "Loved this thread by @maya_ops on pricing for freelancers, worth a read"),
    ("en-2", "We're hiring two junior developers! Apply before Friday, link in bio"),
]


def generate(out_dir: pathlib.Path):
    """Compile the proto into out_dir and import the generated modules."""
    include = pathlib.Path(protoc.__file__).parent / "_proto"
    status = protoc.main([
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        str(PROTO_ROOT / "tweetguide" / "v1" / "tweetguide.proto"),
    ])
    if status != 0:
        sys.exit(f"protoc failed with status {status}")
    sys.path.insert(0, str(out_dir))
    messages = importlib.import_module("tweetguide.v1.tweetguide_pb2")
    services = importlib.import_module("tweetguide.v1.tweetguide_pb2_grpc")
    return messages, services


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addr", default="127.0.0.1:50051", help="host:port of the server")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        pb, pb_grpc = generate(pathlib.Path(tmp))
        with grpc.insecure_channel(args.addr) as channel:
            stub = pb_grpc.ClassifierStub(channel)
            request = pb.ClassifyRequest(tweets=[pb.Tweet(id=i, text=t) for i, t in TWEETS])
            response = stub.Classify(request, timeout=10)
            print(f"model {response.model_version}")
            for prediction in response.predictions:
                label = pb.Category.Name(prediction.label)
                p = prediction.probabilities
                features = ", ".join(f.feature for f in prediction.top_features)
                print(f"{prediction.id:5} {label:15} self_promotion={p.self_promotion:.3f} "
                      f"sharing={p.sharing:.3f} political={p.political:.3f} [{features}]")

            # Errors carry INVALID_ARGUMENT and name the offending field.
            try:
                stub.Classify(pb.ClassifyRequest(tweets=[pb.Tweet(id="empty", text="")]), timeout=10)
            except grpc.RpcError as error:
                print(f"empty text -> {error.code().name}: {error.details()}")
            else:
                sys.exit("an empty text should have been refused")

            if len(response.predictions) != len(TWEETS):
                sys.exit("wrong number of predictions")
            expected = ["POLITICAL", "SELF_PROMOTION", "SHARING", "SELF_PROMOTION"]
            got = [pb.Category.Name(p.label) for p in response.predictions]
            if got != expected:
                sys.exit(f"unexpected labels {got}, expected {expected}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
