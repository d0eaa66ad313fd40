"""Path converters for the codes in URLs, so that a malformed code is a 404 before any query
runs. Importing this module registers them (once: Django deprecates registering twice)."""

from django.urls import register_converter


class _Code:
    regex = ""

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class SchoolCode(_Code):
    """学校标识码: 10 ASCII digits."""

    regex = "[0-9]{10}"


class ProvinceCode(_Code):
    """A provincial unit's national code: 2 ASCII digits."""

    regex = "[0-9]{2}"


register_converter(SchoolCode, "school_code")
register_converter(ProvinceCode, "province_code")
