"""Schemathesis hooks for scripts/fuzz.sh.

`positive_data_acceptance_except_state` is schemathesis' positive-data acceptance check (a
request the schema calls valid must not be refused), except for refusals that depend on what
is stored or on who asks, which no schema can say: a 422 whose every error is one of
`STATEFUL` (a referenced id with no such record, a `current_password` that is not the
account's, a `client_id` that staff and admins must give and clients must not), and a Stripe
webhook whose signature the secret did not make. Rules JSON Schema cannot state are listed
too: comparisons between two fields (an end after its start) or two items of a list (a
weekly schedule's intervals must not overlap) or with a stored price (a line's
discount at most its amount), and a voice synonym's phrase needing a letter or digit of any
script (JSON Schema patterns have no Unicode classes that Python's `re` also reads). Any other 4xx to a
schema-valid request still fails the run, with the same messages as the built-in check."""

import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance


def _refused_for_stored_state(response) -> bool:
    try:
        body = response.json()
    except Exception:
        return False
    if not isinstance(body, dict):
        return False
    if response.status_code == 400 and body.get("type") == "/problems/invalid-signature":
        return True
    errors = body.get("errors") or []
    if response.status_code != 422 or body.get("type") != "/problems/validation" or not errors:
        return False
    return all(
        str(e.get("message", "")).startswith("no such ")
        or (e.get("field"), e.get("message")) in STATEFUL
        or (str(e.get("field", "")).rsplit(".", 1)[-1], e.get("message")) in INDEXED
        or str(e.get("message", "")).startswith(BETWEEN_ITEMS)
        for e in errors
    )


STATEFUL = {
    ("current_password", "is not correct"),
    ("client_id", "is required when staff or admins book"),
    ("client_id", "is required when staff or admins book, move or cancel"),
    ("phrase", "must contain a letter or a digit"),
    ("end_at", "must be after start_at"),
    ("end_at", "time off may last at most 366 days per entry"),
}
# The same rules at an indexed field (`lines[0].discount_cents`, `intervals[2].end`).
INDEXED = {
    ("discount_cents", "is more than the line's amount"),
    ("end", "must be after start"),
    ("sku", "this product is deactivated"),
}

# Rules between the items of one array (`intervals[0]` "overlaps intervals[1]").
BETWEEN_ITEMS = ("overlaps ",)


@schemathesis.check
def positive_data_acceptance_except_state(ctx, response, case):
    if _refused_for_stored_state(response):
        return True
    return positive_data_acceptance(ctx, response, case)
