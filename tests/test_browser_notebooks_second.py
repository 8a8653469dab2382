"""The other half of the notebooks with widgets, run in JupyterLab in headless Chromium (a file of
its own, so that make test's two workers share the notebooks): see tests/browser_notebooks.py."""
from browser_notebooks import HALVES, browser_tests_for

lab, test_notebook_runs_and_its_widgets_work_in_jupyterlab = browser_tests_for(HALVES[1])
