"""vigile configures polars' allocator before polars loads (see vigile/__init__.py)."""

import os
import subprocess
import sys

import vigile

CODE = "import vigile, polars, os; print(os.environ.get('_RJEM_MALLOC_CONF', ''))"


def _conf(env: dict[str, str], code: str = CODE) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}


def test_vigile_sets_its_allocator_configuration_after_polars_defaults():
    conf = _conf(_clean_env())
    # polars prepends its defaults; the last occurrence of an option wins in jemalloc.
    assert conf.endswith(vigile.ALLOCATOR_CONF)


def test_a_users_configuration_is_kept():
    conf = _conf({**_clean_env(), "_RJEM_MALLOC_CONF": "dirty_decay_ms:0"})
    assert conf.endswith("dirty_decay_ms:0")
    assert vigile.ALLOCATOR_CONF not in conf


def test_nothing_is_set_when_polars_was_loaded_first():
    code = "import polars, vigile, os; print(os.environ.get('_RJEM_MALLOC_CONF', ''))"
    assert vigile.ALLOCATOR_CONF not in _conf(_clean_env(), code)
