"""The build compiles the message catalogs (bot/locale/*/LC_MESSAGES/loanwatch.po) into the
.mo files that ship in the package; everything else about the build is in pyproject.toml."""

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithCatalogs(build_py):
    """build_py that first compiles the catalogs in the source tree (an editable install reads
    them there; a wheel copies them as package data)."""

    def run(self) -> None:
        spec = importlib.util.spec_from_file_location(
            "_loanwatch_catalogs", HERE / "bot" / "i18n" / "catalogs.py"
        )
        catalogs = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(catalogs)
        catalogs.compile_all(HERE / "bot" / "locale")
        super().run()


setup(cmdclass={"build_py": BuildWithCatalogs})
