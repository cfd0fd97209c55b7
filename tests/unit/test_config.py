"""Parameters: the committed files parse; bad files give errors naming file, key, value, allowed."""

from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from qvlib.cli import main
from qvlib.config import (
    check_review_year,
    load_parameters,
    load_region,
    load_trust,
)
from qvlib.errors import ConfigError

PARAMETERS_DIR = Path(__file__).resolve().parents[2] / "parameters"
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


@pytest.mark.parametrize(
    "text", ["2025/26\n", "2025/26\r\n", " 2025/26", "2025/26 ", "2025/26/", "２０２５/２６"]
)
def test_review_year_is_the_whole_text_in_ascii_digits(text):
    with pytest.raises(ValueError, match="not a financial year"):
        check_review_year(text)


def test_qv_reviews_refuses_a_year_with_a_newline_before_writing_anything(tmp_path, capsys):
    args = ["reviews", "--year", "2025/26\n", "--pack", "region-overview"]
    assert main([*args, "--out", str(tmp_path / "out")]) == 2
    assert "--year: '2025/26\\n' is not a financial year" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_question_bank_domains_must_be_configured_domains(params_dir):
    bank = params_dir / "question_bank.yaml"
    bank.write_text(yaml.safe_dump({"domains": {"Astrology": ["Is Mercury retrograde?"]}}))
    with pytest.raises(ConfigError) as err:
        load_region(params_dir / "region.yaml")
    message = str(err.value)
    assert "question_bank.yaml" in message and "'domains'" in message
    assert "'Astrology'" in message and "Learning environment and culture" in message


def test_question_bank_keys_are_checked(params_dir):
    bank = params_dir / "question_bank.yaml"
    bank.write_text(yaml.safe_dump({"themes": {"rota gaps": {"patients": ["?"]}}}))
    with pytest.raises(ConfigError, match="(?s)question_bank.yaml.*rota gaps.*learners"):
        load_region(params_dir / "region.yaml")


def test_committed_question_bank_covers_every_domain_and_the_sample_themes():
    region = load_region()
    bank = region.question_bank
    assert list(bank.domains) == region.domains
    assert all(bank.domains[domain] for domain in region.domains)
    for theme in ("rota gaps", "undermining", "supervision", "workload", "induction"):
        assert set(bank.themes[theme]) == {"learners", "educators", "leaders"}


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
