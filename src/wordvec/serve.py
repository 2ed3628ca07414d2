"""`wordvec serve`: the web explorer's HTTP side, a Starlette app run by uvicorn (`wordvec[serve]`).

URLs map onto `wordvec.explorer`; nothing else is reachable. The page and its two assets are read
from the package once, at start, and served from memory by name, so no request names a path on
disk, and models are named by number, never by file. Every answer is JSON: a bad query is a 400
(a word not in the vocabulary a 404) with {"error": message}; an unexpected failure is a 500 with a
one-line message, logged as one line, never a traceback sent to the client. Queries run in
Starlette's thread pool (NumPy releases the GIL in the matrix products), so the server keeps
answering under hundreds of concurrent requests.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import sys
import threading
from importlib import resources
from typing import Any, Callable

from wordvec.errors import UnknownWordError, WordvecError
from wordvec.explorer import BusyError, Explorer, ModelUnavailableError, QueryError

MISSING_SERVER = "wordvec serve needs Starlette and uvicorn: pip install 'wordvec[serve]'"

#: what the page may load: only its own assets; no inline script, nothing from elsewhere
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}

ASSETS = {  # URL path -> (file in wordvec/static, media type)
    "/": ("explorer.html", "text/html; charset=utf-8"),
    "/static/explorer.js": ("explorer.js", "text/javascript; charset=utf-8"),
    "/static/explorer.css": ("explorer.css", "text/css; charset=utf-8"),
}


def _require_server():
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise WordvecError(MISSING_SERVER) from None


def _read_assets() -> dict[str, tuple[bytes, str]]:
    folder = resources.files("wordvec") / "static"
    return {url: ((folder / name).read_bytes(), media) for url, (name, media) in ASSETS.items()}


LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]


def create_app(explorer: Explorer, log: Callable[[str], None] | None = None, allowed_hosts: list[str] | None = None):
    """The ASGI app serving `explorer`'s page and JSON API.

    `allowed_hosts`: the Host headers answered (default: the loopback names, so a web page elsewhere
    cannot reach the server through DNS rebinding); ["*"] answers any."""
    _require_server()
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.middleware import Middleware
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    assets = _read_assets()

    def answer(status: int, body: Any) -> JSONResponse:
        return JSONResponse(body, status_code=status, headers=SECURITY_HEADERS)

    def api(handler: Callable[[Any, dict], Any]):
        """A GET endpoint: `handler(params)` returns JSON data; errors become JSON errors."""

        @functools.wraps(handler)
        def endpoint(request):  # sync: Starlette runs it in its thread pool
            params = dict(request.query_params)
            try:
                return answer(200, handler(params))
            except UnknownWordError as exc:
                return answer(404, {"error": str(exc), "unknown": exc.words})
            except ModelUnavailableError as exc:
                return answer(409, {"error": " ".join(str(exc).split())[:500]})
            except BusyError as exc:
                return answer(503, {"error": str(exc)})
            except (QueryError, WordvecError) as exc:
                return answer(400, {"error": " ".join(str(exc).split())[:500]})
            except MemoryError:
                log("wordvec serve: out of memory answering " + request.url.path)
                return answer(503, {"error": "out of memory"})
            except Exception as exc:  # a bug: one line in the log, no traceback to the client
                log(f"wordvec serve: internal error on {request.url.path}: {type(exc).__name__}: "
                    f"{' '.join(str(exc).split())[:300]}")
                return answer(500, {"error": "internal error (see the server's log)"})

        return Route("/api/" + handler.__name__, endpoint, methods=["GET"])

    def models(params):
        return explorer.models()

    def neighbours(params):
        return explorer.model(params.get("model")).neighbours(params.get("word"), params.get("topn", 10))

    def analogy(params):
        return explorer.model(params.get("model")).analogy(
            params.get("a"), params.get("b"), params.get("c"), params.get("method", "add"), params.get("topn", 10))

    def similarity(params):
        return explorer.model(params.get("model")).similarity(params.get("a"), params.get("b"))

    def map(params):  # noqa: A001 - the URL is /api/map
        return explorer.model(params.get("model")).map(params.get("word"), params.get("n", 30),
                                                       params.get("method", "pca"))

    def complete(params):
        return explorer.model(params.get("model")).complete(params.get("prefix", ""), params.get("limit", 10))

    def history(params):
        return explorer.model(params.get("model")).history()

    async def asset(request):  # not in the thread pool: the page loads even while every thread is busy
        body, media = assets[request.url.path]
        return Response(body, media_type=media, headers=SECURITY_HEADERS)

    async def http_error(request, exc):
        message = {404: f"no such page: {request.url.path[:200]}", 405: "only GET is served"}.get(
            exc.status_code, exc.detail)
        return answer(exc.status_code, {"error": message})

    routes = [Route(url, asset, methods=["GET"]) for url in assets]
    routes += [api(f) for f in (models, neighbours, analogy, similarity, map, complete, history)]
    hosts = Middleware(_HostCheck, allowed=allowed_hosts or LOOPBACK_NAMES)
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error}, middleware=[hosts])
    app.router.redirect_slashes = False  # a redirect would be built from the Host header
    return app


def host_name(header: str) -> str:
    """The host of a Host header, without its port ("[::1]:8000" -> "[::1]")."""
    if header.startswith("["):
        return header[:header.find("]") + 1] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class _HostCheck:
    """ASGI middleware: answer only requests whose Host header names an allowed host (a server on
    loopback is then out of reach of DNS rebinding); others get a JSON 400."""

    def __init__(self, app, allowed: list[str]) -> None:
        self.app, self.allowed = app, {h.lower() for h in allowed}

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and "*" not in self.allowed:
            header = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            if host_name(header).lower() not in self.allowed:
                from starlette.responses import JSONResponse

                response = JSONResponse({"error": "this server answers only requests for "
                                         + ", ".join(sorted(self.allowed))}, status_code=400,
                                        headers=SECURITY_HEADERS)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port); port 0 picks a free one. OSError if it is taken."""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def address(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def _log_config() -> dict:
    """uvicorn's logging, with its access log on stderr too (stdout is for the address)."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    for handler in config.get("handlers", {}).values():
        handler["stream"] = "ext://sys.stderr"
    return config


def run(explorer: Explorer, sock: socket.socket, access_log: bool = False) -> None:
    """Print the address on stdout and serve until Ctrl-C or SIGTERM (uvicorn shuts down
    gracefully and re-raises the signal, taken here as the end); the socket is closed after.
    The models' lazy work starts in the background at once. Bound to a loopback address, only
    loopback Host headers are answered; bound elsewhere, any."""
    try:
        _serve(explorer, sock, access_log)
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()


def _serve(explorer: Explorer, sock: socket.socket, access_log: bool) -> None:
    _require_server()
    import uvicorn

    def warm_up() -> None:
        try:
            explorer.warm_up()
        except Exception as exc:  # a query will meet it again and answer with it
            print(f"wordvec serve: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}", file=sys.stderr)

    threading.Thread(target=warm_up, name="wordvec-warm-up", daemon=True).start()
    host = sock.getsockname()[0]
    app = create_app(explorer, allowed_hosts=None if is_loopback(host) else ["*"])
    config = uvicorn.Config(app, log_level="info" if access_log else "warning", log_config=_log_config(),
                            access_log=access_log, lifespan="off", timeout_graceful_shutdown=5)
    print(f"serving at {address(sock)} (Ctrl-C stops)", flush=True)
    uvicorn.Server(config).run(sockets=[sock])


def explore(*models, names: list[str] | None = None, host: str = "127.0.0.1", port: int = 8000,
            access_log: bool = False) -> None:
    """Serve the explorer on `models` from Python until Ctrl-C: KeyedVectors, gensim-style models
    (anything with a `.wv`) or vector file paths, shown in this order. `names` labels the
    in-memory ones (default "model 1", ...). Prints the address; blocks while serving."""
    from wordvec.explorer import ModelView
    from wordvec.vectors import KeyedVectors

    _require_server()
    if not models:
        raise ValueError("give at least one model or vector file")
    if names is not None and len(names) != len(models):
        raise ValueError(f"{len(models)} models but {len(names)} names")
    views = []
    for i, model in enumerate(models):
        kv = getattr(model, "wv", model)
        if isinstance(kv, KeyedVectors):
            views.append(ModelView(kv, names[i] if names else f"model {i + 1}", i))
        elif isinstance(model, (str, bytes)) or hasattr(model, "__fspath__"):
            view = ModelView.open(model, i)
            if names:
                view.name = str(names[i])
            views.append(view)
        else:
            raise TypeError(f"cannot show a {type(model).__name__}: give KeyedVectors, a model or a path")
    explorer = Explorer(views)
    run(explorer, bind(host, port), access_log=access_log)
