"""The technology transfer market's resource libraries."""
