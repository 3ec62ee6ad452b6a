"""Intelligibility round trip and benchmark of the Piper engine (run by scripts/bench-piper.sh).

Reads the Rust engine's WAVs and timings (rust.jsonl in OUT_DIR), synthesises the same sentences
with piper-tts (Python, same voice, same machine, same run), transcribes both sets with
PocketSphinx's bundled US English model (offline, shipped in the PyPI wheel) and prints the word
error rate of each round trip and the latency / real-time factor per sentence.

    python scripts/piper_roundtrip.py OUT_DIR VOICE_DIR/en_US-joe-medium.onnx
"""

import json
import re
import sys
import time
import wave
from pathlib import Path

import numpy as np
from piper import PiperVoice
from pocketsphinx import Decoder

out = Path(sys.argv[1])
model = sys.argv[2]
rust = [json.loads(l) for l in (out / "rust.jsonl").read_text().splitlines() if l.startswith("{")]
rows = [r for r in rust if "index" in r]
texts = [r["text"] for r in rows]


def read_wav(path):
    with wave.open(str(path)) as w:
        rate = w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float64)
    return data, rate


def to_16k(samples, rate):
    """Band-limited resampling by FFT (no scipy/ffmpeg needed)."""
    n = int(round(len(samples) * 16000 / rate))
    spectrum = np.fft.rfft(samples)
    resampled = np.fft.irfft(spectrum[: n // 2 + 1], n) * (n / len(samples))
    return np.clip(resampled, -32768, 32767).astype(np.int16)


decoder = Decoder(samprate=16000)


def transcribe(path):
    samples, rate = read_wav(path)
    pcm = to_16k(samples, rate).tobytes()
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return hyp.hypstr if hyp else ""


def words(text):
    return re.sub(r"[^a-z' ]", " ", text.lower()).split()


def edit_distance(ref, hyp):
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
    return d[len(hyp)]


# piper-tts in the same run.
started = time.perf_counter()
voice = PiperVoice.load(model)
py_load = time.perf_counter() - started
py_dir = out / "py"
py_dir.mkdir(exist_ok=True)
with wave.open(str(py_dir / "warmup.wav"), "wb") as w:
    voice.synthesize_wav("Warm up.", w)
py_rows = []
for i, text in enumerate(texts):
    path = py_dir / f"{i:02}.wav"
    started = time.perf_counter()
    with wave.open(str(path), "wb") as w:
        voice.synthesize_wav(text, w)
    latency = time.perf_counter() - started
    samples, rate = read_wav(path)
    py_rows.append({"latency_s": latency, "audio_s": len(samples) / rate})

report = {"rust_load_s": next((r["load_s"] for r in rust if "load_s" in r), None), "py_load_s": py_load}
totals = {"rust": [0, 0], "py": [0, 0]}
print(f"{'#':>2} {'rust ms':>8} {'rtf':>6} {'py ms':>8} {'rtf':>6}  text / rust ASR / piper-tts ASR")
for i, (text, r, p) in enumerate(zip(texts, rows, py_rows)):
    ref = words(text)
    hyp_rust = transcribe(out / f"{i:02}.wav")
    hyp_py = transcribe(py_dir / f"{i:02}.wav")
    for key, hyp in (("rust", hyp_rust), ("py", hyp_py)):
        totals[key][0] += edit_distance(ref, words(hyp))
        totals[key][1] += len(ref)
    print(
        f"{i:>2} {r['latency_s'] * 1000:>8.0f} {r['rtf']:>6.3f} {p['latency_s'] * 1000:>8.0f} "
        f"{p['latency_s'] / p['audio_s']:>6.3f}  {text}\n{'':>34}rust: {hyp_rust}\n{'':>34}py:   {hyp_py}"
    )
for key in totals:
    report[f"wer_{key}"] = round(totals[key][0] / totals[key][1], 4)
report["rust_mean_latency_ms"] = round(1000 * sum(r["latency_s"] for r in rows) / len(rows), 1)
report["py_mean_latency_ms"] = round(1000 * sum(p["latency_s"] for p in py_rows) / len(py_rows), 1)
report["rust_rtf"] = round(sum(r["latency_s"] for r in rows) / sum(r["audio_s"] for r in rows), 4)
report["py_rtf"] = round(sum(p["latency_s"] for p in py_rows) / sum(p["audio_s"] for p in py_rows), 4)
print(json.dumps(report))
