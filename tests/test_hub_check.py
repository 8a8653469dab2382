"""tools/hub_check.py's pieces that run without a JupyterHub: the hub's configuration, and the
reading of a kernel's replies (errors, the environment probe, models loaded from the shared cache)."""
import ast
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import hub_check as hub  # noqa: E402  (tools/hub_check.py)


def test_the_configuration_is_python_and_sets_the_guides_environment():
    text = hub.hub_config(8000, 8001, 8002, "/bin/chp", "secret", ["student1"],
                          Path("/srv/shared"), drop_caps=True)
    ast.parse(text)
    environment = ast.literal_eval(text.split("c.Spawner.environment = ")[1].splitlines()[0])
    assert environment["GENLIB_SHARED_CACHE"] == "/srv/shared"
    assert environment["GENLIB_CACHE"] == "~/.cache/genlib"
    assert "setpriv" in text.split("c.Spawner.cmd = ")[1].splitlines()[0]


class FakeSocket:
    """A kernel's websocket that answers every request with ``replies`` (msg_type, content)."""

    def __init__(self, replies):
        self.replies, self.queue = replies, []

    def send(self, text):
        msg_id = json.loads(text)["header"]["msg_id"]
        other = {"parent_header": {"msg_id": "someone else's"}, "msg_type": "stream",
                 "content": {"text": "loaded from the shared cache"}}
        self.queue = [json.dumps(other)] + [
            json.dumps({"parent_header": {"msg_id": msg_id}, "msg_type": kind, "content": content})
            for kind, content in self.replies]

    def recv(self):
        return self.queue.pop(0)


def test_a_cells_replies_are_read_until_the_kernel_is_idle():
    run = hub.StudentRun("student1")
    probe = 'BENCH-ENV {"JUPYTERHUB_USER": "student1", "pid": 7}\n'
    hub.execute(FakeSocket([("stream", {"text": probe + "dcgan: loaded from the shared cache\n"}),
                            ("execute_reply", {"status": "ok"}),
                            ("status", {"execution_state": "idle"})]), run, "code", 0)
    assert run.env == {"JUPYTERHUB_USER": "student1", "pid": 7}
    assert run.loaded_from_shared == 1 and run.errors == []
    hub.execute(FakeSocket([("error", {"ename": "ValueError", "evalue": "bad"}),
                            ("execute_reply", {"status": "error", "ename": "ValueError"}),
                            ("status", {"execution_state": "idle"})]), run, "code", 3)
    assert run.errors == ["cell 3: ValueError: bad"]
