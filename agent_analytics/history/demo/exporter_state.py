"""What the demo organisation's exporter shows at every step besides commits: the gauges of its
config (budgets, seat prices, paid seats, ROI), each vendor source up and holding yesterday, the
token prices of the agents without a cost in their telemetry, and whose spend counts."""

from agent_analytics.vocabulary import series as s
from agent_analytics.vocabulary.spend import SPEND_SOURCE_AGENTS
from agent_analytics.vocabulary.token_prices import priced_agents, token_type_prices

from .codex import MODEL as CODEX_MODEL
from .gemini_cli import MODELS as GEMINI_MODELS
from .history import DemoHistory
from .organisation import BUDGETS_USD, EXPORTER_JOB, ROI, SEAT_PRICES_USD, Developer
from .vendors import DAY, SOURCES

PRICED_MODELS = {"gemini-cli": tuple(m for m, _ in GEMINI_MODELS), "codex": (CODEX_MODEL,)}


def config_gauges(h: DemoHistory, t: int, teams: list[str], developers: list[Developer]) -> None:
    for team in teams:
        h.set(s.BUDGET_MONTHLY, {"team_id": team, **EXPORTER_JOB}, t, BUDGETS_USD[team])
    for agent, price in SEAT_PRICES_USD.items():
        h.set(s.SEAT_PRICE, {"agent": agent, **EXPORTER_JOB}, t, price)
    cursor_seats = sum(1 for d in developers if d.other_agent == "cursor") + 1
    h.set(s.SEATS_PAID, {"agent": "cursor", **EXPORTER_JOB}, t, cursor_seats)
    for key, value in ROI.items():
        h.set(s.ROI_SETTINGS[key], EXPORTER_JOB, t, value)


def vendor_and_price_gauges(h: DemoHistory, t: int) -> None:
    for source in SOURCES:
        status = {"source": source, **EXPORTER_JOB}
        h.set(s.VENDOR_UP, status, t, 1)
        h.set(s.VENDOR_LAST_SUCCESS, status, t, t - 600)
        h.set(s.VENDOR_NEWEST_DAY, status, t, t // DAY * DAY - DAY)
        h.set(s.VENDOR_DAYS_PENDING, status, t, 0)
    for agent, models in PRICED_MODELS.items():
        type_label = priced_agents()[agent].type_label
        for model in models:
            for token_type, price in token_type_prices(agent, model).items():
                h.set(s.TOKEN_PRICE, {"agent": agent, "model": model, type_label: token_type, **EXPORTER_JOB}, t, price)
    for agent in SPEND_SOURCE_AGENTS:
        h.set(s.SPEND_SOURCE, {"agent": agent, "source": "auto", **EXPORTER_JOB}, t, 1)
