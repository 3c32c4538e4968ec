"""A small quotes API: GET / lists the quotes, GET /quote/<n> returns one."""

import json
import os

from bottle import Bottle, abort, response

QUOTES = [
    {"id": 0, "text": "Simple is better than complex.", "by": "Tim Peters"},
    {"id": 1, "text": "Premature optimization is the root of all evil.", "by": "Donald Knuth"},
    {"id": 2, "text": "Make it work, make it right, make it fast.", "by": "Kent Beck"},
]

app = Bottle()


@app.get("/")
def index():
    response.content_type = "application/json"
    return json.dumps({"count": len(QUOTES), "quotes": QUOTES})


@app.get("/quote/<n:int>")
def quote(n):
    if not 0 <= n < len(QUOTES):
        abort(404, "no such quote")
    response.content_type = "application/json"
    return json.dumps(QUOTES[n])


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", "8000")), quiet=True)
