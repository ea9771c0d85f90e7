"""bench.run's load guard (issue 19): a loud machine is refused, or the run is marked noisy."""

import pytest

from bench import run
from bench.report import _noisy_lines


def test_refuses_to_start_above_the_quiet_load_and_says_the_load(monkeypatch):
    # given a 1-minute load of 3.2
    monkeypatch.setattr(run.os, "getloadavg", lambda: (3.2, 2.0, 1.0))
    # when the guard runs without --allow-noisy, then it refuses with the load
    with pytest.raises(SystemExit, match=r"load average is 3\.20.*--allow-noisy"):
        run.load_guard(allow_noisy=False)


def test_allow_noisy_goes_on_and_marks_the_run(monkeypatch):
    monkeypatch.setattr(run.os, "getloadavg", lambda: (3.2, 2.0, 1.0))
    assert run.load_guard(allow_noisy=True) is False


def test_a_quiet_machine_passes(monkeypatch):
    monkeypatch.setattr(run.os, "getloadavg", lambda: (1.5, 2.0, 1.0))
    assert run.load_guard(allow_noisy=False) is True


def test_readme_marks_noisy_runs_and_the_sections_that_started_loud():
    # given a run whose daily benchmark started at load 2.4
    results = {
        "machine": {"load_average_at_start": [0.5, 0.4, 0.3]},
        "quiet_load": 1.5,
        "noisy": False,
        "daily": {"load_average_before": [2.4, 1.0, 0.9]},
        "admin": {"load_average_before": [0.4, 1.0, 0.9]},
    }
    results["noisy_sections"] = run.noisy_sections(results)
    # then the README's header names it, and a quiet run says it was quiet
    assert results["noisy_sections"] == ["daily"]
    assert "NOISY RUN" in _noisy_lines(results)[0]
    assert "daily" in _noisy_lines(results)[0]
    quiet = {**results, "noisy_sections": [], "daily": {"load_average_before": [1.0]}}
    assert _noisy_lines(quiet)[0].startswith("Quiet run")


def test_reuse_refuses_missing_or_other_scale_data(tmp_path):
    with pytest.raises(SystemExit, match="no data was built"):
        run.reused_data(tmp_path / "data.json", scale=1.0, seed=42)
    info = tmp_path / "data.json"
    info.write_text('{"bench": {"scale": 0.01, "seed": 42}}')
    with pytest.raises(SystemExit, match=r"--scale 0\.01"):
        run.reused_data(info, scale=1.0, seed=42)
