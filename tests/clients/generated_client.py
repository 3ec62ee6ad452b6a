"""Generates a Python client from this server's /openapi.json with `openapi-python-client` and
speaks through it (run by tests/clients.rs, which starts the server).

Usage: python generated_client.py BASE_URL OUT_DIR
Prints one JSON object: the status and first bytes of `POST /v1/audio/speech` made through the
generated client, and which audio operations the generator kept.
"""

import importlib
import json
import os
import pathlib
import subprocess
import sys

BASE, OUT = sys.argv[1], pathlib.Path(sys.argv[2])
bin_dir = pathlib.Path(sys.executable).parent
env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
generated = subprocess.run(
    [
        str(bin_dir / "openapi-python-client"),
        "generate",
        "--url",
        BASE + "/openapi.json",
        "--output-path",
        str(OUT / "speech_client"),
        "--meta",
        "none",
    ],
    env=env,
    capture_output=True,
    text=True,
)
assert generated.returncode == 0, generated.stdout + generated.stderr
# The generator warns about each operation it drops; none that returns audio may be dropped.
warnings = generated.stdout + generated.stderr

sys.path.insert(0, str(OUT))
package = importlib.import_module("speech_client")
api_dir = pathlib.Path(package.__file__).parent / "api"
operations = sorted(p.stem for p in api_dir.glob("*/*.py") if p.stem != "__init__")
audio_operations = [
    name
    for name in ["openai_speech", "synthesize_speech", "get_item_audio", "legacy_download"]
    if name in operations
]

speech = importlib.import_module("speech_client.api.speech.openai_speech")
models = importlib.import_module("speech_client.models")
client_module = importlib.import_module("speech_client.client")
body = models.OpenAiSpeechRequest.from_dict(
    {"model": "tts-1", "input": "Hei maailma!", "voice": "alloy", "response_format": "wav"}
)
with client_module.Client(base_url=BASE) as client:
    response = speech.sync_detailed(client=client, body=body)

print(
    json.dumps(
        {
            "status": int(response.status_code),
            "magic": response.content[:4].decode("latin-1"),
            "bytes": len(response.content),
            "parsed": type(response.parsed).__name__,
            "audio_operations": audio_operations,
            "operations": operations,
            "dropped": [line for line in warnings.splitlines() if "Unsupported content_type" in line],
        }
    )
)
