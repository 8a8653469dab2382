"""Every other notebook with widgets, run in JupyterLab in headless Chromium: what is checked,
and how, is in tests/browser_notebooks.py (half 1 of two, so that make test's two workers
share them)."""
import pytest
from browser_notebooks import HALVES, WIDGET_NOTEBOOKS, lab_server, run_in_lab  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    yield from lab_server(tmp_path_factory, HALVES[0])


@pytest.mark.parametrize("name", HALVES[0])
def test_notebook_runs_and_its_widgets_work_in_jupyterlab(lab, name):
    run_in_lab(lab, name)


def test_the_notebooks_with_widgets_are_found_and_split_in_two():
    assert len(WIDGET_NOTEBOOKS) >= 8, WIDGET_NOTEBOOKS
    assert sorted(HALVES[0] + HALVES[1]) == sorted(WIDGET_NOTEBOOKS)
