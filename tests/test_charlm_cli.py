"""``python -m bptt.charlm``: trains a few steps on a small text, saves and loads, and refuses an
unusable text with one line on stderr and exit status 2 (run as a subprocess, as a user would)."""

import subprocess
import sys

import numpy as np
import pytest

SMALL = ["--steps", "6", "--hidden", "8", "--seq", "8", "--batch", "4", "--sample-len", "40"]
TEXT = "a rose is a rose is a rose.\nthe cat sat on the mat.\n" * 12


def charlm(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "bptt.charlm", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={"OPENBLAS_NUM_THREADS": "1", "PATH": "", "PYTHONIOENCODING": "utf-8"},
    )


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "small.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def test_trains_prints_validation_bits_and_a_sample_then_loads(text_file, tmp_path):
    model = tmp_path / "m.npz"
    done = charlm("--text", str(text_file), *SMALL, "--eval-every", "3", "--save", str(model))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"{len(TEXT)} characters, {len(set(TEXT))} distinct" in out
    assert "baselines on validation: unigram" in out
    assert out.count("validation") >= 3 and "step 6: validation" in out  # steps 3 and 6
    assert "training" in done.stderr  # tqdm's bar
    sample = out.split("sample (temperature 1.0, seed 0):\n")[1].rstrip("\n")
    assert len(sample) == 40 and set(sample) <= set(TEXT)
    with np.load(model) as f:
        assert f["W"].shape == (8, 8) and "".join(f["chars"]) == "".join(sorted(set(TEXT)))
    again = charlm("--text", str(text_file), "--load", str(model), "--steps", "0")
    assert again.returncode == 0, again.stderr
    assert "H = 8" in again.stdout and "validation" not in again.stdout


@pytest.mark.parametrize(
    "content, words",
    [
        (None, "no such file"),
        (b"", "is empty"),
        (b"zzzzzzzz", "one distinct character ('z')"),
        (b"caf\xe9 au lait", "is not UTF-8 text (byte 0xe9 at offset 3)"),
        (b"ab" * 20, "too short for --batch 4 streams of --seq 8 steps"),
    ],
    ids=["missing", "empty", "one-character", "latin-1", "too-short"],
)
def test_an_unusable_text_gets_one_line_and_status_2(tmp_path, content, words):
    path = tmp_path / "text.txt"
    if content is not None:
        path.write_bytes(content)
    done = charlm("--text", str(path), *SMALL)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("charlm: error: ") and words in done.stderr, done.stderr


def test_the_lstm_trains_and_saves(text_file, tmp_path):
    model = tmp_path / "lstm.npz"
    done = charlm("--text", str(text_file), *SMALL, "--model", "lstm", "--save", str(model))
    assert done.returncode == 0, done.stderr
    assert "LSTM, H = 8" in done.stdout and "step 6: validation" in done.stdout
    with np.load(model) as f:
        assert str(f["kind"]) == "lstm" and f["W"].shape == (32, 8)


def test_a_bad_option_gets_status_2(text_file):
    done = charlm("--text", str(text_file), "--temperature", "0")
    assert done.returncode == 2 and "--temperature must be positive" in done.stderr
