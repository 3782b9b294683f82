"""A loopback fake LLM server speaking the OpenAI and Anthropic HTTP APIs, for tests and benchmarks.

Why a real HTTP server and not a mocked SDK: the engine must be tested through the real
`openai` / `anthropic` clients (retries, streaming, error mapping, headers), and the language
server runs as a subprocess that can only reach a model over the network. This server is small,
stdlib-only and thread-based (`ThreadingHTTPServer`), so concurrent requests are served in
parallel: a benchmark with `delay_s = 1.5` and three concurrent agents takes ~1.5 s per round,
not 4.5 s.

Endpoints:
- `POST /v1/chat/completions` (OpenAI; plain JSON, or SSE with `stream: true`; usage included,
  also in the last stream chunk),
- `GET /v1/models` (OpenAI model list),
- `POST /v1/messages` (Anthropic Messages; plain or streamed events).

Use it from pytest through the `fake_llm` fixture (tests/conftest.py), or anywhere else as a
context manager:

    with FakeLLM(default="```cpp\\nint f() { return 1; }\\n```") as fake:
        fake.script("gpt-4o", "hello")                       # reply by model name
        fake.script_fn(lambda req: f"call {req.index}")      # or by a function of the request
        fake.fail_next(2, "rate_limit", retry_after=0.1)     # fault injection for the next N calls
        fake.delay_s = 1.5                                   # added to every call, concurrently
        client = openai.OpenAI(base_url=fake.base_url, api_key="x")
        ...
        fake.requests                                        # every request, recorded

Token usage is deterministic: input tokens = words in the prompt, output tokens = words in the
reply (at least 1 each), so tests can assert sums.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FakeError", "FakeLLM", "FakeRequest", "Reply"]

#: Fault kinds accepted by `FakeLLM.fail_next`.
FAULTS = ("rate_limit", "server_error", "malformed", "drop", "status")


@dataclass
class FakeRequest:
    """One request as the server saw it. `prompt` is every message's text joined by newlines
    (the system prompt first for Anthropic); `index` counts model calls from 0 (faulted calls
    included, /v1/models excluded)."""

    provider: str  # "openai" | "anthropic" | "models"
    path: str
    model: str
    messages: list[dict[str, Any]]
    prompt: str
    body: dict[str, Any]
    headers: dict[str, str]
    stream: bool
    index: int
    fault: str | None = None

    @property
    def api_key(self) -> str | None:
        """The key the client sent (Bearer token or x-api-key), for auth assertions."""
        auth = self.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:]
        return self.headers.get("x-api-key")


class FakeError(Exception):
    """Raise from a reply function to answer with an HTTP error, e.g.
    `FakeError(400, "maximum context length exceeded", code="context_length_exceeded")`."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.retry_after = status, message, code, retry_after


Reply = str | Callable[[FakeRequest], str]


@dataclass
class _Fault:
    kind: str
    remaining: int
    status: int = 500
    retry_after: float | None = None
    message: str = "injected fault"


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[FakeRequest] = field(default_factory=list)
    by_model: dict[str, Reply] = field(default_factory=dict)
    fn: Callable[[FakeRequest], str] | None = None
    faults: list[_Fault] = field(default_factory=list)
    calls: int = 0
    in_flight: int = 0
    max_in_flight: int = 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # keep-alive connections must not block shutdown

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) makes our write fail: that is expected.
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError):
            return
        super().handle_error(request, client_address)


class FakeLLM:
    """The fake server. Start with `start()` or `with FakeLLM() as fake:`; stop with `stop()`.

    Attributes tests may set at any time (read per request, thread-safe enough for tests):
    `default` (reply when nothing else matches), `delay_s` (sleep added to every model call,
    served concurrently), `api_key` (when set, a request without this key gets 401),
    `models` (when set, an unknown model gets 404 `model_not_found`).
    """

    def __init__(self, default: str = "OK", *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.default = default
        self.delay_s = 0.0
        self.api_key: str | None = None
        self.models: set[str] | None = None
        self._host, self._port = host, port
        self._state = _State()
        self._server: ThreadingHTTPServer | None = None
        self._bound_port: int | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeLLM:
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        server = _Server((self._host, self._port), handler)
        self._server = server
        self._bound_port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        """The bound port; still answers after `stop()`, so a test can aim at a dead port."""
        assert self._bound_port is not None, "FakeLLM was never started"
        return self._bound_port

    @property
    def url(self) -> str:
        """`http://127.0.0.1:PORT` (Anthropic-style base URL: the SDK appends /v1/messages)."""
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """OpenAI-style base URL, `http://127.0.0.1:PORT/v1`."""
        return f"{self.url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.url

    # ------------------------------------------------------------------ scripting

    def script(self, model: str, reply: Reply) -> None:
        """Reply to requests for `model` with a fixed text or a function of the request."""
        with self._state.lock:
            self._state.by_model[model] = reply

    def script_fn(self, fn: Callable[[FakeRequest], str] | None) -> None:
        """Reply to every request whose model has no script with `fn(request)`."""
        with self._state.lock:
            self._state.fn = fn

    def fail_next(
        self,
        n: int,
        kind: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        message: str = "injected fault",
    ) -> None:
        """Make the next `n` model calls fail. Kinds: `rate_limit` (429, with Retry-After when
        given), `server_error` (500), `malformed` (200 with a body that is not JSON), `drop`
        (close the connection without answering), `status` (any `status` with `message`).
        Faults queue up in order."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {FAULTS}")
        code = {"rate_limit": 429, "server_error": 500}.get(kind, status or 500)
        with self._state.lock:
            self._state.faults.append(_Fault(kind, n, code, retry_after, message))

    def clear(self) -> None:
        """Forget recorded requests, scripts and pending faults."""
        with self._state.lock:
            self._state.requests.clear()
            self._state.by_model.clear()
            self._state.fn = None
            self._state.faults.clear()
            self._state.calls = 0
            self._state.max_in_flight = 0

    # ------------------------------------------------------------------ inspection

    @property
    def requests(self) -> list[FakeRequest]:
        """A copy of every model request so far (faulted ones included, /v1/models not)."""
        with self._state.lock:
            return list(self._state.requests)

    @property
    def max_in_flight(self) -> int:
        """The most model calls that were being served at the same moment."""
        return self._state.max_in_flight

    # ------------------------------------------------------------------ internals

    def _admit(self, req: FakeRequest) -> _Fault | None:
        """Number and record the request and pop the fault it should get, if any."""
        with self._state.lock:
            req.index = self._state.calls
            self._state.calls += 1
            fault: _Fault | None = None
            if self._state.faults:
                fault = self._state.faults[0]
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._state.faults.pop(0)
                req.fault = fault.kind
            self._state.requests.append(req)
            return fault

    def _reply_for(self, req: FakeRequest) -> str:
        with self._state.lock:
            scripted = self._state.by_model.get(req.model)
            fn = self._state.fn
        if scripted is None:
            scripted = fn if fn is not None else self.default
        return scripted(req) if callable(scripted) else scripted

    def _track(self, delta: int) -> None:
        with self._state.lock:
            self._state.in_flight += delta
            self._state.max_in_flight = max(self._state.max_in_flight, self._state.in_flight)


def _words(text: str) -> int:
    return max(1, len(text.split()))


def _text_of(content: Any) -> str:
    """Message content as text: a string, or the text parts of a content-part list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


class _Handler(BaseHTTPRequestHandler):
    fake: FakeLLM
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do; every reply sets a length

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read `fake.requests`; stderr noise helps nobody

    # ------------------------------------------------------------------ routing

    def do_GET(self) -> None:
        if self.path.split("?")[0].rstrip("/") in ("/v1/models", "/models"):
            key = self.headers.get("x-api-key")
            auth = self.headers.get("authorization", "")
            if auth.lower().startswith("bearer "):
                key = auth[7:]
            if self.fake.api_key is not None and key != self.fake.api_key:
                self._json(401, {"error": {"message": "invalid api key", "type": "auth"}})
                return
            names = sorted(self.fake.models or {"fake-model", *self.fake._state.by_model})
            data = [{"id": n, "object": "model", "created": 0, "owned_by": "fake"} for n in names]
            self._json(200, {"object": "list", "data": data})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._json(400, {"error": {"message": "request body is not JSON"}})
            return
        path = self.path.split("?")[0].rstrip("/")
        if path.endswith("/chat/completions"):
            provider = "openai"
        elif path.endswith("/messages"):
            provider = "anthropic"
        else:
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        messages = list(body.get("messages") or [])
        texts = [_text_of(m.get("content")) for m in messages]
        if provider == "anthropic" and body.get("system"):
            texts.insert(0, _text_of(body["system"]))
        req = FakeRequest(
            provider=provider,
            path=path,
            model=str(body.get("model", "")),
            messages=messages,
            prompt="\n".join(texts),
            body=body,
            headers={k.lower(): v for k, v in self.headers.items()},
            stream=bool(body.get("stream")),
            index=-1,
        )
        fault = self.fake._admit(req)
        self.fake._track(+1)
        try:
            if self.fake.delay_s > 0:
                time.sleep(self.fake.delay_s)
            self._serve(req, fault)
        finally:
            self.fake._track(-1)

    def _serve(self, req: FakeRequest, fault: _Fault | None) -> None:
        if fault is not None:
            self._fault(req, fault)
            return
        if self.fake.api_key is not None and req.api_key != self.fake.api_key:
            self._error(req, 401, "invalid api key", code="invalid_api_key")
            return
        if self.fake.models is not None and req.model not in self.fake.models:
            self._error(req, 404, f"model {req.model!r} does not exist", code="model_not_found")
            return
        try:
            text = self.fake._reply_for(req)
        except FakeError as err:
            self._error(req, err.status, err.message, code=err.code, retry_after=err.retry_after)
            return
        tokens_in, tokens_out = _words(req.prompt), _words(text)
        if req.provider == "openai":
            if req.stream:
                self._openai_stream(req, text, tokens_in, tokens_out)
            else:
                self._json(200, _openai_body(req, text, tokens_in, tokens_out))
        elif req.stream:
            self._anthropic_stream(req, text, tokens_in, tokens_out)
        else:
            self._json(200, _anthropic_body(req, text, tokens_in, tokens_out))

    # ------------------------------------------------------------------ faults and errors

    def _fault(self, req: FakeRequest, fault: _Fault) -> None:
        if fault.kind == "drop":
            # Close without a byte of response: the client sees a dropped connection.
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault.kind == "malformed":
            self._raw(200, b'{"id": "broken", "choices": [ this is not json', "application/json")
            return
        self._error(req, fault.status, fault.message, retry_after=fault.retry_after)

    def _error(
        self,
        req: FakeRequest,
        status: int,
        message: str,
        *,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        kinds = {
            400: "invalid_request_error",
            401: "authentication_error",
            403: "permission_error",
            404: "not_found_error",
            429: "rate_limit_error",
        }
        kind = kinds.get(status, "api_error")
        if req.provider == "anthropic":
            body: dict[str, Any] = {"type": "error", "error": {"type": kind, "message": message}}
        else:
            body = {"error": {"message": message, "type": kind, "code": code, "param": None}}
        headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else {}
        self._json(status, body, headers)

    # ------------------------------------------------------------------ writers

    def _raw(
        self, status: int, payload: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(payload)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self._raw(status, json.dumps(body).encode(), "application/json", headers)

    def _sse(self, events: Iterator[tuple[str | None, str]]) -> None:
        # No length is known in advance: close the connection after the stream ends.
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        self.close_connection = True
        for event, data in events:
            chunk = (f"event: {event}\n" if event else "") + f"data: {data}\n\n"
            self.wfile.write(chunk.encode())
            self.wfile.flush()

    def _openai_stream(self, req: FakeRequest, text: str, t_in: int, t_out: int) -> None:
        base = {
            "id": f"chatcmpl-fake-{req.index}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": req.model,
        }

        def events() -> Iterator[tuple[str | None, str]]:
            first = {"index": 0, "delta": {"role": "assistant", "content": ""}}
            yield None, json.dumps({**base, "choices": [{**first, "finish_reason": None}]})
            for piece in _pieces(text):
                delta = {"index": 0, "delta": {"content": piece}, "finish_reason": None}
                yield None, json.dumps({**base, "choices": [delta]})
            end = {"index": 0, "delta": {}, "finish_reason": "stop"}
            yield None, json.dumps({**base, "choices": [end]})
            usage = {
                "prompt_tokens": t_in,
                "completion_tokens": t_out,
                "total_tokens": t_in + t_out,
            }
            yield None, json.dumps({**base, "choices": [], "usage": usage})
            yield None, "[DONE]"

        self._sse(events())

    def _anthropic_stream(self, req: FakeRequest, text: str, t_in: int, t_out: int) -> None:
        def events() -> Iterator[tuple[str | None, str]]:
            message = _anthropic_body(req, "", t_in, 0)
            message["content"], message["stop_reason"] = [], None
            yield "message_start", json.dumps({"type": "message_start", "message": message})
            block = {"type": "content_block_start", "index": 0, "content_block": _text_block("")}
            yield "content_block_start", json.dumps(block)
            for piece in _pieces(text):
                delta = {"type": "text_delta", "text": piece}
                data = {"type": "content_block_delta", "index": 0, "delta": delta}
                yield "content_block_delta", json.dumps(data)
            yield "content_block_stop", json.dumps({"type": "content_block_stop", "index": 0})
            done = {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": t_out},
            }
            yield "message_delta", json.dumps(done)
            yield "message_stop", json.dumps({"type": "message_stop"})

        self._sse(events())


def _pieces(text: str, size: int = 16) -> Iterator[str]:
    for i in range(0, len(text), size):
        yield text[i : i + size]


def _text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _openai_body(req: FakeRequest, text: str, t_in: int, t_out: int) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-fake-{req.index}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": req.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": _usage(t_in, t_out),
    }


def _usage(t_in: int, t_out: int) -> dict[str, int]:
    return {"prompt_tokens": t_in, "completion_tokens": t_out, "total_tokens": t_in + t_out}


def _anthropic_body(req: FakeRequest, text: str, t_in: int, t_out: int) -> dict[str, Any]:
    return {
        "id": f"msg_fake_{req.index}",
        "type": "message",
        "role": "assistant",
        "model": req.model,
        "content": [_text_block(text)],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": t_in, "output_tokens": t_out},
    }
