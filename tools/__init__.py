"""Developer tools that are not part of the installed app or the bundle.

Run them from the repository folder as modules, so the checkout is on the import path:

    python -m tools.evalset OUTDIR --n N --seed S   labelled synthetic cards and contracts
    python -m tools.screenshots docs/screenshots    every screen in Chinese and English
    python -m tools.i18n_update                     refresh and compile the translation

Tests and benchmarks import them the same way (``pytest`` puts the repository folder on the
path; benchmarks run as ``python -m bench.NAME``).
"""
