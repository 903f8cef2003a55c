"""The lines the platform writes around the runtime's own output: INIT_START, START, END,
REPORT, INIT_REPORT, in the text format or as the JSON log format's ``platform.*`` records."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass


def timestamp(epoch: float | None = None) -> str:
    epoch = time.time() if epoch is None else epoch
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch * 1000) % 1000:03d}Z"


@dataclass(slots=True)
class Report:
    request_id: str
    duration_ms: float
    memory_size_mb: int
    max_memory_used_mb: int
    init_duration_ms: float | None = None
    status: str = "success"  # success | error | timeout (the telemetry schema's values)
    error_type: str | None = None
    restore_duration_ms: float | None = None  # a SnapStart environment's first invocation

    @property
    def billed_restore_duration_ms(self) -> int:
        # AWS's example bills less than the restore took; what it counts is UNCONFIRMED: all of it, here.
        return max(1, math.ceil(self.restore_duration_ms or 0))

    @property
    def billed_duration_ms(self) -> int:
        # Billed in 1 ms steps since 2020. Whether the init phase is added (AWS bills INIT since
        # 2025-08) is UNCONFIRMED for the REPORT line, so it is left out here.
        return max(1, math.ceil(self.duration_ms))


class PlatformLog:
    """Formats platform records for one function's log format; None where a record is not written.

    With the JSON format, a system log level of WARN drops the platform's records, which are all
    INFO records (the level of each platform record is UNCONFIRMED; INFO is what AWS documents for
    start and report).
    """

    def __init__(
        self,
        json_format: bool,
        function_name: str,
        version: str,
        runtime_version: str,
        runtime_version_arn: str,
        system_log_level: str | None = None,
        initialization_type: str = "on-demand",
    ) -> None:
        self.json = json_format
        self.initialization_type = initialization_type
        self._quiet = json_format and system_log_level == "WARN"
        self.function_name = function_name
        self.version = version
        self.runtime_version = runtime_version
        self.runtime_version_arn = runtime_version_arn

    def _record(self, kind: str, record: dict) -> str | None:
        if self._quiet:
            return None
        return json.dumps({"time": timestamp(), "type": kind, "record": record}, separators=(",", ":"))

    def init_start(self, phase: str) -> str | None:
        if self.json:
            return self._record(
                "platform.initStart",
                {
                    "initializationType": self.initialization_type,
                    "phase": phase,
                    "runtimeVersion": self.runtime_version,
                    "runtimeVersionArn": self.runtime_version_arn,
                    "functionName": self.function_name,
                    "functionVersion": self.version,
                },
            )
        return f"INIT_START Runtime Version: {self.runtime_version}\tRuntime Version ARN: {self.runtime_version_arn}"

    def restore_start(self) -> str | None:
        if self.json:
            return self._record(
                "platform.restoreStart",
                {
                    "runtimeVersion": self.runtime_version,
                    "runtimeVersionArn": self.runtime_version_arn,
                    "functionName": self.function_name,
                    "functionVersion": self.version,
                },
            )
        return f"RESTORE_START Runtime Version: {self.runtime_version}\tRuntime Version ARN: {self.runtime_version_arn}"

    def restore_report(self, duration_ms: float, status: str, error_type: str | None) -> str | None:
        """The line after the after-restore hooks (its Status and Error Type on failure are UNCONFIRMED)."""
        if self.json:
            record = {"status": status, "metrics": {"durationMs": round(duration_ms, 3)}}
            if error_type:
                record["errorType"] = error_type
            return self._record("platform.restoreReport", record)
        line = f"RESTORE_REPORT Restore Duration: {duration_ms:.2f} ms"
        return line + (f"\tStatus: {status}\tError Type: {error_type}" if error_type else "")

    def init_report(self, phase: str, duration_ms: float, status: str, error_type: str | None) -> str | None:
        if self.json:
            record = {
                "initializationType": self.initialization_type,
                "phase": phase,
                "status": status,
                "metrics": {"durationMs": round(duration_ms, 3)},
            }
            if error_type:
                record["errorType"] = error_type
            return self._record("platform.initReport", record)
        line = f"INIT_REPORT Init Duration: {duration_ms:.2f} ms\tPhase: {phase}\tStatus: {status}"
        return line + (f"\tError Type: {error_type}" if error_type else "")

    def start(self, request_id: str) -> str | None:
        if self.json:
            return self._record("platform.start", {"requestId": request_id, "version": self.version})
        return f"START RequestId: {request_id} Version: {self.version}"

    def end(self, request_id: str) -> str | None:
        # The JSON format has no END record: platform.runtimeDone carries the same moment.
        return None if self.json else f"END RequestId: {request_id}"

    def report(self, report: Report) -> str | None:
        if self.json:
            metrics = {
                "durationMs": round(report.duration_ms, 3),
                "billedDurationMs": report.billed_duration_ms,
                "memorySizeMB": report.memory_size_mb,
                "maxMemoryUsedMB": report.max_memory_used_mb,
            }
            if report.init_duration_ms is not None:
                metrics["initDurationMs"] = round(report.init_duration_ms, 3)
            if report.restore_duration_ms is not None:
                metrics["restoreDurationMs"] = round(report.restore_duration_ms, 3)
                metrics["billedRestoreDurationMs"] = report.billed_restore_duration_ms
            record = {"requestId": report.request_id, "metrics": metrics, "status": report.status}
            if report.error_type:
                record["errorType"] = report.error_type
            return self._record("platform.report", record)
        line = (
            f"REPORT RequestId: {report.request_id}\tDuration: {report.duration_ms:.2f} ms\t"
            f"Billed Duration: {report.billed_duration_ms} ms\tMemory Size: {report.memory_size_mb} MB\t"
            f"Max Memory Used: {report.max_memory_used_mb} MB\t"
        )
        if report.init_duration_ms is not None:
            line += f"Init Duration: {report.init_duration_ms:.2f} ms\t"
        if report.restore_duration_ms is not None:
            line += (
                f"Restore Duration: {report.restore_duration_ms:.2f} ms\t"
                f"Billed Restore Duration: {report.billed_restore_duration_ms} ms\t"
            )
        if report.status != "success":
            line += f"Status: {report.status}\t"
            if report.error_type:
                line += f"Error Type: {report.error_type}\t"
        return line
