"""``formgen serve``: a local web form over a folder of records (see :mod:`formgen.web.server`)."""

from __future__ import annotations

from pathlib import Path


def create_app(folder: Path, token: str | None = None):
    """The Flask application serving the records in ``folder`` (``token``: the session's
    secret, random when None; ``app.config["FORMGEN_TOKEN"]``)."""
    from .server import create_app as make

    return make(folder, token)


__all__ = ["create_app", "serve"]


def serve(folder: Path, port: int = 8000, echo=print, host: str = "127.0.0.1") -> None:
    """Serve ``folder`` on ``host:port`` until interrupted, printing the URL (with the
    session's token) to open."""
    import secrets

    from werkzeug.serving import make_server

    token = secrets.token_urlsafe(24)
    app = create_app(Path(folder), token)
    server = make_server(host, port, app, threaded=True)
    echo(f"formgen serve：{app.config['FORMGEN_FOLDER']}")
    echo(f"请在浏览器中打开：http://{host}:{server.server_port}/?token={token}")
    echo("（仅本机可访问；地址含本次会话的口令，请勿分享。按 Ctrl+C 停止。）")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        echo("已停止。")
