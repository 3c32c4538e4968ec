# Built offline with the setuptools the base already has (pip --no-index --no-build-isolation):
# no pyproject.toml, so no build requirements to fetch from PyPI.
from setuptools import Extension, setup

setup(
    name="fastsum",
    version="1.0.0",
    description="The python-api service's own C extension",
    ext_modules=[Extension("fastsum", ["fastsum.c"])],
)
