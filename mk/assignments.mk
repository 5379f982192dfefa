# Instructor commands (included by the Makefile). Step by step: book/for_instructors.md.
#   make assignments    nbgrader generate_assignment for every exercises/NN_topic/ into release/ (solutions
#                       replaced, hidden tests removed), and the student notebooks copied to
#                       book/exercises/notebooks/ (the site's download links)
#   make grade          autograde submitted/<student>/<assignment>/<assignment>.ipynb and write grades.csv
#                       (and manual_scores.csv, where the written answers get their points)
#   make book-student   the site with no solution anywhere, into _build/student/html
# nbgrader is an instructor-only extra: it lives in its own environment .venv-grader (pinned in
# requirements-instructor.txt, with bptt installed editable), never in the student's .venv.

GRADER_VENV := .venv-grader
GBIN := $(GRADER_VENV)/bin
GSTAMP := $(GRADER_VENV)/.installed
# nbgrader runs `alembic` and starts kernels by name: both must come from .venv-grader.
NBGRADER := PATH="$(CURDIR)/$(GBIN):$$PATH" $(GBIN)/nbgrader
QUIET_NBGRADER := 2>&1 | { grep -v -e "Kernel is running over TCP" -e "Attribute 'checksum' for cell" -e "root '.*' is not absolute" -e "SAWarning" -e "for notebook in submission" -e "return \[x for x in self" -e "Removing existing assignment" || true; }
SOURCES := $(sort $(wildcard exercises/[0-9][0-9]_*/[0-9][0-9]_*.ipynb))
ASSIGNMENTS := $(notdir $(basename $(SOURCES)))
RELEASE_STAMP := release/.generated
STUDENT_DIR ?= _build/student
STUDENT_TOC ?= _toc.yml

.PHONY: assignments grade book-student grader-env

$(GSTAMP): requirements.txt requirements-instructor.txt pyproject.toml
	@test -x $(GBIN)/python || $(PYTHON) -m venv $(GRADER_VENV)
	$(GBIN)/python -m pip install -q -r requirements-instructor.txt $(QUIET_PIP)
	$(GBIN)/python -m pip install -q --no-deps -e . $(QUIET_PIP)
	@touch $@

grader-env: $(GSTAMP)

$(RELEASE_STAMP): $(SOURCES) nbgrader_config.py | $(GSTAMP)
	@start=$$(date +%s); \
	$(NBGRADER) generate_assignment "[0-9][0-9]_*" --force --log-level=WARN $(QUIET_NBGRADER); \
	for a in $(ASSIGNMENTS); do \
	  test -f release/$$a/$$a.ipynb || { echo "nbgrader did not release $$a (see the messages above)"; exit 1; }; \
	  cmp -s release/$$a/$$a.ipynb book/exercises/notebooks/$$a.ipynb || cp release/$$a/$$a.ipynb book/exercises/notebooks/$$a.ipynb; \
	done; \
	touch $@; \
	echo "Released $(words $(ASSIGNMENTS)) assignments into release/ in $$(( $$(date +%s) - start )) s (student copies in book/exercises/notebooks/)."

assignments: $(GSTAMP)
	@rm -f $(RELEASE_STAMP)
	@$(MAKE) --no-print-directory $(RELEASE_STAMP)

grade: $(RELEASE_STAMP)
	@ls submitted/*/*/*.ipynb >/dev/null 2>&1 || { \
	  echo "Nothing to grade: put each submission at submitted/<student>/<assignment>/<assignment>.ipynb"; exit 1; }
	@test -f gradebook.db || { rm -f $(RELEASE_STAMP); $(MAKE) --no-print-directory $(RELEASE_STAMP); }
	@start=$$(date +%s); \
	$(NBGRADER) autograde "[0-9][0-9]_*" --create --force --log-level=WARN $(QUIET_NBGRADER); \
	$(GBIN)/python exercises/grade_table.py; \
	echo "Graded in $$(( $$(date +%s) - start )) s: grades.csv (autograded copies in autograded/)."

book-student: $(STAMP)
	@start=$$(date +%s); \
	$(BIN)/python book/_ext/strip_solutions.py merge-config _config.yml book/_config_student.yml $(STUDENT_DIR)/_config.yml; \
	rm -rf $(STUDENT_DIR)/_build $(STUDENT_DIR)/html; \
	$(BIN)/jupyter-book build . --config $(STUDENT_DIR)/_config.yml --toc $(STUDENT_TOC) --path-output $(STUDENT_DIR) \
	  $(JB_FLAGS) || { echo "student build failed: see $(STUDENT_DIR)/_build/html/reports/*.err.log"; exit 1; }; \
	mv $(STUDENT_DIR)/_build/html $(STUDENT_DIR)/html; \
	rm -rf $(STUDENT_DIR)/_build; \
	if grep -rlE 'class="(solution|solution-start)[ "]' --include='*.html' $(STUDENT_DIR)/html; then \
	  echo "solution markup found in the student edition (files above)"; exit 1; fi; \
	echo "Student edition built in $$(( $$(date +%s) - start )) s. Open: file://$(abspath $(STUDENT_DIR))/html/index.html"
