import matplotlib
from hypothesis import settings

# Figures are drawn off screen in every test (conftest runs before the test modules import pyplot).
matplotlib.use("Agg")

# Same examples on every run: a CI failure can be reproduced, and nothing is flaky.
settings.register_profile("course", derandomize=True, print_blob=True)
settings.load_profile("course")
