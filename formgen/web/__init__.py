"""``formgen serve``: a local web form over a folder of records (see :mod:`formgen.web.server`)."""

from __future__ import annotations

from pathlib import Path


def create_app(folder: Path, token: str | None = None):
    """The Flask application serving the records in ``folder`` (``token``: the session's
    secret, random when None; ``app.config["FORMGEN_TOKEN"]``; every URL is under ``/TOKEN/``)."""
    from .server import create_app as make

    return make(folder, token)


__all__ = ["create_app", "serve", "start"]


def start(folder: Path, port: int = 8000, host: str = "127.0.0.1", token: str | None = None):
    """(server, url): the application over ``folder`` bound to ``host:port`` (0: a free
    port), not yet serving, and the address to open, ``http://HOST:PORT/TOKEN/``. The app
    knows where it listens, so a request naming another host or port is refused."""
    import secrets

    from werkzeug.serving import make_server

    token = token or secrets.token_urlsafe(24)
    app = create_app(Path(folder), token)
    server = make_server(host, port, app, threaded=True)
    app.config.update(FORMGEN_HOST=host, FORMGEN_PORT=server.server_port)
    name = f"[{host}]" if ":" in host else host
    return server, f"http://{name}:{server.server_port}/{token}/"


def serve(folder: Path, port: int = 8000, echo=print, host: str = "127.0.0.1") -> None:
    """Serve ``folder`` on ``host:port`` until interrupted, printing the URL (with the
    session's token in its path) to open."""
    server, url = start(folder, port, host)
    echo(f"formgen serve：{server.app.config['FORMGEN_FOLDER']}")
    echo(f"请在浏览器中打开：{url}")
    echo("（仅本机可访问；地址含本次会话的口令，请勿分享。按 Ctrl+C 停止。）")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        echo("已停止。")
