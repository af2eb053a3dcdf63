"""Deployment settings read from the environment (docs/deploy.md), checked in a fresh process."""

import os
import socketserver
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class SMTPRelay(socketserver.StreamRequestHandler):
    """Just enough SMTP to accept one message: what an intranet mail relay does for Django."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 relay.test ESMTP")
        while True:
            line = self.rfile.readline().decode("utf-8", "replace").strip()
            if not line:
                return
            verb = line.split(" ", 1)[0].upper()
            self.server.commands.append(line)
            if verb == "EHLO":
                self.reply("250 relay.test")
            elif verb == "DATA":
                self.reply("354 end with .")
                body = []
                for raw in self.rfile:
                    if raw in (b".\r\n", b".\n"):
                        break
                    body.append(raw.decode("utf-8", "replace"))
                self.server.messages.append("".join(body))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


def test_the_smtp_relay_is_configured_from_the_environment(tmp_path):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SMTPRelay)
    server.commands, server.messages = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        XIAKE_VAR_DIR=str(tmp_path),
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(server.server_address[1]),
        DEFAULT_FROM_EMAIL="xiake@bureau.test",
    )
    try:
        run = subprocess.run(
            [sys.executable, "-m", "xiake", "sendtestemail", "officer@bureau.test"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert run.returncode == 0, run.stderr
    commands = [c.lower() for c in server.commands]  # smtplib writes the verbs in lower case
    assert "mail from:<xiake@bureau.test>" in commands
    assert "rcpt to:<officer@bureau.test>" in commands
    assert len(server.messages) == 1 and "To: officer@bureau.test" in server.messages[0]
