"""The python-api service: a small JSON HTTP server on 127.0.0.1:$PORT (stdlib only + fastsum).

fastsum is a C extension compiled during the image build; the handler calls it on every request,
so an image whose extension (or the libraries it loads) is missing fails the kit's probe.
"""

import json
import os
import socketserver
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

import fastsum


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path != "/":
            self.send_error(404)
            return
        body = json.dumps(
            {
                "service": "python-api",
                "python": sys.version.split()[0],
                "sum_squares_1000": fastsum.sum_squares(1000),
                "total": fastsum.total([0.5, 1.5, 2.0]),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(HTTPServer):
    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup that can stall
        # start-up for seconds in a container with no resolver; the name is only used in logs.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


def main() -> None:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    server = Server((host, port), Handler)
    print(f"listening on {host}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
