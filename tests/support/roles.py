"""The API's roles matrix: which role may call which endpoint (docs/collector.md)."""

ROLES = ("anonymous", "unknown", "kiosk", "staff", "staff_other", "office", "admin")

# (method, path template, expected status per role in ROLES order)
OK, NO, ANON = 200, 403, 401
MATRIX = [
    ("POST", "/api/v1/batches", (ANON, ANON, OK, NO, NO, NO, NO)),
    ("GET", "/api/v1/survey", (ANON, ANON, OK, NO, NO, NO, NO)),
    ("GET", "/api/v1/stores", (ANON, ANON, NO, OK, OK, OK, OK)),
    ("GET", "/api/v1/stores/{store}", (ANON, ANON, NO, OK, NO, OK, OK)),
    ("GET", "/api/v1/stores/{store}/daily", (ANON, ANON, NO, OK, NO, OK, OK)),
    ("GET", "/api/v1/stores/{store}/summary", (ANON, ANON, NO, OK, NO, OK, OK)),
    ("GET", "/api/v1/stores/{store}/heatmap", (ANON, ANON, NO, OK, NO, OK, OK)),
    ("GET", "/api/v1/stores/{store}/reasons", (ANON, ANON, NO, OK, NO, OK, OK)),
    ("GET", "/api/v1/stores/{store}/kiosks", (ANON, ANON, NO, OK, NO, OK, OK)),
    ("GET", "/api/v1/stores/{store}/survey", (ANON, ANON, NO, OK, NO, OK, OK)),
    ("GET", "/api/v1/ranking", (ANON, ANON, NO, NO, NO, OK, OK)),
    ("GET", "/api/v1/export/ratings", (ANON, ANON, NO, NO, NO, OK, OK)),
    ("GET", "/api/v1/export/daily", (ANON, ANON, NO, NO, NO, OK, OK)),
    ("POST", "/api/v1/stores", (ANON, ANON, NO, NO, NO, NO, 201)),
    ("POST", "/api/v1/stores/{store}/kiosks", (ANON, ANON, NO, NO, NO, NO, 201)),
    ("PUT", "/api/v1/stores/{store}/survey", (ANON, ANON, NO, NO, NO, NO, OK)),
    ("POST", "/api/v1/tokens", (ANON, ANON, NO, NO, NO, NO, 201)),
    ("GET", "/api/v1/tokens", (ANON, ANON, NO, NO, NO, NO, OK)),
    ("DELETE", "/api/v1/tokens/{token_id}", (ANON, ANON, NO, NO, NO, NO, 204)),
]
