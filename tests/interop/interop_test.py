"""Interop test: a fengqiao node driven by a third-party gRPC implementation.

Python grpcio, with stubs that grpcio-tools generated from proto/ (see
gen_stubs.sh), talks to a real `fengqiao node` over mTLS: health, server
reflection, a daily report and its correction, a zero report, a weekly
summary, and errors that must map to the documented status codes. Run it
through tests/interop/run.sh, which builds the virtualenv and the stubs:

    tests/interop/run.sh [path/to/fengqiao]

Every check is named as it runs; the last line is "interop: N checks passed"
(exit 0) or "interop: K of N checks failed" (exit 1). The node is stopped
with SIGTERM at the end, also on failure, and must exit 0.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Callable

import grpc
from google.protobuf import descriptor_pool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from fengqiao.v1 import (
    cases_pb2,
    downlink_pb2,
    node_pb2,
    organization_pb2,
    node_pb2_grpc,
    organization_pb2,
    reconcile_pb2,
    reporting_pb2,
    reporting_pb2_grpc,
    summary_pb2,
    summary_pb2_grpc,
    types_pb2,
    units_pb2,
    uplink_pb2,
    weekly_pb2,
)

# The node under test serves township 马庄街道 and everything below it.
HOME = "410411001"
COMMUNITY = "410411001001"  # 电力社区居民委员会
GROUP = "410411001001001"  # its 1号楼: the reporter's unit
SIBLING_GROUP = "410411001001002"  # its 2号楼: files the zero report
OTHER_TOWNSHIP_UNIT = "410411002001"  # in the district, outside this node's tree
TIME_ZONE = "Asia/Shanghai"
CALL_TIMEOUT = 10.0
START_TIMEOUT = 60.0

FENGQIAO_SERVICES = {
    f"fengqiao.v1.{name}"
    for name in (
        "ReportingService",
        "UnitService",
        "UplinkService",
        "DownlinkService",
        "NodeService",
        "SummaryService",
        "CaseService",
        "ReconcileService",
        "WeeklyService",
        "DepartmentService",
        "ContactService",
    )
}
# The generated modules that define those services, for comparing schemas.
SERVICE_MODULES = (
    cases_pb2,
    downlink_pb2,
    node_pb2,
    organization_pb2,
    reconcile_pb2,
    reporting_pb2,
    summary_pb2,
    units_pb2,
    uplink_pb2,
    weekly_pb2,
)


class Failure(Exception):
    """A check whose answer was not the expected one."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise Failure(message)


def expect_eq(actual, expected, what: str) -> None:
    if actual != expected:
        raise Failure(f"{what}: expected {expected!r}, got {actual!r}")


def expect_code(call, code: grpc.StatusCode, contains: str | None = None) -> grpc.RpcError:
    """Runs `call`, which must fail with `code` (and a message containing `contains`)."""
    try:
        answer = call()
    except grpc.RpcError as error:
        if error.code() != code:
            raise Failure(f"expected {code.name}, got {error.code().name}: {error.details()}") from None
        if contains is not None and contains not in (error.details() or ""):
            raise Failure(f"{code.name} as expected, but the message {error.details()!r} lacks {contains!r}")
        return error
    raise Failure(f"expected {code.name}, got OK: {answer}")


class Checks:
    """Runs named checks, keeps going after a failure, and tallies them."""

    def __init__(self) -> None:
        self.passed = 0
        self.failed: list[str] = []

    def run(self, name: str, function) -> None:
        try:
            function()
        except Failure as failure:
            self.failed.append(name)
            print(f"FAIL  {name}: {failure}", flush=True)
        except grpc.RpcError as error:
            self.failed.append(name)
            print(f"FAIL  {name}: unexpected {error.code().name}: {error.details()}", flush=True)
        except Exception:  # a bug in the check itself still counts as a failure
            self.failed.append(name)
            print(f"FAIL  {name}: {traceback.format_exc()}", flush=True)
        else:
            self.passed += 1
            print(f"ok    {name}", flush=True)

    def summary(self) -> str:
        total = self.passed + len(self.failed)
        if self.failed:
            return f"interop: {len(self.failed)} of {total} checks failed ({', '.join(self.failed)})"
        return f"interop: {total} checks passed"


def local_today() -> dt.date:
    try:
        from zoneinfo import ZoneInfo

        zone = ZoneInfo(TIME_ZONE)
    except Exception:  # no tz database on the machine: China has kept UTC+8 without DST since 1991
        zone = dt.timezone(dt.timedelta(hours=8))
    return dt.datetime.now(zone).date()


def method_shapes(service) -> list[tuple]:
    """What a client relies on of a service: each method's name, types and streaming."""
    return sorted(
        (m.name, m.input_type.full_name, m.output_type.full_name, m.client_streaming, m.server_streaming)
        for m in service.methods
    )


def field_shapes(message) -> list[tuple]:
    """What the wire relies on of a message: each field's number, name, type and cardinality."""
    return sorted(
        (f.number, f.name, f.type, f.is_repeated, f.message_type and f.message_type.full_name,
         f.enum_type and f.enum_type.full_name)
        for f in message.fields
    )


def read_tree(tree_csv: Path) -> dict[str, dict[str, str]]:
    with tree_csv.open(encoding="utf-8") as file:
        return {row["code"]: row for row in csv.DictReader(file)}


def subtree(rows: dict[str, dict[str, str]], root: str) -> list[str]:
    """The codes of `root` and every unit below it in the tree file."""

    def under(code: str) -> bool:
        while code:
            if code == root:
                return True
            code = rows[code]["parent_code"] if code in rows else ""
        return False

    return [code for code in rows if under(code)]


def expected_reports(tree_csv: Path, root: str, days: list[dt.date]) -> int:
    """(Reporting unit, day) pairs of `root`'s subtree per the tree file: a
    unit counts on the days it is open (active_from and active_to inclusive)."""
    rows = read_tree(tree_csv)
    expected = 0
    for code in subtree(rows, root):
        row = rows[code]
        if (row.get("reporting") or "true").strip().lower() == "false":
            continue
        if row.get("moves"):
            raise Failure(f"unit {code} has moved; this count does not follow moves")
        opens = dt.date.fromisoformat(row["active_from"]) if row.get("active_from") else dt.date.min
        closes = dt.date.fromisoformat(row["active_to"]) if row.get("active_to") else dt.date.max
        expected += sum(1 for day in days if opens <= day <= closes)
    return expected


class Pki:
    """A deployment CA and the certificates of the node and its callers."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary = binary
        self.directory = directory
        self.ca = directory / "ca"
        self.certs = directory / "certs"
        self.certs.mkdir(parents=True)
        fengqiao(binary, "ca", "init", "--dir", str(self.ca))

    def issue(self, name: str, unit: str, person: str | None = None, role: str | None = None) -> Path:
        prefix = self.certs / name
        args = ["ca", "issue", "--ca-dir", str(self.ca), "--unit", unit, "--out", str(prefix)]
        if person is not None:
            args += ["--person", person, "--role", role]
        fengqiao(self.binary, *args)
        return prefix

    def credentials(self, prefix: Path | None) -> grpc.ChannelCredentials:
        root = (self.ca / "ca.pem").read_bytes()
        if prefix is None:
            return grpc.ssl_channel_credentials(root_certificates=root)
        return grpc.ssl_channel_credentials(
            root_certificates=root,
            private_key=Path(f"{prefix}-key.pem").read_bytes(),
            certificate_chain=Path(f"{prefix}.pem").read_bytes(),
        )


def fengqiao(binary: str, *args: str) -> None:
    result = subprocess.run([binary, *args], capture_output=True, text=True, env=clean_env())
    if result.returncode != 0:
        raise RuntimeError(f"fengqiao {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")


def clean_env() -> dict[str, str]:
    """The environment without FENGQIAO_* settings that could reconfigure the node."""
    return {key: value for key, value in os.environ.items() if not key.startswith("FENGQIAO")}


class NodeProcess:
    """`fengqiao node` in a child process; its stderr goes to a log file."""

    def __init__(self, binary: str, args: list[str], log: Path) -> None:
        self.log = log
        self._log_file = log.open("w")
        self.process = subprocess.Popen(
            [binary, "node", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            text=True,
            env=clean_env(),
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)

    def first_line(self, timeout: float) -> str:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError(f"the node printed nothing within {timeout:.0f} s") from None
        if line is None:
            raise RuntimeError(f"the node exited ({self.process.wait()}) before serving")
        return line

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, then SIGKILL after `timeout`; answers the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()
        return self.process.returncode


class Scenario:
    def __init__(self, binary: str, repo: Path, work: Path) -> None:
        self.binary = binary
        self.repo = repo
        self.work = work
        self.tree = repo / "deploy" / "zhanhe-410411.csv"
        self.units = len(subtree(read_tree(self.tree), HOME))
        self.day = local_today() - dt.timedelta(days=1)  # its cut-off has passed: a due day
        year, week, _ = self.day.isocalendar()
        self.week = f"{year}-W{week:02d}"
        self.monday = self.day - dt.timedelta(days=self.day.weekday())
        self.node: NodeProcess | None = None
        self.address = ""
        self.channels: list[grpc.Channel] = []

    # ---- set-up -------------------------------------------------------

    def start(self) -> None:
        self.pki = Pki(self.binary, self.work)
        node_cert = self.pki.issue("node", HOME)
        self.reporter = self.pki.issue("reporter", GROUP, "rep-0001", "reporter")
        self.officer = self.pki.issue("officer", HOME, "off-0001", "officer")
        self.admin = self.pki.issue("admin", HOME, "adm-0001", "admin")
        other = Pki(self.binary, self.work / "other-deployment")
        self.stranger = other.issue("officer", HOME, "off-0001", "officer")
        self.node = NodeProcess(
            self.binary,
            [
                "--unit", HOME,
                "--tree", str(self.tree),
                "--db", f"sqlite://{self.work / 'node.db'}",
                "--listen", "127.0.0.1:0",
                "--ca", str(self.pki.ca / "ca.pem"),
                "--cert", f"{node_cert}.pem",
                "--key", f"{node_cert}-key.pem",
                "--time-zone", TIME_ZONE,
                # Go-live long before any day this test reports for.
                "--start-date", "2020-01-01",
            ],
            self.work / "node.log",
        )
        self.first_line = self.node.first_line(START_TIMEOUT)
        match = re.match(r"fengqiao node (\S+) serving (\d+) units on (\S+) \((.*)\)$", self.first_line)
        if not match:
            raise RuntimeError(f"unexpected first line from the node: {self.first_line!r}")
        self.served = (match.group(1), int(match.group(2)), match.group(4))
        self.address = match.group(3)

    def channel(self, prefix: Path | None) -> grpc.Channel:
        """A channel as the holder of the certificate `prefix` (None: no client certificate)."""
        channel = grpc.secure_channel(self.address, self.pki.credentials(prefix))
        self.channels.append(channel)
        return channel

    def stop(self) -> int | None:
        for channel in self.channels:
            channel.close()
        if self.node is None:
            return None
        return self.node.stop()

    # ---- the reports --------------------------------------------------

    def report(self, revision: int, disputes: list[types_pb2.Dispute], reason: str = "", unit: str = GROUP,
               date: str | None = None) -> reporting_pb2.SubmitDailyReportRequest:
        return reporting_pb2.SubmitDailyReportRequest(
            report=types_pb2.DailyReport(
                unit_id=unit,
                date=date if date is not None else self.day.isoformat(),
                revision=revision,
                # No reporter: the node files the report under the caller's
                # certificate (naming anybody else is PERMISSION_DENIED).
                zero=not disputes,
                disputes=disputes,
                correction_reason=reason,
            )
        )

    @staticmethod
    def land_dispute() -> types_pb2.Dispute:
        return types_pb2.Dispute(
            local_id="d1",
            category=types_pb2.DISPUTE_CATEGORY_LAND,
            outcome=types_pb2.DISPUTE_OUTCOME_MEDIATING,
            parties=2,
            summary="Boundary of two plots behind building 1",
        )

    @staticmethod
    def corrected_disputes() -> list[types_pb2.Dispute]:
        return [
            types_pb2.Dispute(
                local_id="d1",
                category=types_pb2.DISPUTE_CATEGORY_NEIGHBOUR,
                outcome=types_pb2.DISPUTE_OUTCOME_RESOLVED_ON_THE_SPOT,
                parties=2,
                summary="Water leaking into the flat below; fixed the same day",
            ),
            types_pb2.Dispute(
                local_id="d2",
                category=types_pb2.DISPUTE_CATEGORY_WAGE_ARREARS,
                outcome=types_pb2.DISPUTE_OUTCOME_MEDIATING,
                parties=2,
                summary="Site crew owed two months of wages",
                wage_arrears=types_pb2.WageArrears(
                    employer="Pingdingshan Example Construction Co.",
                    workers=12,
                    amount_claimed_cents=3_600_000,
                ),
            ),
        ]

    # ---- the checks ---------------------------------------------------

    def checks(self) -> list[tuple[str, Callable[[], None]]]:
        return [
            ("node serves its township over mTLS", self.check_started),
            ("health: SERVING for the node and every fengqiao.v1 service", self.check_health),
            ("health: NOT_FOUND for a service the node does not serve", self.check_health_unknown),
            ("reflection lists every fengqiao.v1 service, health and reflection", self.check_reflection_list),
            ("reflection serves the same schema as proto/", self.check_reflection_schema),
            ("mTLS: a client without a certificate is refused", self.check_no_client_cert),
            ("mTLS: a certificate of another CA is refused", self.check_foreign_ca),
            ("reporter submits revision 1: NEW, late", self.check_submit),
            ("the same revision again: DUPLICATE", self.check_duplicate),
            ("revision 1 with other content: ABORTED", self.check_conflict),
            ("reporter corrects with revision 2: CORRECTION replacing 1", self.check_correction),
            ("revision 1 after the correction: FAILED_PRECONDITION", self.check_stale_revision),
            ("GetDailyReport: revision 2 current, history 1 and 2", self.check_get_report),
            ("officer files a zero report for another group", self.check_zero_report),
            ("officer's weekly summary counts the corrected report and the zero report", self.check_weekly_summary),
            ("admin's weekly summary and node status", self.check_admin),
            ("DrillDown zero_reports names the zero report", self.check_drill_down),
            ("reporter filing for a sibling unit: PERMISSION_DENIED", self.check_sibling_denied),
            ("reporter asking for a summary: PERMISSION_DENIED", self.check_reporter_summary_denied),
            ("a unit outside the node's tree: PERMISSION_DENIED", self.check_outside_tree),
            ("a malformed date: INVALID_ARGUMENT naming report.date", self.check_bad_date),
            ("a malformed ISO week: INVALID_ARGUMENT naming iso_week", self.check_bad_week),
            ("a report never filed: NOT_FOUND", self.check_missing_report),
        ]

    def check_started(self) -> None:
        unit, units, mode = self.served
        expect_eq(unit, HOME, "unit in the node's first line")
        expect_eq(units, self.units, f"units served (马庄街道 and below in {self.tree.name})")
        expect(mode.startswith("mTLS"), f"the node is not serving mTLS: {self.first_line!r}")

    def check_health(self) -> None:
        health = health_pb2_grpc.HealthStub(self.channel(self.officer))
        for service in ["", *sorted(FENGQIAO_SERVICES)]:
            answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=CALL_TIMEOUT)
            expect_eq(
                health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status),
                "SERVING",
                f"health of {service or 'the node'!r}",
            )

    def check_health_unknown(self) -> None:
        health = health_pb2_grpc.HealthStub(self.channel(self.officer))
        expect_code(
            lambda: health.Check(health_pb2.HealthCheckRequest(service="fengqiao.v1.NoSuchService"),
                                 timeout=CALL_TIMEOUT),
            grpc.StatusCode.NOT_FOUND,
        )

    def reflection(self) -> ProtoReflectionDescriptorDatabase:
        return ProtoReflectionDescriptorDatabase(self.channel(self.reporter))

    def listed_services(self, version: str) -> set[str]:
        """ListServices over grpc.reflection.`version` (v1 and v1alpha share
        their messages field for field, so grpcio-reflection's serve both)."""
        call = self.channel(self.reporter).stream_stream(
            f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        listed = set()
        for response in call(iter([reflection_pb2.ServerReflectionRequest(list_services="")]),
                             timeout=CALL_TIMEOUT):
            expect(not response.HasField("error_response"), f"{version}: {response.error_response}")
            listed |= {service.name for service in response.list_services_response.service}
        return listed

    def check_reflection_list(self) -> None:
        for version in ("v1", "v1alpha"):
            listed = self.listed_services(version)
            wanted = FENGQIAO_SERVICES | {"grpc.health.v1.Health", f"grpc.reflection.{version}.ServerReflection"}
            expect(wanted <= listed, f"{version} does not list {sorted(wanted - listed)}; it lists {sorted(listed)}")
            extra = {name for name in listed if name.startswith("fengqiao.")} - FENGQIAO_SERVICES
            expect(not extra, f"{version} lists services proto/ does not define: {sorted(extra)}")
        # grpcio-reflection's own client (v1alpha) sees the same.
        listed = set(self.reflection().get_services())
        expect(FENGQIAO_SERVICES <= listed, f"ProtoReflectionDescriptorDatabase lists only {sorted(listed)}")

    def check_reflection_schema(self) -> None:
        pool = descriptor_pool.DescriptorPool(self.reflection())
        local = {}
        for module in SERVICE_MODULES:
            for service in module.DESCRIPTOR.services_by_name.values():
                local[service.full_name] = service
        expect_eq(set(local), FENGQIAO_SERVICES, "services the generated stubs define")
        for name, mine in sorted(local.items()):
            served = pool.FindServiceByName(name)
            expect_eq(method_shapes(served), method_shapes(mine), f"methods of {name} over reflection")
        # A message's fields too: the report every client builds.
        served = pool.FindMessageTypeByName("fengqiao.v1.DailyReport")
        expect_eq(field_shapes(served), field_shapes(types_pb2.DailyReport.DESCRIPTOR),
                  "fields of fengqiao.v1.DailyReport over reflection")

    def check_no_client_cert(self) -> None:
        health = health_pb2_grpc.HealthStub(self.channel(None))
        expect_code(lambda: health.Check(health_pb2.HealthCheckRequest(), timeout=CALL_TIMEOUT),
                    grpc.StatusCode.UNAVAILABLE)

    def check_foreign_ca(self) -> None:
        # Trusts the real CA (so the server's certificate checks out) but
        # presents a certificate the other deployment's CA issued.
        root = (self.pki.ca / "ca.pem").read_bytes()
        credentials = grpc.ssl_channel_credentials(
            root_certificates=root,
            private_key=Path(f"{self.stranger}-key.pem").read_bytes(),
            certificate_chain=Path(f"{self.stranger}.pem").read_bytes(),
        )
        channel = grpc.secure_channel(self.address, credentials)
        self.channels.append(channel)
        reporting = reporting_pb2_grpc.ReportingServiceStub(channel)
        expect_code(
            lambda: reporting.GetDailyReport(
                reporting_pb2.GetDailyReportRequest(unit_id=GROUP, date=self.day.isoformat()),
                timeout=CALL_TIMEOUT,
            ),
            grpc.StatusCode.UNAVAILABLE,
        )

    def reporting(self, who: Path) -> reporting_pb2_grpc.ReportingServiceStub:
        return reporting_pb2_grpc.ReportingServiceStub(self.channel(who))

    def check_submit(self) -> None:
        answer = self.reporting(self.reporter).SubmitDailyReport(
            self.report(1, [self.land_dispute()]), timeout=CALL_TIMEOUT)
        expect_eq(types_pb2.Disposition.Name(answer.disposition), "DISPOSITION_NEW", "disposition")
        expect_eq(answer.revision, 1, "revision")
        expect_eq(answer.replaced_revision, 0, "replaced_revision")
        expect(answer.HasField("accepted_at"), "accepted_at is not set")
        # Filed today for yesterday, after its cut-off.
        expect_eq(answer.on_time, False, "on_time")

    def check_duplicate(self) -> None:
        answer = self.reporting(self.reporter).SubmitDailyReport(
            self.report(1, [self.land_dispute()]), timeout=CALL_TIMEOUT)
        expect_eq(types_pb2.Disposition.Name(answer.disposition), "DISPOSITION_DUPLICATE", "disposition")
        expect_eq(answer.revision, 1, "revision")

    def check_conflict(self) -> None:
        different = self.land_dispute()
        different.parties = 3
        expect_code(
            lambda: self.reporting(self.reporter).SubmitDailyReport(self.report(1, [different]),
                                                                     timeout=CALL_TIMEOUT),
            grpc.StatusCode.ABORTED,
            "revision 1",
        )

    def check_correction(self) -> None:
        answer = self.reporting(self.reporter).SubmitDailyReport(
            self.report(2, self.corrected_disputes(), reason="the land dispute was a neighbour one; a wage dispute "
                                                             "was left out"),
            timeout=CALL_TIMEOUT,
        )
        expect_eq(types_pb2.Disposition.Name(answer.disposition), "DISPOSITION_CORRECTION", "disposition")
        expect_eq(answer.revision, 2, "revision")
        expect_eq(answer.replaced_revision, 1, "replaced_revision")
        expect_eq(answer.on_time, False, "on_time (a correction never changes timeliness)")

    def check_stale_revision(self) -> None:
        expect_code(
            lambda: self.reporting(self.reporter).SubmitDailyReport(self.report(1, [self.land_dispute()]),
                                                                     timeout=CALL_TIMEOUT),
            grpc.StatusCode.FAILED_PRECONDITION,
            "revision 2",
        )

    def check_get_report(self) -> None:
        reporting = self.reporting(self.reporter)
        answer = reporting.GetDailyReport(
            reporting_pb2.GetDailyReportRequest(unit_id=GROUP, date=self.day.isoformat()), timeout=CALL_TIMEOUT)
        report = answer.report.report
        expect_eq(report.revision, 2, "current revision")
        expect_eq(report.reporter, "rep-0001", "reporter taken from the certificate")
        expect_eq([d.local_id for d in report.disputes], ["d1", "d2"], "disputes of the current revision")
        expect_eq(report.disputes[1].wage_arrears.amount_claimed_cents, 3_600_000, "amount claimed")
        expect(report.correction_reason.startswith("the land dispute"), "correction_reason not kept")
        expect_eq([(h.revision, h.dispute_count) for h in answer.history], [(1, 1), (2, 2)], "history")
        first = reporting.GetDailyReport(
            reporting_pb2.GetDailyReportRequest(unit_id=GROUP, date=self.day.isoformat(), revision=1),
            timeout=CALL_TIMEOUT,
        ).report.report
        expect_eq(
            [(d.local_id, types_pb2.DisputeCategory.Name(d.category)) for d in first.disputes],
            [("d1", "DISPUTE_CATEGORY_LAND")],
            "revision 1 from history",
        )

    def check_zero_report(self) -> None:
        answer = self.reporting(self.officer).SubmitDailyReport(
            self.report(1, [], unit=SIBLING_GROUP), timeout=CALL_TIMEOUT)
        expect_eq(types_pb2.Disposition.Name(answer.disposition), "DISPOSITION_NEW", "disposition")
        stored = self.reporting(self.officer).GetDailyReport(
            reporting_pb2.GetDailyReportRequest(unit_id=SIBLING_GROUP, date=self.day.isoformat()),
            timeout=CALL_TIMEOUT,
        ).report.report
        expect(stored.zero and not stored.disputes, f"stored zero report is not zero: {stored}")

    def weekly(self, who: Path) -> summary_pb2.Summary:
        summary = summary_pb2_grpc.SummaryServiceStub(self.channel(who))
        return summary.WeeklySummary(
            summary_pb2.WeeklySummaryRequest(unit_id=HOME, iso_week=self.week), timeout=CALL_TIMEOUT
        ).summary

    def check_weekly_summary(self) -> None:
        summary = self.weekly(self.officer)
        expect_eq(summary.unit_id, HOME, "unit_id")
        expect_eq(summary.iso_week, self.week, "iso_week")
        expect_eq(summary.from_date, self.monday.isoformat(), "from_date")
        expect_eq(summary.to_date, (self.monday + dt.timedelta(days=6)).isoformat(), "to_date")
        through = dt.date.fromisoformat(summary.through_date)
        expect(self.day <= through <= local_today(), f"through_date {through} is not between {self.day} and today")
        totals = summary.totals
        due_days = [self.monday + dt.timedelta(days=n) for n in range((through - self.monday).days + 1)]
        expect_eq(totals.expected, expected_reports(self.tree, HOME, due_days),
                  f"expected (open reporting units on {len(due_days)} due days, from the tree file)")
        # Revision 2 replaced revision 1: two reports, not three; its two
        # disputes, and nothing left of revision 1's land dispute.
        expect_eq(totals.received, 2, "received")
        expect_eq(totals.zero_reports, 1, "zero_reports")
        expect_eq(totals.late, 2, "late")
        expect_eq(totals.on_time, 0, "on_time")
        expect_eq(totals.missing, totals.expected - 2, "missing")
        expect_eq(totals.disputes, 2, "disputes")
        expect_eq(totals.parties, 4, "parties")
        expect_eq(
            sorted((types_pb2.DisputeCategory.Name(c.category), c.disputes) for c in totals.by_category if c.disputes),
            [("DISPUTE_CATEGORY_NEIGHBOUR", 1), ("DISPUTE_CATEGORY_WAGE_ARREARS", 1)],
            "by_category (non-zero; revision 1's land dispute gone)",
        )
        expect_eq(
            sorted((types_pb2.DisputeOutcome.Name(o.outcome), o.disputes) for o in totals.by_outcome if o.disputes),
            [("DISPUTE_OUTCOME_MEDIATING", 1), ("DISPUTE_OUTCOME_RESOLVED_ON_THE_SPOT", 1)],
            "by_outcome (non-zero)",
        )
        wage = totals.wage_arrears
        expect_eq((wage.disputes, wage.workers, wage.amount_claimed_cents, wage.employers), (1, 12, 3_600_000, 1),
                  "wage arrears (disputes, workers, amount claimed, employers)")
        expect_eq(summary.rates.zero_share_percent, 50.0, "zero_share_percent")
        expect_eq(summary.rates.resolved_on_the_spot_percent, 50.0, "resolved_on_the_spot_percent")
        rows = {row.unit_id: row for row in summary.children}
        expect_eq(len(rows), 10, "scorecard rows (马庄街道's communities)")
        expect(COMMUNITY in rows, f"no scorecard row for {COMMUNITY}")
        row = rows[COMMUNITY].tally
        expect_eq((row.received, row.zero_reports, row.disputes), (2, 1, 2),
                  f"{COMMUNITY}'s row (received, zero reports, disputes)")
        others = sum(r.tally.received for unit, r in rows.items() if unit != COMMUNITY)
        expect_eq(others, 0, "reports received by the other communities")

    def check_admin(self) -> None:
        officers = self.weekly(self.officer).totals
        admins = self.weekly(self.admin).totals
        expect_eq(admins, officers, "the admin's totals against the officer's")
        status = node_pb2_grpc.NodeServiceStub(self.channel(self.admin)).GetNodeStatus(
            node_pb2.GetNodeStatusRequest(), timeout=CALL_TIMEOUT)
        expect_eq((status.home_unit_id, status.served_units, status.parent_address), (HOME, self.units, ""),
                  "node status (home unit, served units, parent)")

    def check_drill_down(self) -> None:
        summary = summary_pb2_grpc.SummaryServiceStub(self.channel(self.officer))
        answer = summary.DrillDown(
            summary_pb2.DrillDownRequest(unit_id=HOME, from_date=self.monday.isoformat(),
                                         to_date=(self.monday + dt.timedelta(days=6)).isoformat(),
                                         figure="zero_reports"),
            timeout=CALL_TIMEOUT,
        )
        expect_eq([(r.unit_id, r.date) for r in answer.reports], [(SIBLING_GROUP, self.day.isoformat())],
                  "reports behind zero_reports")

    def check_sibling_denied(self) -> None:
        expect_code(
            lambda: self.reporting(self.reporter).SubmitDailyReport(self.report(1, [], unit=SIBLING_GROUP),
                                                                     timeout=CALL_TIMEOUT),
            grpc.StatusCode.PERMISSION_DENIED,
            SIBLING_GROUP,
        )

    def check_reporter_summary_denied(self) -> None:
        expect_code(lambda: self.weekly(self.reporter), grpc.StatusCode.PERMISSION_DENIED)

    def check_outside_tree(self) -> None:
        expect_code(
            lambda: self.reporting(self.officer).SubmitDailyReport(self.report(1, [], unit=OTHER_TOWNSHIP_UNIT),
                                                                    timeout=CALL_TIMEOUT),
            grpc.StatusCode.PERMISSION_DENIED,
        )

    def check_bad_date(self) -> None:
        expect_code(
            lambda: self.reporting(self.reporter).SubmitDailyReport(self.report(1, [], date="2026-13-45"),
                                                                     timeout=CALL_TIMEOUT),
            grpc.StatusCode.INVALID_ARGUMENT,
            "report.date",
        )

    def check_bad_week(self) -> None:
        summary = summary_pb2_grpc.SummaryServiceStub(self.channel(self.officer))
        expect_code(
            lambda: summary.WeeklySummary(summary_pb2.WeeklySummaryRequest(unit_id=HOME, iso_week="2026-48"),
                                          timeout=CALL_TIMEOUT),
            grpc.StatusCode.INVALID_ARGUMENT,
            "iso_week",
        )

    def check_missing_report(self) -> None:
        expect_code(
            lambda: self.reporting(self.reporter).GetDailyReport(
                reporting_pb2.GetDailyReportRequest(unit_id=GROUP, date=self.monday.replace(year=2000).isoformat()),
                timeout=CALL_TIMEOUT),
            grpc.StatusCode.NOT_FOUND,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True, help="the fengqiao binary")
    parser.add_argument("--repo", required=True, help="the repository root (for deploy/zhanhe-410411.csv)")
    args = parser.parse_args()
    binary = str(Path(args.binary).resolve())

    checks = Checks()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fengqiao-interop.") as work:
        scenario = Scenario(binary, Path(args.repo).resolve(), Path(work))
        print(f"interop: grpcio {grpc.__version__}; reports for {scenario.day} (week {scenario.week})", flush=True)
        try:
            scenario.start()
            print(f"interop: {scenario.first_line}", flush=True)
            for name, function in scenario.checks():
                checks.run(name, function)
        except Exception as error:  # the set-up failed: nothing to check against
            checks.failed.append("set-up")
            print(f"FAIL  set-up: {error}", flush=True)
        finally:
            status = scenario.stop()
            if status is not None:
                checks.run("node exits 0 on SIGTERM", lambda: expect_eq(status, 0, "exit status"))
            if checks.failed and scenario.node is not None:
                log = scenario.node.log.read_text(errors="replace").splitlines()
                print(f"--- last lines of the node's log ({len(log)} lines) ---")
                print(re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(log[-40:])))
    print(f"interop: {time.monotonic() - started:.1f} s")
    print(checks.summary(), flush=True)
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
