"""Series per active developer stay bounded with every agent sending: more sessions (new session,
install and process ids, as each new run of a client brings) add to the totals, never series."""

from tests.collector.agent_fixtures import (
    CLAUDE_2_1_332,
    CLAUDE_TOKENS,
    CODEX,
    CODEX_TOKENS,
    COPILOT,
    GEMINI,
    IdentityRewriter,
    copilot_truth,
    gemini_truth,
    send_session,
    sessions,
)
from tests.collector.test_agents_replay import assert_no_per_session_labels, total
from tests.support.scrape import scrape

AGENTS = {"claude-code": CLAUDE_2_1_332, "gemini-cli": GEMINI, "codex": CODEX, "copilot-cli": COPILOT}
ROUNDS = 3


def replay_everything(service) -> None:
    """Every recorded session of every agent once, each with ids of its own."""
    for folder in AGENTS.values():
        for session in sessions(folder):
            send_session(service, folder, session, rewrite=IdentityRewriter())


def test_series_do_not_grow_with_sessions(start_collector):
    service = start_collector()
    replay_everything(service)
    first = scrape(service).series()
    for _ in range(ROUNDS - 1):
        replay_everything(service)
    last = scrape(service).series()

    def series(samples):
        return {key for key in samples if not key[0].startswith("agent_analytics_collector_")}

    assert series(last) == series(first)
    assert not any(("otel_metric_overflow", "true") in labels for _, labels in last)
    assert_no_per_session_labels(last)

    # the totals are ROUNDS times one round's ground truth
    assert total(last, "claude_code_token_usage_tokens_total", type="input") == ROUNDS * CLAUDE_TOKENS["input"]
    gemini_input = sum(gemini_truth(s)["tokens_by_type"]["input"] for s in sessions(GEMINI))
    assert total(last, "gemini_cli_token_usage_total", type="input") == ROUNDS * gemini_input
    codex_input = sum(CODEX_TOKENS[s]["input"] for s in sessions(CODEX))
    assert total(last, "codex_turn_token_usage_sum", token_type="input") == ROUNDS * codex_input
    copilot_input = sum(copilot_truth(s)["input"] for s in sessions(COPILOT))
    assert total(last, "gen_ai_client_inference_usage_input_tokens_total") == ROUNDS * copilot_input
