"""The multi-service trace every reporter test sends: frontend -> checkout -> payments.

Each client driver (clients/*.py) runs two checkouts through real instrumentation:

  "ok"   : every hop answers 200.
  "fail" : payments declines the card: its SERVER span gets http.status_code=500 and
           an `error` tag, takes >= 500 ms longer, and its local "Authorize Card" span
           records an extra "card.declined" event; checkout's CLIENT span records the
           500, checkout and frontend answer 502.

Names are sent in mixed case on purpose: Zipkin lower-cases span and service names.
"""

FRONTEND, CHECKOUT, PAYMENTS, LEDGER_DB = "Frontend", "Checkout", "Payments", "Ledger-DB"

# host, port of each service's local endpoint (data inside spans, never contacted)
HOSTS = {
    FRONTEND: ("127.0.0.1", 8080),
    CHECKOUT: ("2001:db8::c001", 8081),
    PAYMENTS: ("127.0.0.3", 8082),
    LEDGER_DB: ("127.0.0.4", 5432),
}

FE_SERVER = "GET /Cart/Checkout"
FE_CLIENT = "POST /Orders"
CO_SERVER = "POST /Orders"
CO_CLIENT = "POST /Charges"
PAY_SERVER = "POST /Charges"
PAY_LOCAL = "Authorize Card"
PAY_DB_CLIENT = "INSERT Ledger"      # py_zipkin only: a CLIENT span to an uninstrumented DB

FRAUD_EVENT = "fraud.check"           # on PAY_LOCAL in both traces
DECLINED_EVENT = "card.declined"      # on PAY_LOCAL in the "fail" trace only
ERROR_MESSAGE = "card declined"
# Far above the few hundred ms a cold first "ok" checkout can take on a loaded 2-core machine.
FAIL_DELAY_S = 0.5

INSTRUMENTATION_NAME = "lookout-integration-shop"
INSTRUMENTATION_VERSION = "1.0.0"


def status_codes(fail: bool) -> dict[str, int]:
    """http.status_code recorded by each span, by role."""
    return {
        "frontend": 502 if fail else 200,   # FE_SERVER and FE_CLIENT
        "checkout_server": 502 if fail else 200,
        "checkout_client": 500 if fail else 200,
        "payments": 500 if fail else 200,
    }


# (lower-cased service, kind, lower-cased name) of every span of one trace, per client family.
OTEL_SHAPE = sorted([
    ("frontend", "SERVER", FE_SERVER.lower()),
    ("frontend", "CLIENT", FE_CLIENT.lower()),
    ("checkout", "SERVER", CO_SERVER.lower()),
    ("checkout", "CLIENT", CO_CLIENT.lower()),
    ("payments", "SERVER", PAY_SERVER.lower()),
    ("payments", "", PAY_LOCAL.lower()),
])
PYZIPKIN_SHAPE = sorted(OTEL_SHAPE + [("payments", "CLIENT", PAY_DB_CLIENT.lower())])
