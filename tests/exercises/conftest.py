"""Exercise tests run in the trusted process; `grader.plugin` gives them `student`."""

pytest_plugins = ["grader.plugin"]
