from app import app


def test_index_counts_notes():
    client = app.test_client()
    assert client.get("/").get_json()["service"] == "notes-api"


def test_add_and_read_a_note():
    client = app.test_client()
    made = client.post("/notes", json={"text": "buy milk"})
    assert made.status_code == 201
    note = made.get_json()
    assert client.get(f"/notes/{note['id']}").get_json()["text"] == "buy milk"


def test_empty_note_is_refused():
    assert app.test_client().post("/notes", json={"text": " "}).status_code == 400
