# The course bundle (included by the Makefile): what a student with only the website needs.
#   make bundle   _build/html/_downloads/bptt-course.zip (every chapter notebook and released
#                 assignment, a wheel of bptt, requirements.txt, a README with the two commands)
#                 and the student edition's _build/student/html/_downloads/bptt-course-student.zip,
#                 whose chapters have no solution. Both are made in _build/bundle/; the sites copy
#                 them in when they are built (book/_ext/pdf_edition.py), and this target copies
#                 them into the sites already built. Code: tools/make_bundle.py.

BUNDLE_DIR := _build/bundle
BUNDLE_INPUTS := $(wildcard chapters/*.ipynb book/exercises/notebooks/*.ipynb) _toc.yml \
  requirements.txt pyproject.toml $(shell find src/bptt -name '*.py') tools/make_bundle.py

.PHONY: bundle

$(BUNDLE_DIR)/bptt-course.zip: $(BUNDLE_INPUTS) | $(STAMP)
	@rm -rf $(BUNDLE_DIR)/wheel
	$(BIN)/python tools/make_bundle.py $@ --wheel-dir $(BUNDLE_DIR)/wheel
	$(BIN)/python tools/make_bundle.py $(BUNDLE_DIR)/bptt-course-student.zip --student \
	  --wheel-dir $(BUNDLE_DIR)/wheel

bundle: $(BUNDLE_DIR)/bptt-course.zip
	@for site in _build/html:bptt-course.zip $(STUDENT_DIR)/html:bptt-course-student.zip; do \
	  d=$${site%%:*}; f=$${site##*:}; \
	  if test -d $$d; then mkdir -p $$d/_downloads; cp $(BUNDLE_DIR)/$$f $$d/_downloads/$$f; \
	    echo "$$d/_downloads/$$f"; fi; done

# The sites link the bundle of their edition: make it before `make test` builds them.
test: bundle
