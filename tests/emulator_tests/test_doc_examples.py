"""The Python examples of the Meshy API pages 00 and 01 run against the emulator with only the base
URL changed.

The examples are kept in this repository (doc_examples/*.py, each headed by the page and section
it comes from), so the suite needs nothing outside the repository. The pages lost their line
breaks when they were saved, so each kept copy has its lines restored; one more test proves that
every copy is still the page's text (same tokens, whitespace aside). Only that test needs the pages
(shared/meshy-api beside the repository, or MESHY_API_PAGES), and it skips, saying so, without them.
"""

import os
import re
import time
from pathlib import Path

import pytest

from tests.emulator.glb import read_glb

EXAMPLES = Path(__file__).resolve().parent / "doc_examples"
# Where the pages are when this repository sits in the project's workspace (…/shared/meshy-api);
# MESHY_API_PAGES points elsewhere.
PAGES = Path(os.environ.get("MESHY_API_PAGES") or
             Path(__file__).resolve().parents[3] / "shared" / "meshy-api")


def example(name):
    """(page file name, example source without its header) of doc_examples/<name>.py."""
    text = (EXAMPLES / f"{name}.py").read_text(encoding="utf-8")
    header, _, body = text.partition("\n\n")
    page = re.search(r"^# Page: (\S+)$", header, re.MULTILINE)
    assert page, f"doc_examples/{name}.py does not name its page in a '# Page:' header line"
    return page.group(1), body


def squash(text):
    return re.sub(r"\s+", "", text)


@pytest.fixture
def run_example(emulator, monkeypatch, tmp_path):
    """exec() a kept example with only the base URL changed, the test key in MESHY_API_KEY, fast
    sleeps and the working directory in tmp_path. The examples wait 5 s between polls; scaled to
    0.2 s they still stay under the documented 20 requests per second."""
    real_sleep = time.sleep
    monkeypatch.setattr(time, "sleep", lambda seconds: real_sleep(seconds * 0.04))
    monkeypatch.setenv("MESHY_API_KEY", emulator.test_key)
    monkeypatch.chdir(tmp_path)

    def run(name, **names):
        page, source = example(name)
        namespace = dict(names)
        exec(compile(source.replace("https://api.meshy.ai", emulator.url), f"{page} ({name})",
                     "exec"), namespace)
        return namespace
    return run


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.py")))
def test_the_kept_copy_is_the_pages_text(name):
    page, source = example(name)
    if not PAGES.is_dir():
        pytest.skip(f"the Meshy API pages are not at {PAGES} (set MESHY_API_PAGES to the "
                    "shared/meshy-api folder): the kept copy cannot be compared with its page; "
                    "the example itself still runs in the other tests")
    assert squash(source) in squash((PAGES / page).read_text(encoding="utf-8")), \
        f"doc_examples/{name}.py no longer matches {page}"


def test_every_kept_example_runs_in_a_test():
    """A new file in doc_examples/ must be run by a test here, not just sit there."""
    source = Path(__file__).read_text(encoding="utf-8")
    for path in EXAMPLES.glob("*.py"):
        assert f'"{path.stem}"' in source.replace("'", '"'), f"{path.name} is never run"


def test_overview_correct_pattern(run_example):
    result = run_example("overview_correct_pattern")
    assert result["task"]["status"] == "SUCCEEDED"
    assert result["model_url"].endswith(".glb?Expires=" + result["model_url"].rsplit("=", 1)[1])


def test_overview_preview_then_refine(run_example, tmp_path):
    result = run_example("overview_preview_refine")
    assert result["task"]["type"] == "text-to-3d-refine"
    for name in ("preview_model.glb", "refined_model.glb"):
        read_glb((tmp_path / name).read_bytes())
    refined, _ = read_glb((tmp_path / "refined_model.glb").read_bytes())
    assert len(refined["images"]) >= 3          # enable_pbr: base colour, metallic-roughness, normal


def test_overview_image_to_3d(run_example, tmp_path):
    run_example("overview_image_to_3d")
    doc, _ = read_glb((tmp_path / "model.glb").read_bytes())
    assert doc["materials"][0]["pbrMetallicRoughness"]["baseColorTexture"]


def test_overview_sse_loop(run_example, emulator, capsys):
    from .helpers import create
    task_id = create(emulator, "/openapi/v2/text-to-3d", {"mode": "preview", "prompt": "a mask"},
                     emulator.test_key)
    run_example("overview_sse_streaming", API_KEY=emulator.test_key, task_id=task_id)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("PENDING")
    assert any(line.startswith("IN_PROGRESS") for line in lines)
    assert lines[-1] == "SUCCEEDED 100"


def test_quick_start_put_it_together(run_example, tmp_path, capsys):
    run_example("quick_start_put_it_together")
    output = capsys.readouterr().out
    assert "Refined model downloaded." in output
    assert "| Progress:" in output                 # the examples saw a running task at least once
    read_glb((tmp_path / "refined_model.glb").read_bytes())


def test_test_mode_key_consumes_no_credits(run_example, emulator):
    before = emulator.balance(emulator.test_key)
    run_example("overview_preview_refine")
    assert emulator.balance(emulator.test_key) == before
    assert emulator.tasks_created_by(emulator.test_key) == 2
