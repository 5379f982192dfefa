from hypothesis import settings

# Same examples on every run: a CI failure can be reproduced, and nothing is flaky.
settings.register_profile("course", derandomize=True, print_blob=True)
settings.load_profile("course")
