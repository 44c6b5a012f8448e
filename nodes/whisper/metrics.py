"""The node's counters, served as Prometheus text: requests, audio and processing seconds, real-time factor."""

import threading
from collections import defaultdict

PREFIX = "cofi_whisper_node"


class Metrics:
    def __init__(self, capacity: int, model: str):
        self._lock = threading.Lock()
        self.capacity = capacity
        self.model = model
        self.requests: dict[tuple[str, int], int] = defaultdict(int)
        self.audio_seconds: dict[str, float] = defaultdict(float)
        self.processing_seconds: dict[str, float] = defaultdict(float)
        self.last_rtf: dict[str, float] = {}
        self.in_flight = 0
        self.waiting = 0

    def request(self, endpoint: str, status: int) -> None:
        with self._lock:
            self.requests[(endpoint, status)] += 1

    def processed(self, endpoint: str, audio_seconds: float, processing_seconds: float) -> None:
        with self._lock:
            self.audio_seconds[endpoint] += audio_seconds
            self.processing_seconds[endpoint] += processing_seconds
            if audio_seconds > 0:
                self.last_rtf[endpoint] = processing_seconds / audio_seconds

    def gauge(self, name: str, delta: int) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + delta)

    def render(self) -> str:
        with self._lock:
            out: list[str] = []

            def family(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
                out.append(f"# HELP {PREFIX}_{name} {help_text}")
                out.append(f"# TYPE {PREFIX}_{name} {kind}")
                out.extend(f"{PREFIX}_{name}{labels} {value:g}" for labels, value in samples)

            family(
                "requests_total",
                "counter",
                "Requests answered, by endpoint and HTTP status.",
                [(f'{{endpoint="{e}",status="{s}"}}', n) for (e, s), n in sorted(self.requests.items())],
            )
            family(
                "audio_seconds_total",
                "counter",
                "Seconds of audio processed, by endpoint (language detection counts the seconds it read).",
                [(f'{{endpoint="{e}"}}', v) for e, v in sorted(self.audio_seconds.items())],
            )
            family(
                "processing_seconds_total",
                "counter",
                "Seconds spent decoding and running the model (waiting for a slot excluded), by endpoint.",
                [(f'{{endpoint="{e}"}}', v) for e, v in sorted(self.processing_seconds.items())],
            )
            family(
                "real_time_factor",
                "gauge",
                "Processing seconds / audio seconds since start, by endpoint (below 1: faster than real time).",
                [
                    (f'{{endpoint="{e}"}}', self.processing_seconds[e] / a)
                    for e, a in sorted(self.audio_seconds.items())
                    if a > 0
                ],
            )
            family(
                "last_real_time_factor",
                "gauge",
                "Processing seconds / audio seconds of the last request, by endpoint.",
                [(f'{{endpoint="{e}"}}', v) for e, v in sorted(self.last_rtf.items())],
            )
            family("in_flight", "gauge", "Requests running on the model now.", [("", self.in_flight)])
            family("waiting", "gauge", "Requests waiting for a free slot.", [("", self.waiting)])
            family("capacity", "gauge", "Requests the model runs at once.", [("", self.capacity)])
            family("model_info", "gauge", "The model id this node serves.", [(f'{{model="{self.model}"}}', 1)])
            return "\n".join(out) + "\n"
