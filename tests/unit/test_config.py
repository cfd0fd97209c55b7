"""Parameters: the committed files parse; bad files give errors naming file, key, value, allowed."""

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from qvlib.config import (
    PARAMETERS_DIR,
    check_review_year,
    load_parameters,
    load_region,
    load_trust,
)
from qvlib.errors import ConfigError

WESSEX = {"RHM", "RHU", "RN5", "R0D", "RBD", "RNZ", "R1F", "RW1", "R1C", "RDY", "RYE"}


@pytest.fixture
def params_dir(tmp_path: Path) -> Path:
    """A writable copy of the committed parameters."""
    (tmp_path / "trusts").mkdir()
    (tmp_path / "region.yaml").write_text((PARAMETERS_DIR / "region.yaml").read_text())
    for file in (PARAMETERS_DIR / "trusts").glob("*.yaml"):
        (tmp_path / "trusts" / file.name).write_text(file.read_text())
    return tmp_path


def _edit(path: Path, **changes) -> None:
    data = yaml.safe_load(path.read_text())
    for dotted, value in changes.items():
        node = data
        *parents, last = dotted.split("__")
        for key in parents:
            node = node[key]
        if value is KeyError:
            del node[last]
        else:
            node[last] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_committed_parameters_parse():
    params = load_parameters()
    assert set(params.trusts) == WESSEX
    assert params.region.review_year == "2025/26"
    assert len(params.region.domains) == 6
    assert params.code_map["RD3"] == "R0D" and params.code_map["RDZ"] == "R0D"


def test_unknown_key_names_file_key_and_allowed(params_dir):
    _edit(params_dir / "region.yaml", spc__run_lenght=6)
    with pytest.raises(ConfigError) as err:
        load_region(params_dir / "region.yaml")
    message = str(err.value)
    assert "region.yaml" in message
    assert "spc.run_lenght" in message
    assert "run_length" in message  # the allowed keys are listed


def test_missing_field_is_named(params_dir):
    _edit(params_dir / "trusts" / "RHM.yaml", icb=KeyError)
    with pytest.raises(ConfigError, match=r"RHM.yaml.*\n.*'icb': missing"):
        load_parameters(params_dir)


def test_bad_trust_type_lists_allowed_values(params_dir):
    _edit(params_dir / "trusts" / "RBD.yaml", type="hospital")
    with pytest.raises(ConfigError) as err:
        load_trust(params_dir / "trusts" / "RBD.yaml")
    message = str(err.value)
    assert "'hospital'" in message and "'mental health'" in message and "'ambulance'" in message


def test_code_must_match_file_name(params_dir):
    _edit(params_dir / "trusts" / "RHU.yaml", code="RHM")
    with pytest.raises(ConfigError, match="RHU"):
        load_trust(params_dir / "trusts" / "RHU.yaml")


def test_band_gap_is_rejected(params_dir):
    bands = [
        {"name": "low", "min": 1, "max": 3},
        {"name": "moderate", "min": 5, "max": 6},  # 4 (=1x4, 2x2) falls in no band
        {"name": "high", "min": 8, "max": 12},
        {"name": "extreme", "min": 15, "max": 25},
    ]
    _edit(params_dir / "region.yaml", risk__bands=bands)
    with pytest.raises(ConfigError, match="score 4 falls in 0 bands"):
        load_region(params_dir / "region.yaml")


def test_intervention_band_must_exist(params_dir):
    _edit(params_dir / "region.yaml", interventions__triggered_visit_bands=["catastrophic"])
    with pytest.raises(ConfigError, match="catastrophic"):
        load_region(params_dir / "region.yaml")


def test_problems_in_several_files_reported_together(params_dir):
    _edit(params_dir / "trusts" / "RHM.yaml", sites=[])
    _edit(params_dir / "trusts" / "RYE.yaml", type="air ambulance")
    with pytest.raises(ConfigError) as err:
        load_parameters(params_dir)
    assert "RHM.yaml" in str(err.value) and "RYE.yaml" in str(err.value)


@pytest.mark.parametrize("content", ["", "- a\n- list\n", "key: [unclosed\n"])
def test_unreadable_yaml_is_a_config_error(params_dir, content):
    (params_dir / "region.yaml").write_text(content)
    with pytest.raises(ConfigError, match="region.yaml"):
        load_region(params_dir / "region.yaml")


@given(st.integers(min_value=1990, max_value=2200))
def test_review_year_accepts_consecutive_years_only(start):
    assert (
        check_review_year(f"{start}/{(start + 1) % 100:02d}") == f"{start}/{(start + 1) % 100:02d}"
    )
    with pytest.raises(ValueError):
        check_review_year(f"{start}/{(start + 2) % 100:02d}")


def test_visit_questions_must_name_configured_domains(params_dir):
    _edit(params_dir / "region.yaml", visit_questions={"Astrology": ["Is Mercury retrograde?"]})
    with pytest.raises(ConfigError) as err:
        load_region(params_dir / "region.yaml")
    message = str(err.value)
    assert "region.yaml" in message and "visit_questions" in message
    assert "'Astrology'" in message and "Learning environment and culture" in message


def test_committed_visit_questions_cover_every_domain():
    region = load_region()
    assert list(region.visit_questions) == region.domains
    assert all(region.visit_questions[domain] for domain in region.domains)


def test_learner_educator_formats_mode_is_checked(params_dir):
    _edit(params_dir / "region.yaml", learner_educator_formats__mode="carrier pigeon")
    with pytest.raises(ConfigError, match="learner_educator_formats.mode.*carrier pigeon"):
        load_region(params_dir / "region.yaml")


def test_national_settings_reject_unknown_keys_and_blank_names(params_dir):
    _edit(params_dir / "region.yaml", national__cqc_service_group={"Surgery": ["Surgery"]})
    with pytest.raises(ConfigError) as err:
        load_region(params_dir / "region.yaml")
    assert "national.cqc_service_group" in str(err.value)
    assert "cqc_service_groups" in str(err.value)  # the allowed keys are listed
    _edit(params_dir / "region.yaml", national={"cqc_service_groups": {"Surgery": [" "]}})
    with pytest.raises(ConfigError, match="must not be blank"):
        load_region(params_dir / "region.yaml")
    _edit(params_dir / "region.yaml", national={"guardian_improvement": "up"})
    with pytest.raises(ConfigError, match="national.guardian_improvement"):
        load_region(params_dir / "region.yaml")


def test_committed_specialties_map_to_cqc_service_groups():
    national = load_region().national
    assert national.cqc_service_groups["General Surgery"] == ["Surgery"]
    assert "Maternity" in national.cqc_service_groups["Obstetrics and Gynaecology"]
    # A service group finds its specialties whatever its case and spacing.
    assert set(national.specialties_of("  surgery ")) >= {"General Surgery", "Anaesthetics"}
    assert national.specialties_of("Emergency and urgent care") == ["Emergency Medicine"]
    assert national.specialties_of("Overall") == []
    assert national.guardian_improvement == "neutral"
