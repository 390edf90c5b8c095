"""Reading BDPM files: the real quirks, and a malformed-file suite (no database needed)."""

from __future__ import annotations

import pytest

from lap_app.drugs.bdpm_format import MAX_FIELD_CHARS, SPECS_BY_NAME, parse_bdpm_bytes
from lap_app.drugs.importer import ImportFailed, parse_release

CIS_LINE = ("60234100\tDOLIPRANE 1000 mg, comprimé\tcomprimé\torale\tAutorisation active\t"
            "Procédure nationale\tCommercialisée\t09/07/2001\t\t\t SANOFI AVENTIS FRANCE\tNon")
CIP_LINE = ("60234100\t3595583\tplaquette(s) de 8 comprimé(s)\tPrésentation active\t"
            "Déclaration de commercialisation\t16/03/2011\t3400935955838\toui\t65 %\t4,755,52\t4,756,54\t1,02\t")


def parse(name: str, text: str, encoding: str = "cp1252"):
    return parse_bdpm_bytes(SPECS_BY_NAME[name], text.encode(encoding))


def test_real_quirks_crlf_blank_lines_trailing_tabs_and_french_prices():
    text = "\r\n\r\n" + CIS_LINE + "\t\t\r\n\r\n" + CIS_LINE.replace("60234100", "60234101") + "\r\n"
    parsed = parse("CIS_bdpm.txt", text)
    assert parsed.problems == []
    assert [row[0] for row in parsed.rows] == ["60234100", "60234101"]
    assert parsed.rows[0][1] == "DOLIPRANE 1000 mg, comprimé"  # cp1252 accents decoded
    assert parsed.rows[0][10] == "SANOFI AVENTIS FRANCE"  # leading space of the holder removed

    cip = parse("CIS_CIP_bdpm.txt", CIP_LINE + "\n")
    assert cip.problems == []
    row = cip.rows[0]
    assert row[6] == "3400935955838"
    assert row[8] == 65  # "65 %"
    assert row[9] == 4755.52  # thousands comma


def test_truncated_line_is_reported_with_file_and_line_and_the_rest_imports():
    lines = [CIS_LINE, CIS_LINE.replace("60234100", "60234102")[:40], CIS_LINE.replace("60234100", "60234103")]
    parsed = parse("CIS_bdpm.txt", "\n".join(lines) + "\n")
    assert [row[0] for row in parsed.rows] == ["60234100", "60234103"]
    assert len(parsed.problems) == 1
    problem = parsed.problems[0]
    assert (problem.file, problem.line) == ("CIS_bdpm.txt", 2)
    assert "tronquée" in problem.message
    assert problem.render().startswith("CIS_bdpm.txt:2 : ")


def test_missing_columns_and_bad_values_are_skipped():
    text = "\n".join([
        "60234100\tcomprimé\t02202\tPARACÉTAMOL\t1000 mg\tun comprimé\tSA\t1",
        "60234100\tcomprimé\t02202\tPARACÉTAMOL\t1000 mg",  # missing columns
        "6023410X\tcomprimé\t02202\tPARACÉTAMOL\t1000 mg\tun comprimé\tSA\t1",  # bad CIS
        "60234100\tcomprimé\t02202\tPARACÉTAMOL\t1000 mg\tun comprimé\tXX\t1",  # bad nature
    ])
    parsed = parse("CIS_COMPO_bdpm.txt", text)
    assert len(parsed.rows) == 1
    assert [p.line for p in parsed.problems] == [2, 3, 4]


def test_unreadable_price_is_reported():
    parsed = parse("CIS_CIP_bdpm.txt", CIP_LINE.replace("4,755,52", "12 euros"))
    assert parsed.rows == [] and "prix" in parsed.problems[0].message


def test_wrong_encoding_utf8_file_is_recognised_not_garbled():
    parsed = parse("CIS_bdpm.txt", CIS_LINE + "\n", encoding="utf-8")
    assert parsed.rows[0][1] == "DOLIPRANE 1000 mg, comprimé"
    assert parsed.encoding == "utf-8"
    assert "UTF-8" in parsed.warnings[0].message


def test_byte_undefined_in_cp1252_is_reported_on_its_line():
    data = (CIS_LINE + "\n").encode("cp1252") + b"60234104\tBAD \x81 NAME\t" + b"\t" * 10 + b"\n"
    parsed = parse_bdpm_bytes(SPECS_BY_NAME["CIS_bdpm.txt"], data)
    assert len(parsed.rows) == 1
    assert parsed.problems[0].line == 2 and "invalide" in parsed.problems[0].message


def test_huge_field_is_reported_and_skipped():
    huge = CIS_LINE.replace("DOLIPRANE 1000 mg, comprimé", "X" * (MAX_FIELD_CHARS + 1))
    parsed = parse("CIS_bdpm.txt", CIS_LINE + "\n" + huge + "\n")
    assert len(parsed.rows) == 1
    assert parsed.problems[0].line == 2 and "démesuré" in parsed.problems[0].message


def test_extra_columns_are_reported():
    parsed = parse("CIS_CPD_bdpm.txt", "60234100\tliste I\tsurplus\n60234100\tliste II\n")
    assert [r[1] for r in parsed.rows] == ["liste II"]
    assert parsed.problems[0].line == 1


@pytest.mark.parametrize("content", [b"", b"\r\n\r\n\n"])
def test_empty_file_refuses_the_import(content: bytes):
    with pytest.raises(ImportFailed, match="vide"):
        parse_release({"CIS_bdpm.txt": content})


def test_file_of_garbage_refuses_the_import():
    garbage = "\n".join(f"ligne {i}\tsans rapport" for i in range(50)).encode()
    with pytest.raises(ImportFailed, match=r"CIS_CPD_bdpm\.txt"):
        parse_release({"CIS_CPD_bdpm.txt": garbage})


def test_the_april_2026_release_parses_line_for_line(bdpm_2026, data_lines):
    files = {path.name: path.read_bytes() for path in sorted(bdpm_2026.iterdir())}
    assert sorted(files) == ["CIS_COMPO_bdpm.txt", "CIS_bdpm.txt"]
    parsed = {table: result for result, table in parse_release(files)}
    assert sorted(parsed) == ["composition", "drug"]
    for name, table in (("CIS_bdpm.txt", "drug"), ("CIS_COMPO_bdpm.txt", "composition")):
        assert parsed[table].problems == []
        assert len(parsed[table].rows) == len(data_lines(files[name]))
    assert len(parsed["drug"].rows) > 15_000  # about 15,800 CIS in April 2026
