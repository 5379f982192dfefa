# The PDF editions (included by the Makefile):
#   make pdf           the full edition, solutions after their exercises: _build/pdf/bptt-by-hand.pdf
#   make pdf-student   the student edition's sources (no solution anywhere):
#                      _build/pdf/bptt-by-hand-student.pdf
# XeLaTeX through `jupyter-book build --builder pdflatex` (sphinx-jupyterbook-latex runs XeLaTeX).
# The LaTeX side of the configuration: _config.yml (latex:, latex_elements), book/_ext/latex/
# (bptt-pdf.sty, a bbm.sty stand-in) and book/_ext/pdf_edition.py (the website's numbering).
# A character missing from a font ("There is no ... in font" in the LaTeX log) fails the build.

TEX_PACKAGES := texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended texlive-xetex texlive-plain-generic tex-gyre latexmk fonts-freefont-otf fonts-dejavu-core fonts-dejavu-extra poppler-utils
PDF_DIR := _build/pdf
PDF_CONFIG := book/_ext/strip_solutions.py merge-config

.PHONY: pdf pdf-student

book-student: $(NODE_STAMP)
# The sites link their PDFs (book/_ext/pdf_edition.py copies them in): build the PDFs first.
test: pdf pdf-student

# $(1): edition name (full, student), $(2): the config overlay over _config.yml, $(3): PDF name
define build_pdf
	@command -v xelatex >/dev/null && command -v latexmk >/dev/null || { \
	  echo "XeLaTeX is missing. Install it (about 120 MB) with:"; \
	  echo "  apt-get install -y --no-install-recommends $(TEX_PACKAGES)"; exit 1; }
	@start=$$(date +%s); out=$(PDF_DIR)/$(1); rm -rf $$out; mkdir -p $$out; \
	$(BIN)/python $(PDF_CONFIG) _config.yml $(2) $$out/base.yml; \
	$(BIN)/python $(PDF_CONFIG) $$out/base.yml book/_config_pdf.yml $$out/_config.yml; \
	MATPLOTLIBRC=$(CURDIR)/book/_ext/latex $(BIN)/jupyter-book build . --builder pdflatex \
	  --config $$out/_config.yml --path-output $$out \
	  -W -n --keep-going > $$out/build.log 2>&1 || { tail -40 $$out/build.log; \
	  echo "PDF build failed: see $$out/build.log and $$out/_build/latex/bptt-by-hand.log"; exit 1; }; \
	if grep -h "There is no" $$out/_build/latex/bptt-by-hand.log; then \
	  echo "characters missing from a font (above): the PDF would drop them"; exit 1; fi; \
	cp $$out/_build/latex/bptt-by-hand.pdf $(PDF_DIR)/$(3); \
	pages=$$(pdfinfo $(PDF_DIR)/$(3) 2>/dev/null | sed -n 's/^Pages: *//p'); \
	echo "$(PDF_DIR)/$(3): $$pages pages, built in $$(( $$(date +%s) - start )) s"
endef

pdf: $(STAMP) $(NODE_STAMP)
	$(call build_pdf,full,/dev/null,bptt-by-hand.pdf)

pdf-student: $(STAMP) $(NODE_STAMP)
	$(call build_pdf,student,book/_config_student.yml,bptt-by-hand-student.pdf)
