# The corpus of chapter 11 (the course's own prose, shipped as package data):
#   make corpus   re-extract src/bptt/corpus/course.txt from chapters/*.ipynb and book/*.md
# tests/test_charlm.py fails when the committed file is out of date.
.PHONY: corpus

corpus: $(STAMP)
	$(BIN)/python tools/extract_corpus.py
