"""Google-style docstring parsing: what ends up in a tool's description and parameter docs."""

from lightclaw.tools import parse_docstring


def test_summary_description_and_args_are_separated() -> None:
    doc = parse_docstring(
        """Convert a distance.

        Works for road and air distances.

        Args:
            value: The quantity.
            unit (str): Unit of the value,
                given as a short code.
            **extra: Ignored options.

        Returns:
            The converted value.

        Raises:
            ValueError: never.
        """
    )
    assert doc.description == "Convert a distance.\n\nWorks for road and air distances."
    assert doc.params == {
        "value": "The quantity.",
        "unit": "Unit of the value, given as a short code.",
        "extra": "Ignored options.",
    }


def test_arguments_header_and_description_on_following_line() -> None:
    doc = parse_docstring(
        """Look something up.

        Arguments:
            key:
                The key to find.

                Case-sensitive.
            limit: How many.
        """
    )
    assert doc.params == {"key": "The key to find.\n\nCase-sensitive.", "limit": "How many."}
    assert doc.description == "Look something up."


def test_missing_or_empty_docstring() -> None:
    assert parse_docstring(None).description == ""
    assert parse_docstring("   ").params == {}


def test_inline_note_is_prose_but_inline_returns_is_a_section() -> None:
    doc = parse_docstring(
        """Do it.

        Note: this is slow.
        Returns: nothing useful.
        """
    )
    assert doc.description == "Do it.\n\nNote: this is slow."


def test_unknown_layout_is_all_description() -> None:
    doc = parse_docstring("Line one\nline two\n\nparam x is the thing")
    assert doc.description == "Line one\nline two\n\nparam x is the thing"
    assert doc.params == {}
