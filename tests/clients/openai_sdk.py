"""The official `openai` Python SDK against this server's `/v1/audio/speech` (run by
tests/clients.rs, which starts the server).

Usage: python openai_sdk.py BASE_URL API_KEY CHECK
  CHECK: formats | errors | rate_limit
Prints one JSON object of what it saw on stdout; any mismatch is an AssertionError (exit 1).
"""

import base64
import json
import struct
import sys

import openai

BASE, KEY, CHECK = sys.argv[1], sys.argv[2], sys.argv[3]
TEXT = "Hyvää huomenta, maailma!"
# Retries would hide the status (and wait out Retry-After).
client = openai.OpenAI(base_url=BASE + "/v1", api_key=KEY, max_retries=0)

MAGIC = {
    "mp3": lambda b: b[:3] == b"ID3" or (b[0] == 0xFF and b[1] & 0xE0 == 0xE0),
    "opus": lambda b: b[:4] == b"OggS",
    "wav": lambda b: b[:4] == b"RIFF" and b[8:12] == b"WAVE",
    "pcm": lambda b: len(b) % 2 == 0 and b[:4] != b"RIFF",
}


def plain(fmt):
    return client.audio.speech.create(
        model="tts-1", voice="alloy", input=TEXT, response_format=fmt
    ).content


def streamed(fmt):
    with client.audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts", voice="alloy", input=TEXT, response_format=fmt
    ) as response:
        assert response.status_code == 200, response.status_code
        return b"".join(response.iter_bytes(1024))


def sse(fmt):
    """The audio of the deltas, the events' types, and the done event."""
    with client.audio.speech.with_streaming_response.create(
        model="gpt-4o-mini-tts",
        voice="alloy",
        input=TEXT,
        response_format=fmt,
        stream_format="sse",
    ) as response:
        assert response.status_code == 200, response.status_code
        content_type = response.headers["content-type"]
        assert content_type.startswith("text/event-stream"), content_type
        events = [
            json.loads(line[len("data: "):])
            for line in response.iter_lines()
            if line.startswith("data: ")
        ]
    types = [e["type"] for e in events]
    assert types[-1] == "speech.audio.done", types
    assert set(types[:-1]) == {"speech.audio.delta"}, types
    audio = b"".join(base64.b64decode(e["audio"]) for e in events[:-1])
    return audio, len(events) - 1, events[-1]


def true_sizes(wav):
    """A WAV made while it streamed (sizes "to the end") with its true sizes written in, as the
    server stores it and serves it from then on."""
    assert wav[4:8] == b"\xff\xff\xff\xff" and wav[40:44] == b"\xfe\xff\xff\xff", wav[:44]
    return wav[:4] + struct.pack("<I", len(wav) - 8) + wav[8:40] + struct.pack("<I", len(wav) - 44) + wav[44:]


def formats():
    seen = {}
    for fmt, looks_right in MAGIC.items():
        whole = plain(fmt)
        assert len(whole) > 100 and looks_right(whole), (fmt, whole[:16])
        if fmt == "wav":
            whole = true_sizes(whole)
        assert streamed(fmt) == whole, fmt
        audio, deltas, done = sse(fmt)
        assert audio == whole, (fmt, len(audio), len(whole))
        usage = done["usage"]
        assert usage == {
            "input_tokens": len(TEXT),
            "output_tokens": 0,
            "total_tokens": len(TEXT),
        }, usage
        seen[fmt] = {"bytes": len(whole), "deltas": deltas}
    # A fresh text streamed as events while it is being made (not from the cache).
    with client.audio.speech.with_streaming_response.create(
        model="tts-1", voice="nova", input="Uusi lause vasta nyt.", stream_format="sse"
    ) as response:
        assert response.headers["x-cache"] == "miss", dict(response.headers)
        lines = [l for l in response.iter_lines() if l.startswith("data: ")]
        assert json.loads(lines[-1][6:])["type"] == "speech.audio.done"
    for fmt in ["aac", "flac"]:
        seen[fmt] = refused(openai.BadRequestError, response_format=fmt)
    return seen


def refused(kind, **fields):
    """The error the SDK raises for a request with `fields` (over the defaults)."""
    request = {"model": "tts-1", "voice": "alloy", "input": TEXT}
    request.update(fields)
    try:
        client.audio.speech.create(**request)
    except kind as e:
        assert isinstance(e.body, dict), e.body
        return {"status": e.status_code, "param": e.param, "code": e.code, "type": e.type}
    raise AssertionError(f"{fields} was not refused with {kind.__name__}")


def errors():
    return {
        "voice": refused(openai.BadRequestError, voice=" "),
        "input": refused(openai.BadRequestError, input=""),
        "speed": refused(openai.BadRequestError, speed=5.0),
        "stream_format": refused(openai.BadRequestError, stream_format="chunks"),
    }


def rate_limit():
    plain("wav")
    return {"second": refused(openai.RateLimitError, input="Toinen lause.")}


def authentication():
    return {"wrong": refused(openai.AuthenticationError)}


result = {
    "formats": formats,
    "errors": errors,
    "rate_limit": rate_limit,
    "authentication": authentication,
}[CHECK]()
print(json.dumps(result))
