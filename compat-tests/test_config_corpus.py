"""`sonde validate` over a corpus of configs.

configs/valid/NAME.yaml must validate (exit 0). configs/invalid/NAME.yaml must
fail (exit 1) and print every line of NAME.err (each line a substring of the
output; the wording is otelcol's where otelcol has one). Beside either, an
optional NAME.env holds KEY=VALUE lines for the environment and NAME.args extra
CLI arguments, one per line (paths relative to configs/, e.g. a second --config).
"""

from pathlib import Path

import pytest

from sondetest.process import run_cli

CONFIGS = Path(__file__).parent / "configs"


def cases(kind: str) -> list[Path]:
    return sorted((CONFIGS / kind).glob("*.yaml"))


def read_lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line for line in path.read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def validate(sonde_bin: str, config: Path):
    args = ["validate", "--config", str(config.relative_to(CONFIGS))]
    args += read_lines(config.with_suffix(".args"))
    env = dict(line.split("=", 1) for line in read_lines(config.with_suffix(".env")))
    return run_cli(sonde_bin, args, env=env, cwd=str(CONFIGS))


@pytest.mark.parametrize("config", cases("valid"), ids=lambda p: p.stem)
def test_valid_config(sonde_bin, config):
    result = validate(sonde_bin, config)
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"


@pytest.mark.parametrize("config", cases("invalid"), ids=lambda p: p.stem)
def test_invalid_config(sonde_bin, config):
    expected = read_lines(config.with_suffix(".err"))
    assert expected, f"{config.name} has no .err file"
    result = validate(sonde_bin, config)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    for line in expected:
        assert line in output


def test_corpus_is_complete():
    """Every invalid case says what it expects; no stray files."""
    for config in cases("invalid"):
        assert config.with_suffix(".err").exists(), config.name
    for kind in ("valid", "invalid"):
        for path in (CONFIGS / kind).iterdir():
            assert path.suffix in (".yaml", ".err", ".env", ".args"), path
            assert path.with_suffix(".yaml").exists(), path
