"""Every other notebook with widgets (the first half), run in JupyterLab in headless Chromium:
what is checked, and how, is in tests/browser_notebooks.py."""
import pytest
from browser_notebooks import HALVES, WIDGET_NOTEBOOKS, browser_tests_for

lab, test_notebook_runs_and_its_widgets_work_in_jupyterlab = browser_tests_for(HALVES[0])


@pytest.mark.browser
def test_the_notebooks_with_widgets_are_found_and_split_in_two():
    assert len(WIDGET_NOTEBOOKS) >= 12, WIDGET_NOTEBOOKS   # 01 to 12: all but 00
    assert sorted(HALVES[0] + HALVES[1]) == sorted(WIDGET_NOTEBOOKS)
