"""cofi's CPU Whisper node: OpenAI's /v1/audio/transcriptions and whisper-asr-webservice's /detect-language
over faster-whisper, with the standard library's HTTP server (faster-whisper and the weights are the only
dependencies). Configured from the environment; see ops/whisper.sh."""

import collections
import json
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model is a local directory: never ask a hub

from faster_whisper import WhisperModel  # noqa: E402
from faster_whisper.audio import decode_audio  # noqa: E402
from faster_whisper.vad import get_speech_timestamps  # noqa: E402

import multipart  # noqa: E402
from languages import code_of, name_of  # noqa: E402
from metrics import Metrics  # noqa: E402

SAMPLE_RATE = 16000
LID_SECONDS = 30
MODEL_ID = os.environ.get("CPU_NODE_MODEL", "whisper-base")
# OpenAI clients (and cofi's default node config) send `whisper-1`: accepted as another name of this model.
ALIASES = {MODEL_ID, "whisper-1"}
THREADS = int(os.environ.get("CPU_NODE_THREADS") or os.cpu_count() or 1)
CAPACITY = max(1, int(os.environ.get("CPU_NODE_CAPACITY") or 1))
MAX_BYTES = int(float(os.environ.get("CPU_NODE_MAX_MB") or 200) * 1024 * 1024)
FORMATS = ("json", "text", "verbose_json")
ROUTES = {
    "/v1/models": "GET",
    "/health": "GET",
    "/metrics": "GET",
    "/v1/audio/transcriptions": "POST",
    "/detect-language": "POST",
}
# The `endpoint` label of the metrics.
ENDPOINTS = {
    "/v1/models": "models",
    "/health": "health",
    "/metrics": "metrics",
    "/v1/audio/transcriptions": "transcriptions",
    "/detect-language": "detect-language",
}


class ApiError(Exception):
    """An answer in OpenAI's error shape."""

    def __init__(self, status: int, message: str, type_: str, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.status, self.type, self.param, self.code = status, type_, param, code

    def body(self) -> dict:
        return {"error": {"message": str(self), "type": self.type, "param": self.param, "code": self.code}}


def too_large() -> ApiError:
    return invalid(f"the request is larger than {MAX_BYTES // 1048576} MiB", "file", "file_too_large", status=413)


def invalid(message: str, param: str | None = None, code: str | None = None, status: int = 400) -> ApiError:
    return ApiError(status, message, "invalid_request_error", param, code)


class Slots:
    """At most `capacity` holders at once; the others wait and are let in in the order they came."""

    def __init__(self, capacity: int):
        self._free = capacity
        self._queue: collections.deque[object] = collections.deque()
        self._cond = threading.Condition()

    def __enter__(self):
        ticket = object()
        with self._cond:
            self._queue.append(ticket)
            metrics.gauge("waiting", 1)
            while self._queue[0] is not ticket or self._free == 0:
                self._cond.wait()
            self._queue.popleft()
            self._free -= 1
            metrics.gauge("waiting", -1)
            metrics.gauge("in_flight", 1)
            self._cond.notify_all()

    def __exit__(self, *exc):
        with self._cond:
            self._free += 1
            metrics.gauge("in_flight", -1)
            self._cond.notify_all()


metrics = Metrics(CAPACITY, MODEL_ID)
slots = Slots(CAPACITY)
model: WhisperModel | None = None


def load_model(model_dir: str) -> WhisperModel:
    return WhisperModel(
        model_dir,
        device="cpu",
        compute_type="int8",
        cpu_threads=THREADS,
        num_workers=CAPACITY,
        local_files_only=True,
    )


def decode(data: bytes):
    """16 kHz mono float32 samples; anything ffmpeg's libraries cannot read is the client's fault (400)."""
    with tempfile.NamedTemporaryFile(prefix="cofi-whisper-", suffix=".audio") as f:
        f.write(data)
        f.flush()
        try:
            audio = decode_audio(f.name, sampling_rate=SAMPLE_RATE)
        except Exception as err:  # av raises many kinds (InvalidDataError, ValueError, ...)
            raise invalid(f"the file is not audio that can be decoded: {err}", "file", "invalid_audio") from err
    if audio.shape[0] == 0:
        raise invalid("the file holds no audio samples", "file", "invalid_audio")
    return audio


def field(parts: dict, name: str) -> str | None:
    part = parts.get(name)
    return part.data.decode("utf-8", "replace").strip() if part is not None else None


def audio_part(parts: dict, name: str):
    part = parts.get(name)
    if part is None or (part.filename is None and not part.data):
        raise invalid(f"the multipart field '{name}' (the audio file) is missing", name, "missing_file")
    if not part.data:
        raise invalid(f"the file in '{name}' is empty", name, "invalid_audio")
    return part


def transcribe(parts: dict) -> tuple[int, str, bytes, dict]:
    requested = field(parts, "model")
    if requested and requested not in ALIASES:
        message = f"The model '{requested}' does not exist; this node serves '{MODEL_ID}'"
        raise invalid(message, "model", "model_not_found", status=404)
    response_format = field(parts, "response_format") or "json"
    if response_format not in FORMATS:
        message = f"response_format '{response_format}' is not supported: use one of {', '.join(FORMATS)}"
        raise invalid(message, "response_format", "unsupported_response_format")
    language = None
    if lang := field(parts, "language"):
        language = code_of(lang)
        if language is None:
            message = f"unknown language '{lang}' (an ISO-639-1 code such as 'en')"
            raise invalid(message, "language", "unsupported_language")
    temperature: float | tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    if (t := field(parts, "temperature")) not in (None, ""):
        try:
            value = float(t)
        except ValueError:
            raise invalid(f"temperature '{t}' is not a number", "temperature") from None
        if not 0 <= value <= 1:
            raise invalid("temperature must be between 0 and 1", "temperature")
        # As OpenAI documents it: 0 lets Whisper raise the temperature when decoding fails its thresholds.
        if value > 0:
            temperature = value
    part = audio_part(parts, "file")
    with slots:
        began = time.monotonic()
        audio = decode(part.data)
        segments, info = model.transcribe(
            audio, language=language, temperature=temperature, vad_filter=True, beam_size=5
        )
        segments = list(segments)  # the generator does the work
        elapsed = time.monotonic() - began
    metrics.processed("transcriptions", info.duration, elapsed)
    text = "".join(s.text for s in segments).strip()
    stats = {"audio": info.duration, "took": elapsed, "lang": info.language}
    if response_format == "text":
        return 200, "text/plain; charset=utf-8", (text + "\n").encode(), stats
    if response_format == "json":
        return 200, "application/json", json.dumps({"text": text}).encode(), stats
    body = {
        "task": "transcribe",
        "language": name_of(info.language),
        "duration": round(info.duration, 3),
        "text": text,
        "segments": [
            {
                "id": i,
                "seek": s.seek,
                "start": round(s.start, 2),
                "end": round(s.end, 2),
                "text": s.text,
                "tokens": s.tokens,
                "temperature": s.temperature,
                "avg_logprob": s.avg_logprob,
                "compression_ratio": s.compression_ratio,
                "no_speech_prob": s.no_speech_prob,
            }
            for i, s in enumerate(segments)
        ],
        # Not in OpenAI's shape: Whisper's probability of the language it chose (1 when the client named it).
        "language_probability": round(info.language_probability, 4),
    }
    return 200, "application/json", json.dumps(body, ensure_ascii=False).encode(), stats


def detect_language(parts: dict) -> tuple[int, str, bytes, dict]:
    part = audio_part(parts, "audio_file")
    with slots:
        began = time.monotonic()
        audio = decode(part.data)[: LID_SECONDS * SAMPLE_RATE]
        # The voice detector first: on speech alone the language is a finding; with nobody speaking it is
        # Whisper's guess on silence, answered with `speech: false` (not in whisper-asr-webservice's shape).
        speech = len(get_speech_timestamps(audio)) > 0
        code, probability, _ = model.detect_language(audio, vad_filter=speech)
        elapsed = time.monotonic() - began
    seconds = audio.shape[0] / SAMPLE_RATE
    metrics.processed("detect-language", seconds, elapsed)
    body = {
        "detected_language": name_of(code),
        "language_code": code,
        "confidence": round(probability, 4),
        "speech": speech,
    }
    return 200, "application/json", json.dumps(body).encode(), {"audio": seconds, "took": elapsed, "lang": code}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cofi-whisper-node"

    def log_message(self, format, *args):  # one line per request is written by answer()
        pass

    def do_GET(self):
        self.handle_request("GET")

    def do_POST(self):
        self.handle_request("POST")

    def do_PUT(self):
        self.handle_request("PUT")

    def do_DELETE(self):
        self.handle_request("DELETE")

    def do_PATCH(self):
        self.handle_request("PATCH")

    def handle_request(self, method: str) -> None:
        began = time.monotonic()
        self.body_read = False
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        endpoint = ENDPOINTS.get(path, "other")
        stats: dict = {}
        try:
            if path not in ROUTES:
                raise invalid(f"no route {method} {path}", None, "not_found", status=404)
            if ROUTES[path] != method:
                message = f"{path} answers {ROUTES[path]} only, not {method}"
                raise invalid(message, None, "method_not_allowed", status=405)
            if method == "GET":
                status, ctype, payload = self.read_route(path)
            else:
                parts = self.read_form()
                status, ctype, payload, stats = (transcribe if endpoint == "transcriptions" else detect_language)(parts)
        except ApiError as err:
            status, ctype, payload = err.status, "application/json", json.dumps(err.body()).encode()
        except Exception as err:  # a bug or a model failure: the client may retry
            print(f"error: {method} {path}: {err!r}", file=sys.stderr, flush=True)
            body = ApiError(500, f"the node failed: {err}", "server_error", None, "internal_error").body()
            status, ctype, payload = 500, "application/json", json.dumps(body).encode()
        if method != "GET" and not self.body_read and self.headers.get("content-length", "0") != "0":
            self.close_connection = True  # an unread body would be taken for the next request
        self.answer(status, ctype, payload, ROUTES.get(path))
        metrics.request(endpoint, status)
        if method == "POST" or status >= 400:
            took = time.monotonic() - began
            line = f"{method} {path} {status} {took:.2f}s"
            if stats:
                rtf = stats["took"] / stats["audio"] if stats["audio"] else 0
                line += f" audio={stats['audio']:.2f}s model={stats['took']:.2f}s rtf={rtf:.3f} lang={stats['lang']}"
            print(line, file=sys.stderr, flush=True)

    def read_route(self, path: str) -> tuple[int, str, bytes]:
        if path == "/metrics":
            return 200, "text/plain; version=0.0.4; charset=utf-8", metrics.render().encode()
        if path == "/health":
            body = {"status": "ok", "model": MODEL_ID, "capacity": CAPACITY, "threads": THREADS}
        else:
            body = {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "cofi"}]}
        return 200, "application/json", json.dumps(body).encode()

    def read_form(self) -> dict:
        length = self.headers.get("content-length")
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            body = self.read_chunked()
        else:
            if length is None or not length.isdigit():
                raise invalid("a Content-Length is required", None, None, status=411)
            if int(length) > MAX_BYTES:
                self.close_connection = True  # the body is left unread
                raise too_large()
            body = self.rfile.read(int(length))
        self.body_read = True
        try:
            return multipart.parse(body, self.headers.get("content-type", ""))
        except multipart.MultipartError as err:
            raise invalid(str(err)) from err

    def read_chunked(self) -> bytes:
        chunks, total = [], 0
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BYTES:
                self.close_connection = True
                raise too_large()
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def answer(self, status: int, ctype: str, payload: bytes, allow: str | None) -> None:
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(payload)))
        if status == 405 and allow:
            self.send_header("allow", allow)
        if self.close_connection:
            self.send_header("connection", "close")
        self.end_headers()
        self.wfile.write(payload)


def main() -> None:
    global model
    model_dir = os.environ.get("CPU_NODE_MODEL_DIR") or (sys.argv[1] if len(sys.argv) > 1 else "")
    if not model_dir or not os.path.isfile(os.path.join(model_dir, "model.bin")):
        sys.exit(f"error: no model.bin in '{model_dir}' (set CPU_NODE_MODEL_DIR; ops/whisper.sh model-dir prints it)")
    began = time.monotonic()
    model = load_model(model_dir)
    host = os.environ.get("CPU_NODE_HOST", "127.0.0.1")
    port = int(os.environ.get("CPU_NODE_PORT", "9201"))
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    print(
        f"cofi whisper node: model {MODEL_ID} from {model_dir} loaded in {time.monotonic() - began:.1f}s; "
        f"{THREADS} threads, capacity {CAPACITY}; listening on {host}:{port}",
        file=sys.stderr,
        flush=True,
    )
    server.serve_forever()


if __name__ == "__main__":
    main()
