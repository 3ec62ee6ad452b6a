#!/usr/bin/env python3
"""The PyTorch anchor of scripts/gpu-check.sh: transformers' VitsModel on the GPU, as the original
service ran MMS-TTS, on the same model directory and sentences as tts-bench, with tts-bench's
method (one warm-up pass, then the median of --repeats runs per sentence).

Prints one JSON object: per-sentence latency, overall RTF (sum of latencies / sum of audio),
one-at-a-time items/s and peak GPU memory allocated by PyTorch.
"""

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
from transformers import AutoTokenizer, VitsModel


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", type=Path, required=True)
    ap.add_argument("--sentences", type=Path, required=True)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    device = "cuda"
    t0 = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(str(args.model_dir))
    model = VitsModel.from_pretrained(str(args.model_dir)).to(device).eval()
    load_s = time.perf_counter() - t0
    rate = model.config.sampling_rate
    sentences = [s.strip() for s in args.sentences.read_text(encoding="utf-8").splitlines() if s.strip()]

    def synth(text: str) -> int:
        inputs = tokenizer(text, return_tensors="pt").to(device)
        with torch.no_grad():
            samples = model(**inputs).waveform.shape[-1]
        torch.cuda.synchronize()
        return samples

    for s in sentences:  # warm-up pass
        synth(s)
    rows = []
    for i, s in enumerate(sentences):
        lat, secs = [], []
        for _ in range(args.repeats):
            t = time.perf_counter()
            n = synth(s)
            lat.append(time.perf_counter() - t)
            secs.append(n / rate)
        rows.append({"idx": i + 1, "chars": len(s), "latency_median_s": statistics.median(lat),
                     "audio_median_s": statistics.median(secs)})
    sum_lat = sum(r["latency_median_s"] for r in rows)
    sum_audio = sum(r["audio_median_s"] for r in rows)
    out = {
        "engine": f"pytorch {torch.__version__} transformers VitsModel on {torch.cuda.get_device_name()}",
        "load_s": load_s,
        "sum_latency_s": sum_lat,
        "sum_audio_s": sum_audio,
        "overall_rtf": sum_lat / sum_audio,
        "one_at_a_time_items_per_s": len(rows) / sum_lat,
        "peak_gpu_allocated_mb": torch.cuda.max_memory_allocated() / 2**20,
        "rows": rows,
    }
    print(json.dumps(out))
    if args.json:
        args.json.write_text(json.dumps(out))


if __name__ == "__main__":
    main()
