"""A stand-in for OpenAI's organization APIs (users, completions usage, costs) over a real socket.

Bearer admin key. Usage and costs come as day buckets from `start_time` to `end_time` (unix
seconds, end excluded), each with its records added up by the requested `group_by[]` keys (the
others null), narrowed by `project_ids[]`; at most `max_buckets_per_page` buckets a page, the
rest behind `next_page`. Users are paged by `limit` and `after`. Costs are in dollars.
"""

from datetime import UTC, date, datetime, timedelta

from . import Reply, StandIn

USAGE_KEYS = ("user_id", "model", "project_id", "api_key_id", "batch")
USAGE_COUNTS = ("input_tokens", "output_tokens", "input_cached_tokens", "num_model_requests")
COST_KEYS = ("project_id", "line_item", "api_key_id")


def day_of(unix: int) -> date:
    return datetime.fromtimestamp(unix, UTC).date()


def unix_of(day: date) -> int:
    return int(datetime.combine(day, datetime.min.time(), UTC).timestamp())


class FakeOpenAI(StandIn):
    def __init__(self, key: str, max_buckets_per_page: int = 31, max_users_per_page: int = 100):
        super().__init__()
        self.key = key
        self.max_buckets_per_page = max_buckets_per_page
        self.max_users_per_page = max_users_per_page
        self.users: list[dict] = []  # {id, email, name, role}
        self.usage: list[dict] = []  # {day, user_id, model, project_id, api_key_id, <USAGE_COUNTS>}
        self.costs: list[dict] = []  # {day, project_id, line_item, value (dollars)}

    def authorised(self, headers: dict[str, str]) -> bool:
        return headers.get("authorization") == f"Bearer {self.key}"

    def answer(self, method, path, query, headers, body) -> Reply:
        if method != "GET":
            return Reply(405, {"error": {"message": "method not allowed"}})
        if path == "/v1/organization/users":
            return self._users(query)
        if path == "/v1/organization/usage/completions":
            return self._buckets(query, self.usage, USAGE_KEYS, self._usage_result)
        if path == "/v1/organization/costs":
            return self._buckets(query, self.costs, COST_KEYS, self._cost_result)
        return Reply(404, {"error": {"message": "not found"}})

    def _users(self, query) -> Reply:
        limit = min(int(query.get("limit", ["20"])[0]), self.max_users_per_page)
        after = query.get("after", [None])[0]
        start = 0 if after is None else next(i for i, u in enumerate(self.users) if u["id"] == after) + 1
        page = self.users[start : start + limit]
        data = [{"object": "organization.user", "added_at": 1_700_000_000, **u} for u in page]
        return Reply(
            200,
            {
                "object": "list",
                "data": data,
                "first_id": page[0]["id"] if page else None,
                "last_id": page[-1]["id"] if page else None,
                "has_more": start + limit < len(self.users),
            },
        )

    @staticmethod
    def _usage_result(key: dict, rows: list[dict]) -> dict:
        sums = {c: sum(r.get(c, 0) for r in rows) for c in USAGE_COUNTS}
        return {"object": "organization.usage.completions.result", **sums, **key}

    @staticmethod
    def _cost_result(key: dict, rows: list[dict]) -> dict:
        value = sum(r["value"] for r in rows)
        return {"object": "organization.costs.result", "amount": {"value": value, "currency": "usd"}, **key}

    def _buckets(self, query, records: list[dict], keys: tuple[str, ...], result) -> Reply:
        if query.get("bucket_width", ["1d"])[0] != "1d":
            return Reply(400, {"error": {"message": "this stand-in serves day buckets only"}})
        first, end = day_of(int(query["start_time"][0])), day_of(int(query["end_time"][0]))
        group_by = [g for g in query.get("group_by[]", []) if g in keys]
        projects = set(query.get("project_ids[]", []))
        days = [first + timedelta(days=n) for n in range((end - first).days)]
        skip = int(query.get("page", ["page_0"])[0].removeprefix("page_"))
        size = min(int(query.get("limit", ["7"])[0]), self.max_buckets_per_page)
        shown = days[skip : skip + size]
        data = []
        for day in shown:
            groups: dict[tuple, list[dict]] = {}
            for r in records:
                if r["day"] == day and (not projects or r.get("project_id") in projects):
                    groups.setdefault(tuple(r.get(g) for g in group_by), []).append(r)
            results = [result(result_keys(keys, group_by, g), rows) for g, rows in groups.items()]
            data.append(
                {
                    "object": "bucket",
                    "start_time": unix_of(day),
                    "end_time": unix_of(day + timedelta(days=1)),
                    "results": results,
                }
            )
        more = skip + size < len(days)
        return Reply(
            200,
            {"object": "page", "data": data, "has_more": more, "next_page": f"page_{skip + size}" if more else None},
        )


def result_keys(keys: tuple[str, ...], group_by: list[str], values: tuple) -> dict[str, object]:
    """Every key of a result: the grouped ones with their values, the others null."""
    given = dict(zip(group_by, values, strict=True))
    return {k: given.get(k) for k in keys}
