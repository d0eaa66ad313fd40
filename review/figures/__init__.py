"""The queries behind every province and ministry figure, in one place: the province's progress
(province), the national overview and published tables (national) and yearly reporting
(reporting). Each counting basis itself is a Commitment queryset method (tasks.models)."""
