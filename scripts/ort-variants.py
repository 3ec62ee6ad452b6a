#!/usr/bin/env python3
"""Real-time factor of the MMS/VITS ONNX model under ONNX Runtime variants.

Not a test: the evidence behind issue 4's RTF figure. Every variant runs the
same graph (layout a) on the same sentences, so the figures compare only
runtime settings:

  base       ONNX Runtime defaults (what scripts/bench-tts.sh compares against)
  daz        denormals flushed to zero
  parallel   parallel executor, 2 inter-op threads, 1 intra-op thread
  nospin     intra-op threads do not spin
  dbb4       session.dynamic_block_base = 4
  affinity   intra-op thread pinned to the second core
  conv2d     every Conv1d/ConvTranspose1d rewritten as 2-D (lets ORT use its
             NCHWc kernels); needs the `onnx` package
  openvino   the OpenVINO execution provider (FP32); needs the
             `onnxruntime-openvino` wheel instead of `onnxruntime`

Usage (the venv of scripts/bench-tts.sh has onnxruntime + transformers):
  .cache/bench-venv/bin/pip install onnx
  .cache/bench-venv/bin/python scripts/ort-variants.py base daz nospin dbb4 conv2d
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from transformers import AutoTokenizer

CONFIG = {
    "daz": {"session.set_denormal_as_zero": "1"},
    "nospin": {"session.intra_op.allow_spinning": "0"},
    "dbb4": {"session.dynamic_block_base": "4"},
    "affinity": {"session.intra_op_thread_affinities": "2"},
}


def conv2d_copy(src: Path, dst: Path) -> None:
    """The model with each 1-D convolution run as a 2-D one of height 1."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    weights = {w.name: w for w in graph.initializer}
    axis = "conv2d_axis_2"
    graph.initializer.append(numpy_helper.from_array(np.array([2], dtype=np.int64), axis))
    nodes = []
    for node in graph.node:
        w = weights.get(node.input[1]) if len(node.input) > 1 else None
        if node.op_type not in ("Conv", "ConvTranspose") or w is None or len(w.dims) != 3:
            nodes.append(node)
            continue
        w.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(w)[:, :, None, :], w.name))
        x, y = node.input[0], node.output[0]
        nodes.append(helper.make_node("Unsqueeze", [x, axis], [f"{x}__4d_{node.name}"]))
        node.input[0], node.output[0] = f"{x}__4d_{node.name}", f"{y}__4d"
        for a in node.attribute:
            ints = list(a.ints)
            if a.name in ("kernel_shape", "strides", "dilations", "output_padding"):
                del a.ints[:]
                a.ints.extend([1 if a.name != "output_padding" else 0] + ints)
            elif a.name == "pads":
                del a.ints[:]
                a.ints.extend([0, ints[0], 0, ints[1]])
        nodes.append(node)
        nodes.append(helper.make_node("Squeeze", [f"{y}__4d", axis], [y]))
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.save(model, str(dst))


def session(variant: str, model: Path, scratch: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    for key, value in CONFIG.get(variant, {}).items():
        options.add_session_config_entry(key, value)
    providers = ["CPUExecutionProvider"]
    if variant == "parallel":
        options.execution_mode = ort.ExecutionMode.ORT_PARALLEL
        options.inter_op_num_threads = 2
        options.intra_op_num_threads = 1
    elif variant == "conv2d":
        rewritten = scratch / "model-conv2d.onnx"
        conv2d_copy(model, rewritten)
        model = rewritten
    elif variant == "openvino":
        providers = [("OpenVINOExecutionProvider", {"device_type": "CPU"}), "CPUExecutionProvider"]
    elif variant not in ("base", *CONFIG):
        raise SystemExit(f"unknown variant {variant!r}")
    return ort.InferenceSession(str(model), options, providers=providers)


def main() -> None:
    fixtures = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="+")
    parser.add_argument("--model-dir", type=Path, default=fixtures / "models" / "mms-fin-random-full")
    parser.add_argument("--sentences", type=Path, default=fixtures / "sentences-fi.txt")
    parser.add_argument("--repeats", type=int, default=2, help="timed passes after one warm-up pass")
    args = parser.parse_args()

    tokenizer = AutoTokenizer.from_pretrained(str(args.model_dir))
    rate = json.loads((args.model_dir / "config.json").read_text())["sampling_rate"]
    lines = args.sentences.read_text(encoding="utf-8").splitlines()
    inputs = [tokenizer(s.strip(), return_tensors="np") for s in lines if s.strip()]
    with tempfile.TemporaryDirectory() as scratch:
        sessions = {v: session(v, args.model_dir / "onnx" / "model.onnx", Path(scratch)) for v in args.variants}
        totals = {v: [0.0, 0.0] for v in sessions}
        # Variants interleaved per pass, so a noisy moment hits them all alike.
        for rep in range(args.repeats + 1):
            for variant, sess in sessions.items():
                for enc in inputs:
                    feed = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}
                    t = time.perf_counter()
                    wave = sess.run(["waveform"], feed)[0]
                    if rep > 0:
                        totals[variant][0] += time.perf_counter() - t
                        totals[variant][1] += wave.shape[-1] / rate
    base = totals.get("base")
    for variant, (seconds, audio) in totals.items():
        rtf = seconds / audio
        ratio = f"  {rtf / (base[0] / base[1]):.3f}x base" if base else ""
        print(f"{variant:10s} RTF {rtf:.4f}{ratio}   (onnxruntime {ort.__version__})")


if __name__ == "__main__":
    main()
