"""The YAML reader: positions of every value, and YAML 1.1's surprises made explicit."""

from maintd.config.source import load_yaml

TEXT = """\
timezone: UTC
tasks:
  - name: a
    schedule: {cron: "0 1 * * *"}
  - name: b
"""


def test_every_value_and_key_has_its_line_and_column() -> None:
    data, source_map, problems = load_yaml(TEXT, "c.yaml")
    assert problems == []
    assert data["tasks"][1]["name"] == "b"
    assert source_map.locate(("tasks", 0, "schedule", "cron")) == ("c.yaml", 4, 22)
    assert source_map.locate(("tasks", 1, "name"), prefer_key=True) == ("c.yaml", 5, 5)
    assert source_map.locate(("tasks", 1, "name")) == ("c.yaml", 5, 11)


def test_a_missing_path_is_located_at_its_nearest_ancestor() -> None:
    _, source_map, _ = load_yaml(TEXT, "c.yaml")
    position = source_map.locate(("tasks", 1, "schedule"))
    assert position is not None
    assert (position.line, position.column) == (5, 5)


def test_times_of_day_stay_text_instead_of_becoming_sexagesimal_numbers() -> None:
    data, _, _ = load_yaml("start: 01:30\nratio: 1:30.5\n", "c.yaml")
    assert data == {"start": "01:30", "ratio": "1:30.5"}


def test_only_true_and_false_are_booleans() -> None:
    data, _, _ = load_yaml("a: yes\nb: no\nc: on\nd: true\ne: False\nf: NO\n", "c.yaml")
    assert data == {"a": "yes", "b": "no", "c": "on", "d": True, "e": False, "f": "NO"}


def test_numbers_dates_and_nulls_keep_their_yaml_types() -> None:
    data, _, _ = load_yaml("a: 5\nb: 2.5\nc: 2027-02-05\nd: ~\ne: '5'\n", "c.yaml")
    assert data["a"] == 5 and data["b"] == 2.5 and data["d"] is None and data["e"] == "5"
    assert data["c"].isoformat() == "2027-02-05"


def test_a_key_given_twice_is_an_error_naming_the_first_line() -> None:
    _, _, problems = load_yaml("hosts:\n  db1: {}\n  db1: {}\n", "c.yaml")
    assert [str(problem) for problem in problems] == [
        "c.yaml:3:3: hosts.db1: duplicate key (first given on line 2)"
    ]


def test_merge_keys_let_a_mapping_override_what_it_merges() -> None:
    text = "base: &b {user: a, port: 22}\nhost: {<<: *b, port: 2222}\n"
    data, _, problems = load_yaml(text, "c.yaml")
    assert problems == []
    assert data["host"] == {"user": "a", "port": 2222}


def test_a_syntax_error_is_one_problem_with_its_position() -> None:
    data, _, problems = load_yaml("tasks:\n  - name: a\n   bad: [\n", "c.yaml")
    assert data is None
    assert len(problems) == 1
    assert problems[0].file == "c.yaml" and problems[0].line is not None
    assert problems[0].message.startswith("YAML syntax:")


def test_an_unquoted_cron_star_is_reported_not_raised() -> None:
    _, _, problems = load_yaml("schedule: {cron: * * * * *}\n", "c.yaml")
    assert len(problems) == 1 and problems[0].line == 1


def test_an_empty_file_is_no_data() -> None:
    data, _, problems = load_yaml("# only a comment\n", "c.yaml")
    assert data is None and problems == []


def test_python_tags_are_refused_not_executed() -> None:
    _, _, problems = load_yaml("a: !!python/object/apply:os.system ['true']\n", "c.yaml")
    assert problems and "cannot read this value" in problems[0].message
