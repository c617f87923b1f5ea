"""The recruiting safe dry-run suite: the fixture site, its annotations and its tasks."""
