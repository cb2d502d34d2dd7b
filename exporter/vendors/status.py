"""The status of every vendor source as Prometheus gauges: up, last success and errors from the
pollers, the newest and pending days and the month to date from the day store, and whatever
current state a source shows of its own (Cursor's members and cycle spend)."""

from collections.abc import Callable, Iterator
from datetime import date

from prometheus_client.registry import Collector

from agent_analytics.exporter.vendors.days import VendorDays
from agent_analytics.exporter.vendors.figures import day_start, utc_today
from agent_analytics.exporter.vendors.poller import VendorPoller
from agent_analytics.vocabulary import series as s


class VendorStatusExposition(Collector):
    """The status metrics of every vendor source, from the pollers and the day store."""

    def __init__(self, pollers: list[VendorPoller], store: VendorDays, today: Callable[[], date] = utc_today):
        self.pollers = pollers
        self.store = store
        self._today = today

    def collect(self) -> Iterator:
        up, success, errors, newest, pending, month = (
            x.family()
            for x in (
                s.VENDOR_UP,
                s.VENDOR_LAST_SUCCESS,
                s.VENDOR_ERRORS,
                s.VENDOR_NEWEST_DAY,
                s.VENDOR_DAYS_PENDING,
                s.VENDOR_MONTH_TO_DATE,
            )
        )
        for p in self.pollers:
            is_up, last_success, by_reason = p.status()
            up.add_metric([p.name], is_up)
            if last_success is not None:
                success.add_metric([p.name], last_success)
            for reason, n in sorted(by_reason.items()):
                errors.add_metric([p.name, reason], n)
        newest_days = self.store.newest_day()
        pending_days = self.store.days_pending()
        for p in self.pollers:
            if p.name in newest_days:
                newest.add_metric([p.name], day_start(newest_days[p.name]).timestamp())
            pending.add_metric([p.name], pending_days.get(p.name, 0))
        for labels, usd in sorted(self.store.month_to_date_usd(self._today()).items()):
            month.add_metric(list(labels), usd)
        yield from (up, success, errors, newest, pending, month)
        for p in self.pollers:
            extra = p.source_gauges()
            if extra is not None:
                yield from extra.collect()
