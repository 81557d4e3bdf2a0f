"""privmap: personal-data discovery, data mapping and GDPR records for cloud and database estates."""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def requirements(name: str) -> list[str]:
    lines = (HERE / "requirements" / f"{name}.txt").read_text().splitlines()
    return [ln.split("#")[0].strip() for ln in lines if ln.split("#")[0].strip()]


# one extra per integration: `pip install privmap[s3]`; postgres and mysql hold the database sources'
# and the consent ledger's drivers; `dask` the cluster executor; `test` is what the test suite needs
EXTRAS = ["test", "s3", "gcs", "postgres", "mysql", "heic", "parquet", "7z", "ocr", "msg", "dask"]

setup(
    name="privmap",
    version="0.1.0",
    description=__doc__,
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.11",
    packages=find_packages(include=["privmap", "privmap.*"]),
    package_data={"privmap": ["data/*.yaml", "reports/templates/*.j2", "reports/templates/*.js"]},
    install_requires=requirements("base"),
    extras_require={extra: requirements(extra) for extra in EXTRAS},
    entry_points={"console_scripts": ["privmap = privmap.cli:main"]},
)
