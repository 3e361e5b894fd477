// Package notebooks holds the analysts' Jupyter notebooks (the *.ipynb files beside this
// one) and the query cookbook of README.md. It has no code of its own: its tests collect
// a small simulated world into a throwaway ClickHouse, load the world's truth, run every
// analysis job, then execute each notebook headless as the read-only analyst user (a
// failing cell fails the test), run every query of the cookbook, and check that the
// analyst user can read but not write, create, drop or alter. Nothing imports it.
package notebooks
