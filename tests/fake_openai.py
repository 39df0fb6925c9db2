"""A fake OpenAI-compatible server on 127.0.0.1 for driving the real ``langchain-openai`` client.

Real HTTP (``/v1/chat/completions``, JSON or server-sent events when ``stream`` is set), with
scripted replies taken in order: a good answer, uncited claims, wrong citation numbers, a
refusal, a slow reply (client timeout), an HTTP error, a malformed body.  Every request body
is recorded so tests can inspect the prompt the client sent.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted response."""

    text: str = ""
    delay: float = 0.0  # seconds before answering (a slow endpoint)
    status: int = 200
    malformed: bool = False  # a body that is not a valid completion
    pace: float = 0.0  # seconds between streamed words (a model generating)


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
            "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(body)}\n\n".encode()


class FakeOpenAI:
    """``with FakeOpenAI([Reply(...), ...]) as srv: srv.base_url`` — replies are used in order,
    then ``default`` for any further request."""

    def __init__(self, replies: list[Reply] | None = None, default: Reply | None = None) -> None:
        self.replies = list(replies or [])
        self.default = default or Reply(status=500, text="no scripted reply left")
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _next(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(body)
            return self.replies.pop(0) if self.replies else self.default

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep pytest output clean
                pass

            def _send(self, status: int, data: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._send(404, b'{"error": {"message": "not found"}}', "application/json")
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                reply = fake._next(body)
                try:
                    time.sleep(reply.delay)
                    self._answer(body, reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): nothing to do

            def _answer(self, body: dict[str, Any], reply: Reply) -> None:
                model = body.get("model", "fake")
                if reply.status != 200:
                    err = {"error": {"message": reply.text or "server error", "type": "fake"}}
                    self._send(reply.status, json.dumps(err).encode(), "application/json")
                    return
                if reply.malformed:
                    data = b"data: {not json\n\n" if body.get("stream") else b"{not json"
                    ctype = "text/event-stream" if body.get("stream") else "application/json"
                    self._send(200, data, ctype)
                    return
                if not body.get("stream"):
                    out = {"id": "chatcmpl-fake", "object": "chat.completion", "created": 0,
                           "model": model,
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": reply.text}}],
                           "usage": {"prompt_tokens": 1, "completion_tokens": 1,
                                     "total_tokens": 2}}
                    self._send(200, json.dumps(out).encode(), "application/json")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                self.wfile.write(_chunk(model, {"role": "assistant", "content": ""}))
                for piece in re.findall(r"\S+\s*|\s+", reply.text):  # word by word
                    self.wfile.write(_chunk(model, {"content": piece}))
                    self.wfile.flush()
                    time.sleep(reply.pace)
                self.wfile.write(_chunk(model, {}, "stop"))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return Handler
