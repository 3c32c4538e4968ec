"""A small JSON API for notes, kept in memory: the kind of service a Dockerfile tutorial ships.

Served by gunicorn in the images (see gunicorn.conf.py); ``python app.py`` runs Flask's
development server instead.
"""

from __future__ import annotations

import itertools
import os
import threading

from flask import Flask, abort, jsonify, request

app = Flask(__name__)
_lock = threading.Lock()
_ids = itertools.count(1)
_notes: dict[int, dict[str, object]] = {}


@app.get("/")
def index():
    return jsonify(service="notes-api", notes=len(_notes))


@app.get("/healthz")
def healthz():
    return "ok\n", 200, {"Content-Type": "text/plain"}


@app.get("/notes")
def list_notes():
    with _lock:
        return jsonify(sorted(_notes.values(), key=lambda n: n["id"]))


@app.post("/notes")
def add_note():
    body = request.get_json(silent=True) or {}
    text = str(body.get("text", "")).strip()
    if not text:
        abort(400, description="a note needs some text")
    with _lock:
        note = {"id": next(_ids), "text": text}
        _notes[note["id"]] = note
    return jsonify(note), 201


@app.get("/notes/<int:note_id>")
def get_note(note_id: int):
    with _lock:
        note = _notes.get(note_id)
    if note is None:
        abort(404)
    return jsonify(note)


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", "8080")))
