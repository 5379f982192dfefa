"""nbgrader configuration for the course's assignments (instructor only; see book/for_instructors.md).

The commands run from the repository's top folder through `make assignments` and `make grade`,
with nbgrader installed in its own environment `.venv-grader` (never in the student's `.venv`).

    exercises/<assignment>/<assignment>.ipynb          the sources (solutions and hidden tests inside)
    release/<assignment>/<assignment>.ipynb            what students get   (make assignments)
    submitted/<student>/<assignment>/<assignment>.ipynb what they hand back (collected by you)
    autograded/<student>/<assignment>/...              graded copies, grades in gradebook.db (make grade)
"""
c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "bptt-by-hand"
c.CourseDirectory.source_directory = "exercises"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
# Only the notebooks are part of an assignment (no data files to copy along).
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__"]

# A submission runs in a fresh kernel; a runaway cell stops after two minutes.
c.Execute.timeout = 120

# What nbgrader puts where a solution was.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
