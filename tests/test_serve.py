"""`wordvec serve`'s HTTP side: the JSON API through Starlette's test client, and the real server
(uvicorn in a `wordvec serve` process on 127.0.0.1) under 200 concurrent requests and signals."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import quote
from urllib.request import urlopen

import numpy as np
import pytest
from starlette.testclient import TestClient

from wordvec.explorer import Explorer
from wordvec.serve import SECURITY_HEADERS, create_app, is_loopback

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def explorer(ptb_vector_files):
    return Explorer.open([ptb_vector_files["skipgram"], ptb_vector_files["ppmi"]])


@pytest.fixture(scope="module")
def logged():
    return []


@pytest.fixture(scope="module")
def client(explorer, logged):
    with TestClient(create_app(explorer, log=logged.append), base_url="http://127.0.0.1:8000",
                    raise_server_exceptions=False) as c:
        yield c


def test_page_and_assets(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="/static/explorer.js"' in page.text and "<script>" not in page.text  # no inline script
    for name, media in (("explorer.js", "text/javascript"), ("explorer.css", "text/css")):
        asset = client.get("/static/" + name)
        assert asset.status_code == 200 and asset.headers["content-type"].startswith(media) and asset.content
    for key, value in SECURITY_HEADERS.items():
        assert page.headers[key] == value
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_api_answers(client, explorer):
    models = client.get("/api/models").json()
    assert [m["words"] for m in models["models"]] == [9858, 9858]
    near = client.get("/api/neighbours", params={"word": "you", "topn": 5}).json()
    assert [n["word"] for n in near["neighbours"]] == [w for w, _ in explorer.model(0).kv.most_similar("you", topn=5)]
    other = client.get("/api/neighbours", params={"word": "you", "topn": 5, "model": 1}).json()
    assert other["model"] == 1 and other["neighbours"] != near["neighbours"]
    analogy = client.get("/api/analogy", params={"a": "take", "b": "took", "c": "go", "method": "mul"}).json()
    assert analogy["method"] == "mul" and len(analogy["answers"]) == 10
    points = client.get("/api/map", params={"word": "you", "n": 12}).json()["points"]
    assert len(points) == 13 and points[0]["word"] == "you"
    assert client.get("/api/complete", params={"prefix": "yo"}).json()["words"][:2] == ["york", "you"]
    assert client.get("/api/similarity", params={"a": "you", "b": "we"}).json()["similarity"] == pytest.approx(
        explorer.model(0).kv.similarity("you", "we"), abs=1e-6)
    assert "epoch_loss" in client.get("/api/history").json()["series"]
    assert client.head("/").status_code == 200


@pytest.mark.parametrize("url, status, words", [
    ("/api/neighbours?word=qqqzzz", 404, "not in vocabulary"),
    ("/api/neighbours", 400, "word is required"),
    ("/api/neighbours?word=you&topn=-3", 400, "topn must be"),
    ("/api/neighbours?word=you&topn=1e9", 400, "topn must be"),
    ("/api/neighbours?word=you&model=7", 400, "model must be"),
    ("/api/neighbours?word=you&model=../../etc/passwd", 400, "model must be"),
    ("/api/analogy?a=take&b=took", 400, "c is required"),
    ("/api/analogy?a=take&b=took&c=go&method=cos", 400, "method must be"),
    ("/api/map?word=you&method=mds", 400, "unknown map method"),
    ("/api/neighbours?word=you&topn=1_0", 400, "topn must be"),
    ("/api/neighbours?word=you&topn=%201", 400, "topn must be"),
    ("/api/neighbours?word=you&topn=%D9%A3", 400, "topn must be"),
    ("/api/neighbours?word=you&model=%EF%BC%91", 400, "model must be"),
    ("/api/neighbours/?word=you", 404, "no such page"),
    ("/api/map?word=you&n=100000", 400, "n must be"),
    ("/api/complete?prefix=a&limit=x", 400, "limit must be"),
    ("/api/neighbours?word=" + "x" * 5000, 400, "longer than"),
    ("/api/nothing", 404, "no such page"),
    ("/static/../pyproject.toml", 404, "no such page"),
    ("/static/..%2f..%2fpyproject.toml", 404, "no such page"),
    ("/static/%2e%2e/%2e%2e/etc/passwd", 404, "no such page"),
    ("//etc/passwd", 404, "no such page"),
    ("/static/", 404, "no such page"),
    ("/static/explorer.html", 404, "no such page"),
    ("/api/models/../../../../etc/passwd", 404, "no such page"),
])
def test_bad_requests_get_json_errors(client, url, status, words):
    response = client.get(url)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert words in response.json()["error"]
    assert "Traceback" not in response.text and "root:" not in response.text


def test_only_get(client):
    for method in ("post", "put", "delete"):
        response = getattr(client, method)("/api/neighbours?word=you")
        assert response.status_code == 405 and response.json()["error"] == "only GET is served"


def test_unknown_words_are_listed(client):
    body = client.get("/api/analogy", params={"a": "qq1", "b": "took", "c": "qq2"}).json()
    assert body["unknown"] == ["qq1", "qq2"]


def test_internal_error_is_one_logged_line(client, explorer, logged, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("kernel\nexploded")

    monkeypatch.setattr(explorer.model(0).kv, "most_similar", broken)
    response = client.get("/api/neighbours", params={"word": "you"})
    assert response.status_code == 500 and response.json() == {"error": "internal error (see the server's log)"}
    assert logged[-1] == "wordvec serve: internal error on /api/neighbours: RuntimeError: kernel exploded"


def test_loopback():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.8.0.1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.1") and not is_loopback("example.org")


# ------------------------------------------------------------------------- the real server


def start_server(*args, env_extra=None) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, **(env_extra or {}))
    proc = subprocess.Popen([sys.executable, "-m", "wordvec", "serve", *map(str, args), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()
    if not line.startswith("serving at "):
        proc.kill()
        raise AssertionError(f"server did not start: {line!r} {proc.stderr.read()[-2000:]}")
    return proc, line.split()[2]


def stop_server(proc: subprocess.Popen, sig=signal.SIGINT) -> tuple[int, str]:
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return proc.returncode, err


def get(url: str, timeout: float = 30) -> tuple[int, dict]:
    try:
        with urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture(scope="module")
def server(ptb_vector_files):
    proc, url = start_server(ptb_vector_files["skipgram"], ptb_vector_files["ppmi"])
    yield url
    code, err = stop_server(proc)
    assert code == 0 and "Traceback" not in err, err


def test_server_listens_on_loopback_only(server):
    assert server.startswith("http://127.0.0.1:")


def test_200_concurrent_requests(server, ptb_vector_files):
    from wordvec.vectors import KeyedVectors

    words = KeyedVectors.load(ptb_vector_files["skipgram"]).index_to_key[:100]
    urls = []
    for i in range(200):
        word = quote(words[i % len(words)])
        kind = i % 4
        urls.append(server + ("api/neighbours?word=%s&model=%d" % (word, i % 2) if kind < 2 else
                              "api/map?word=%s&n=20" % word if kind == 2 else
                              "api/neighbours?word=nosuchwordzz" if i % 8 == 3 else
                              "api/analogy?a=take&b=took&c=%s" % word))
    with ThreadPoolExecutor(max_workers=200) as pool:
        answers = list(pool.map(get, urls))
    statuses = [s for s, _ in answers]
    assert statuses.count(404) == len([u for u in urls if "nosuchwordzz" in u])
    assert all(s in (200, 404) for s in statuses), statuses
    for (status, body), url in zip(answers, urls):
        if status == 200 and "neighbours" in url:
            assert len(body["neighbours"]) == 10
    assert get(server + "api/neighbours?word=you")[0] == 200  # still up


def test_cli_errors_before_listening(tmp_path, ptb_vector_files):
    bad = tmp_path / "bad.txt"
    bad.write_text("2 3\nfoo 1 2\n")
    cases = [
        ([str(tmp_path / "missing.bin")], 1, "no such vector file"),
        ([str(tmp_path)], 1, "not a vector file"),
        ([str(bad)], 1, "bad.txt"),
        ([str(ptb_vector_files["ppmi"]), "--port", "70000"], 2, "port"),
        ([str(ptb_vector_files["ppmi"]), "--port", "x"], 2, "port"),
        ([str(ptb_vector_files["ppmi"]), "--host", "no.such.host.invalid"], 1, "cannot listen"),
    ]
    for args, code, words in cases:
        result = subprocess.run([sys.executable, "-m", "wordvec", "serve", *args], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == code, (args, result.stderr)
        assert result.stderr.startswith("wordvec: error:") and words in result.stderr, result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""


def test_port_in_use_is_a_clear_error(ptb_vector_files):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "wordvec", "serve", str(ptb_vector_files["ppmi"]),
                                 "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "Traceback" not in result.stderr


def test_sigterm_stops_cleanly(ptb_vector_files):
    proc, url = start_server(ptb_vector_files["ppmi"])
    assert get(url + "api/models")[0] == 200
    code, err = stop_server(proc, signal.SIGTERM)
    assert code == 0 and "stopped" in err and "Traceback" not in err


def test_without_the_serve_extra(tmp_path, ptb_vector_files):
    blocker = tmp_path / "sitecustomize.py"  # makes `import starlette` fail, as on a plain install
    blocker.write_text("import sys\nsys.modules['starlette'] = None\n")
    result = subprocess.run([sys.executable, "-m", "wordvec", "serve", str(ptb_vector_files["ppmi"])],
                            capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, PYTHONPATH=str(tmp_path)))
    assert result.returncode == 1
    assert result.stderr.strip() == "wordvec: error: wordvec serve needs Starlette and uvicorn: pip install 'wordvec[serve]'"


def test_a_memory_mapped_native_file_answers(tmp_path):
    """A native file is served memory-mapped, its norms computed in the background: the first
    query, which may arrive before they are ready, gets the right neighbours."""
    from wordvec.vectors import KeyedVectors

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((200_000, 64)).astype(np.float32)
    words = [f"w{i}" for i in range(len(vectors))]
    path = tmp_path / "big.npz"
    KeyedVectors(vectors, words).save(path)
    proc, url = start_server(path)
    try:
        status, body = get(url + "api/neighbours?word=w5&topn=3")
        assert status == 200
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        scores = unit @ unit[5]
        scores[5] = -np.inf
        assert [n["word"] for n in body["neighbours"]] == [words[i] for i in np.argsort(-scores)[:3]]
    finally:
        code, err = stop_server(proc)
    assert code == 0, err


def test_explore_from_python(ptb_vector_files, tmp_path):
    """wordvec.explore(kv, path, names=...) serves in-memory vectors and files alike."""
    script = tmp_path / "explore.py"
    script.write_text(
        "import sys, numpy as np, wordvec\n"
        "kv = wordvec.KeyedVectors(np.eye(3, dtype=np.float32) + 0.1, ['a', 'b', 'c'])\n"
        "wordvec.explore(kv, sys.argv[1], names=['tiny', 'ppmi'], port=0)\n")
    proc = subprocess.Popen([sys.executable, str(script), str(ptb_vector_files["ppmi"])],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line.startswith("serving at http://127.0.0.1:"), proc.stderr.read()
    url = line.split()[2]
    try:
        models = get(url + "api/models")[1]["models"]
        assert [(m["name"], m["words"]) for m in models] == [("tiny", 3), ("ppmi", 9858)]
        assert [n["word"] for n in get(url + "api/neighbours?word=a&topn=2")[1]["neighbours"]] in (["b", "c"], ["c", "b"])
    finally:
        code, err = stop_server(proc)
    assert code == 0 and "Traceback" not in err, err


def test_explore_checks_its_arguments():
    from wordvec.serve import explore

    with pytest.raises(ValueError):
        explore()
    with pytest.raises(TypeError):
        explore(42, port=0)
    with pytest.raises(ValueError):
        explore("a.bin", names=["x", "y"], port=0)


def test_host_header_must_be_loopback(client):
    for host in ("127.0.0.1:8000", "localhost", "[::1]:8000", "LOCALHOST:1"):
        assert client.get("/api/models", headers={"host": host}).status_code == 200, host
    for host in ("evil.example", "evil.example:8000", "127.0.0.1.evil.example", "", "a b", "x" * 10000):
        response = client.get("/", headers={"host": host})
        assert response.status_code == 400, host
        assert "answers only requests for" in response.json()["error"]
        assert response.headers["content-security-policy"] == SECURITY_HEADERS["content-security-policy"]


def test_trailing_slash_is_not_redirected(client):
    response = client.get("/api/neighbours/?word=you", headers={"host": "127.0.0.1"}, follow_redirects=False)
    assert response.status_code == 404 and "location" not in response.headers


def test_empty_host_is_a_usage_error(ptb_vector_files):
    result = subprocess.run([sys.executable, "-m", "wordvec", "serve", str(ptb_vector_files["ppmi"]), "--host", ""],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--host is empty" in result.stderr


def test_access_log_goes_to_stderr(ptb_vector_files):
    proc = subprocess.Popen([sys.executable, "-m", "wordvec", "serve", str(ptb_vector_files["ppmi"]), "--port", "0",
                             "--access-log"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    url = line.split()[2]
    assert get(url + "api/neighbours?word=you")[0] == 200
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "GET /api/neighbours?word=you" in err and rest == ""
