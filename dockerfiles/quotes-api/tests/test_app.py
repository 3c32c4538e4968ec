import json

import app


def test_index_lists_every_quote():
    body = json.loads(app.index())
    assert body["count"] == len(app.QUOTES)


def test_one_quote():
    assert json.loads(app.quote(1))["by"] == "Donald Knuth"
