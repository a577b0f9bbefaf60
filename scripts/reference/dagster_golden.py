"""Golden fixtures for the Dagster code location.

Defines, in Python, the same four assets as src/pipeline/asset-graph.ts (keys, deps, group,
descriptions, metadata), serves them with Dagster's own gRPC code server and records what
that server answers to the calls the Dagster host makes (ListRepositories,
ExternalRepository with and without deferred snapshots, ExternalJob,
ExternalPipelineSubsetSnapshot, ExecutionPlanSnapshot), plus serdes edge cases of
Python's JSON writer. Output: test/fixtures/dagster/*.json (committed).

Run in the dagster peer venv:
    $(bash test/peers/venv.sh dagster)/bin/python scripts/reference/dagster_golden.py
The asset definitions are read from a JSON dump of ASSET_GRAPH (argv[1], default
test/fixtures/dagster/asset-graph.json) so the Python side cannot drift from the TS one
(a small test checks the dump equals ASSET_GRAPH). Refresh it from a build with
    node -e 'console.log(JSON.stringify(require("./dist/pipeline/asset-graph").ASSET_GRAPH, null, 2))' \
        > test/fixtures/dagster/asset-graph.json
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time

import dagster
from dagster._core.remote_origin import (
    GrpcServerCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.definitions.events import AssetKey
from dagster import AssetCheckKey
from dagster._grpc.client import DagsterGrpcClient
from dagster._grpc.types import (ExecutionPlanSnapshotArgs, ExternalScheduleExecutionArgs, JobSubsetSnapshotArgs, PartitionArgs, PartitionNamesArgs,
                                 PartitionSetExecutionParamArgs, SensorExecutionArgs)
from dagster._serdes import deserialize_value, serialize_value

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(ROOT, "test", "fixtures", "dagster")
# What Dagster answers and writes depends on its minor line: one folder per line (1.12/, 1.13/…).
MINOR = ".".join(dagster.__version__.split(".")[:2])
OUT = os.environ.get("BANDIT_GOLDEN_OUT") or os.path.join(SHARED, MINOR)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config_source(fields) -> str:
    """The asset's typed run config, with Dagster's classic Field API: a field with a default is
    a plain typed field; one without is optional and Noneable."""
    types = {"Int": "Int", "Float": "Float", "String": "String", "[String]": "[String]"}
    out = []
    for f in fields:
        t = types[f["type"]]
        if "default" in f:
            default = float(f["default"]) if f["type"] == "Float" else f["default"]
            out.append("%r: Field(%s, default_value=%r, description=%r)" % (f["name"], t, default, f["description"]))
        else:
            out.append("%r: Field(Noneable(%s), is_required=False, description=%r)" % (f["name"], t, f["description"]))
    return "{" + ", ".join(out) + "}"


def automation_source(auto, graph) -> str:
    """The schedule and the sensor of src/dagster/automation.ts, and a Definitions holding all."""
    sch, sen = auto["schedule"], auto["sensor"]
    return "\n".join([
        "@schedule(name=%r, cron_schedule=%r, job_name='__ASSET_JOB', execution_timezone='UTC', description=%r)"
        % (sch["name"], auto["cron"], sch["description"]),
        "def _schedule(context):",
        "    return RunRequest(asset_selection=[AssetKey(k) for k in %r])" % sch["assets"],
        "",
        "@sensor(name=%r, job_name='__ASSET_JOB', minimum_interval_seconds=%d, description=%r)"
        % (sen["name"], sen["minIntervalSeconds"], sen["description"]),
        "def _sensor(context):",
        "    return SensorResult(run_requests=[RunRequest(run_key='k', asset_selection=[AssetKey(k) for k in %r])], cursor='k')" % sen["assets"],
        "",
        "defs = Definitions(assets=[%s], schedules=[_schedule], sensors=[_sensor])" % ", ".join("_" + a["key"] for a in graph),
    ])


def defs_source(graph) -> str:
    lines = ["from dagster import asset, AssetKey, Field, Noneable, Int, Float, String, schedule, sensor, RunRequest, SensorResult, Definitions,"
             " MultiPartitionsDefinition, StaticPartitionsDefinition, AssetCheckSpec, multi_asset, AssetOut", ""]
    for a in graph:
        parts = a.get("partitions")
        partitions = ("MultiPartitionsDefinition({%s})" % ", ".join("%r: StaticPartitionsDefinition(%r)" % (d["name"], d["keys"]) for d in parts)
                      if parts else "None")
        # a check of a partitioned asset is partitioned like it: evaluated per partition
        checks = "[%s]" % ", ".join("AssetCheckSpec(%r, asset=%r, description=%r%s)" % (c["name"], a["key"], c["description"],
                                                                                     ", partitions_def=" + partitions if parts else "")
                                    for c in a.get("checks", []))
        if a.get("checks"):
            # An asset with checks is a subsettable op (Python's `@multi_asset(can_subset=True)`), so
            # its checks can also run without the asset: the UI's "Execute" on a check.
            lines.append(
                "@multi_asset(name=%r, description=%r, outs={'result': AssetOut(key=%r, is_required=False, group_name=%r, description=%r, metadata=%r,"
                " code_version=%r, owners=%r, kinds=%r, tags=%r)}, deps=%r, config_schema=%s, partitions_def=%s, check_specs=%s,"
                " can_subset=True)"
                % (a["key"], a["description"], a["key"], a["group"], a["description"], a["metadata"], a["codeVersion"], a["owners"],
                   set(a["kinds"]), a["tags"], [AssetKey(d) for d in a["deps"]], config_source(a["config"]), partitions, checks)
            )
        else:
            lines.append(
                "@asset(name=%r, group_name=%r, description=%r, metadata=%r, deps=%r, config_schema=%s,"
                " code_version=%r, owners=%r, kinds=%r, tags=%r, partitions_def=%s, check_specs=%s)"
                % (a["key"], a["group"], a["description"], a["metadata"], [AssetKey(d) for d in a["deps"]], config_source(a["config"]),
                   a["codeVersion"], a["owners"], set(a["kinds"]), a["tags"], partitions, checks)
            )
        lines.append("def _%s():\n    return None\n" % a["key"])
    return "\n".join(lines).replace("AssetKey(path=", "AssetKey(")


def pretty(serialized: str):
    return json.loads(serialized)


def record_events(graph) -> None:
    """Event log entries Python Dagster writes for a successful and a failing run (shape only)."""
    import sqlite3

    from dagster import AssetExecutionContext, DagsterInstance, Failure, MetadataValue, asset, materialize

    def make(a, fail):
        @asset(name=a["key"], group_name=a["group"], deps=[dagster.AssetKey(d) for d in a["deps"]])
        def _fn(context: AssetExecutionContext):
            context.log.info("working on " + a["key"])
            if fail and a["key"] == "replay":
                try:
                    raise FileNotFoundError("no such file: /missing/obd")
                except FileNotFoundError as e:
                    raise RuntimeError("replay failed: OBD sample not found") from e
            context.add_output_metadata({
                "rows": MetadataValue.int(10000),
                "estimate": MetadataValue.float(0.0123),
                "winner": MetadataValue.text("arm-3"),
                "table": MetadataValue.md("| a | b |\n|---|---|\n| 1 | 2 |"),
                "detail": MetadataValue.json({"p_best": [0.1, 0.9]}),
                "path": MetadataValue.path("/tmp/x"),
                "url": MetadataValue.url("http://example.com"),
            })
            return None
        return _fn

    for name, fail in (("success", False), ("failure", True)):
        home = tempfile.mkdtemp()
        with DagsterInstance.local_temp(home) as instance:
            result = materialize([make(a, fail) for a in graph], instance=instance, raise_on_error=False)
            run_id = result.run_id
        db = sqlite3.connect(os.path.join(home, "history", "runs", run_id + ".db"))
        rows = db.execute("select event, dagster_event_type, step_key, asset_key from event_logs order by id").fetchall()
        idx = sqlite3.connect(os.path.join(home, "history", "runs.db"))
        run_row = idx.execute("select run_body, status from runs where run_id = ?", (run_id,)).fetchone()
        with open(os.path.join(OUT, "events-" + name + ".json"), "w") as f:
            json.dump({"run_id": run_id, "run_body": run_row[0], "status": run_row[1],
                       "events": [{"event": r[0], "type": r[1], "step_key": r[2], "asset_key": r[3]} for r in rows]},
                      f, indent=1)


def record_check_events() -> None:
    """Events and asset_check_executions rows Python Dagster writes for an asset with a check."""
    import sqlite3

    from dagster import AssetCheckResult, AssetCheckSpec, DagsterInstance, MetadataValue, Output, asset, materialize

    @asset(name="replay", check_specs=[AssetCheckSpec("matched_rows", asset="replay", description="d")])
    def _replay():
        yield Output(None)
        yield AssetCheckResult(check_name="matched_rows", passed=False, description="men matched 0 rows",
                               metadata={"men.matched_rows": MetadataValue.int(0)})

    home = tempfile.mkdtemp()
    with DagsterInstance.local_temp(home) as instance:
        run_id = materialize([_replay], instance=instance, raise_on_error=False).run_id
    db = sqlite3.connect(os.path.join(home, "history", "runs", run_id + ".db"))
    rows = db.execute("select event, dagster_event_type, step_key, asset_key from event_logs order by id").fetchall()
    idx = sqlite3.connect(os.path.join(home, "history", "runs", "index.db"))
    cols = [c[1] for c in idx.execute("pragma table_info(asset_check_executions)").fetchall()]
    checks = [dict(zip(cols, r)) for r in idx.execute("select * from asset_check_executions").fetchall()]
    for c in checks:
        for k in ("create_timestamp", "id"):
            c.pop(k, None)
    with open(os.path.join(OUT, "events-check.json"), "w") as f:
        json.dump({"run_id": run_id, "events": [{"event": r[0], "type": r[1], "step_key": r[2], "asset_key": r[3]} for r in rows],
                   "asset_check_executions": checks}, f, indent=1, default=str)


def record_check_only_events() -> None:
    """A check-only run of a partition: the check of a subsettable, partitioned asset executed
    without the asset (events, the run's selections, asset_check_executions rows)."""
    import sqlite3

    from dagster import (AssetCheckKey, AssetCheckResult, AssetCheckSpec, AssetKey, AssetOut, DagsterInstance, Definitions, MetadataValue,
                         MultiPartitionsDefinition, Output, StaticPartitionsDefinition, materialize, multi_asset)

    parts = MultiPartitionsDefinition({"campaign": StaticPartitionsDefinition(["all", "men", "women"]),
                                       "policy": StaticPartitionsDefinition(["random", "bts"])})

    @multi_asset(name="ingest_obp", outs={"result": AssetOut(key="ingest_obp", is_required=False)}, partitions_def=parts, can_subset=True,
                 check_specs=[AssetCheckSpec("propensities_valid", asset="ingest_obp", description="d", partitions_def=parts)])
    def _ingest(context):
        if context.selected_asset_keys:
            yield Output(None, output_name="result")
        yield AssetCheckResult(check_name="propensities_valid", passed=True, description="1 dataset(s)",
                               metadata={"random/men.propensity_min": MetadataValue.float(0.0294)})

    home = tempfile.mkdtemp()
    with DagsterInstance.local_temp(home) as instance:
        materialize([_ingest], instance=instance, partition_key="men|random")
        # what the webserver launches for "Execute" on the check: the asset job subset to the check
        job = Definitions(assets=[_ingest]).resolve_implicit_global_asset_job_def().get_subset(
            asset_selection=set(), asset_check_selection={AssetCheckKey(AssetKey("ingest_obp"), "propensities_valid")})
        run_id = job.execute_in_process(instance=instance, tags={"dagster/partition": "men|random"}).run_id
        run = instance.get_run_by_id(run_id)
        run_info = {"asset_selection": sorted(k.to_user_string() for k in (run.asset_selection or [])),
                    "asset_check_selection": sorted(str(k) for k in (run.asset_check_selection or [])),
                    "tags": dict(run.tags)}
    db = sqlite3.connect(os.path.join(home, "history", "runs", run_id + ".db"))
    rows = db.execute("select event, dagster_event_type, step_key, asset_key, partition from event_logs order by id").fetchall()
    idx = sqlite3.connect(os.path.join(home, "history", "runs", "index.db"))
    cols = [c[1] for c in idx.execute("pragma table_info(asset_check_executions)").fetchall()]
    checks = [dict(zip(cols, r)) for r in idx.execute("select * from asset_check_executions where run_id = ?", (run_id,)).fetchall()]
    for c in checks:
        for k in ("create_timestamp", "id"):
            c.pop(k, None)
    with open(os.path.join(OUT, "events-check-only.json"), "w") as f:
        json.dump({"run_id": run_id, "run": run_info,
                   "events": [{"event": r[0], "type": r[1], "step_key": r[2], "asset_key": r[3], "partition": r[4]} for r in rows],
                   "asset_check_executions": checks}, f, indent=1, default=str)


REQUEST_CLASSES = [
    "ExecuteExternalPipelineArgs", "ExecutionPlanSnapshotArgs", "PipelineSubsetSnapshotArgs",
    "ExternalScheduleExecutionArgs", "SensorExecutionArgs", "CancelExecutionRequest",
    "CanCancelExecutionRequest", "ExternalPipelineOrigin", "ExternalRepositoryOrigin",
    "PartitionNamesArgs", "PartitionArgs", "PartitionSetExecutionParamArgs",
]


def record_request_fields() -> None:
    """Storage field names of the request payloads the host sends (what this version writes)."""
    import dagster._core.remote_origin  # noqa: F401
    import dagster._grpc.types  # noqa: F401
    from dagster_shared.serdes.serdes import _WHITELIST_MAP

    out = {}
    for s in _WHITELIST_MAP.object_serializers.values():
        name = s.get_storage_name()
        if name in REQUEST_CLASSES:
            fields = [s.storage_field_names.get(f, f) for f in s.constructor_param_names if f != "cls"]
            out[name] = sorted(set(fields) | set(s.kwargs_fields or []) - {"cls"})
    with open(os.path.join(OUT, "request-fields.json"), "w") as f:
        json.dump({"dagster_version": dagster.__version__, "fields": out}, f, indent=1, sort_keys=True)


def main() -> None:
    graph_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(SHARED, "asset-graph.json")
    with open(graph_path) as f:
        graph = json.load(f)
    os.makedirs(OUT, exist_ok=True)
    tmp = tempfile.mkdtemp()
    defs = os.path.join(tmp, "bandit_defs.py")
    with open(os.path.join(SHARED, "automation.json")) as f:
        auto = json.load(f)
    with open(defs, "w") as f:
        f.write(defs_source(graph) + "\n" + automation_source(auto, graph) + "\n")
    port = free_port()
    env = dict(os.environ, DAGSTER_HOME=tmp)
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "dagster", "api", "grpc", "--python-file", defs,
            "--host", "127.0.0.1", "--port", str(port), "--container-image", "example/image:tag",
        ],
        env=env,
    )
    try:
        client = DagsterGrpcClient(host="127.0.0.1", port=port)
        for _ in range(200):
            try:
                client.ping("x")
                break
            except Exception:
                time.sleep(0.1)
        origin = RemoteRepositoryOrigin(
            GrpcServerCodeLocationOrigin(host="localhost", port=4000, location_name="bandit-pipeline"),
            "__repository__",
        )
        out = {"dagster_version": dagster.__version__}
        out["list_repositories"] = client.list_repositories()
        out["repository_deferred"] = client.external_repository(origin, defer_snapshots=True)
        out["repository_full"] = client.external_repository(origin, defer_snapshots=False)
        job_reply = client.external_job(origin, "__ASSET_JOB")
        out["external_job"] = job_reply.serialized_job_data
        job_origin = RemoteJobOrigin(origin, "__ASSET_JOB")
        job_data = deserialize_value(out["external_job"])
        out["job_snapshot_id"] = job_data.job.snapshot_id
        subsets = {}
        check_only = frozenset([AssetCheckKey(AssetKey("ingest_obp"), "propensities_valid")])
        for name, sel in (("full", None), ("ope_conclude", ["ope", "conclude"]), ("check_only", [])):
            asset_selection = {AssetKey(k) for k in sel} if sel else (frozenset() if sel == [] else None)
            check_selection = check_only if sel == [] else None
            snap_id = job_data.job.snapshot_id
            if sel is not None:
                subset = client.external_pipeline_subset(
                    JobSubsetSnapshotArgs(
                        job_origin=job_origin,
                        op_selection=None,
                        asset_selection=asset_selection,
                        asset_check_selection=check_selection,
                        include_parent_snapshot=True,
                    )
                )
                subsets[name + "_subset"] = subset
                snap_id = deserialize_value(subset).job_data_snap.job.snapshot_id
            args = ExecutionPlanSnapshotArgs(
                job_origin=job_origin,
                op_selection=[],
                run_config={},
                step_keys_to_execute=None,
                job_snapshot_id=snap_id,
                asset_selection=asset_selection,
                asset_check_selection=check_selection,
                mode="default",
            )
            subsets[name + "_execution_plan_args"] = serialize_value(args)
            subsets[name + "_execution_plan"] = client.execution_plan_snapshot(args)
        out.update(subsets)
        sched_args = ExternalScheduleExecutionArgs(repository_origin=origin, instance_ref=None, schedule_name=auto["schedule"]["name"],
                                                   scheduled_execution_timestamp=1795900000.0, scheduled_execution_timezone="UTC")
        out["schedule_execution"] = client.external_schedule_execution(sched_args)
        # partition-set RPCs of the asset job (ingest_obp's static partitions)
        pset = "__ASSET_JOB_partition_set"
        names_args = PartitionNamesArgs(repository_origin=origin, partition_set_name=pset, job_name="__ASSET_JOB")
        out["partition_names_args"] = serialize_value(names_args)
        out["partition_names"] = client.external_partition_names(names_args)
        first = deserialize_value(out["partition_names"]).partition_names[0]
        part_args = PartitionArgs(repository_origin=origin, partition_set_name=pset, partition_name=first, job_name="__ASSET_JOB", instance_ref=None)
        out["partition_args"] = serialize_value(part_args)
        out["partition_config"] = client.external_partition_config(part_args)
        out["partition_tags"] = client.external_partition_tags(part_args)
        bad_args = PartitionArgs(repository_origin=origin, partition_set_name=pset, partition_name="nope|nope", job_name="__ASSET_JOB", instance_ref=None)
        out["partition_tags_unknown"] = client.external_partition_tags(bad_args)
        exec_args = PartitionSetExecutionParamArgs(repository_origin=origin, partition_set_name=pset,
                                                   partition_names=deserialize_value(out["partition_names"]).partition_names[:2], instance_ref=None)
        out["partition_execution_params_args"] = serialize_value(exec_args)
        out["partition_execution_params"] = client.external_partition_set_execution_params(exec_args)
        sensor_args = SensorExecutionArgs(repository_origin=origin, instance_ref=None, sensor_name=auto["sensor"]["name"],
                                          last_tick_completion_time=None, last_run_key=None, cursor=None, timeout=60)
        out["sensor_execution_args"] = serialize_value(sensor_args)
        out["sensor_execution"] = client.external_sensor_execution(sensor_args)
        for k, v in out.items():
            if isinstance(v, str) and v.startswith("{"):
                with open(os.path.join(OUT, k + ".serdes.txt"), "w") as f:
                    f.write(v)
        with open(os.path.join(OUT, "golden.json"), "w") as f:
            json.dump(
                {"dagster_version": dagster.__version__, "job_snapshot_id": out["job_snapshot_id"]},
                f, indent=2, sort_keys=True,
            )
    finally:
        proc.terminate()
        proc.wait()

    record_events(graph)
    record_check_events()
    record_check_only_events()
    record_request_fields()

    # serdes writer edge cases: Python's json.dumps(sort_keys=True) as Dagster uses it
    cases = [
        1.0, 0.1, 1e-05, 1e-7, 123456789.0, 1e16, 1.5e300, -0.0, 2.5e-320, 1 / 3, 100.0, 1e15, 123456789012345680000.0,
        2**53 + 1, -(2**63), 10**30, "plain", "quote\" back\\ slash/", "tab\tnl\ncr\r\x00\x1f\x7f",
        "é ü ß — 日本", "emoji 😀 𝄞", {"b": 1, "a": [1, 2.0, None, True, False], "A": {}},
        [], {}, [[]], {"z": {"y": {"x": "w"}}},
    ]
    serdes_cases = [{"value_json": json.dumps(c, sort_keys=False, ensure_ascii=False, allow_nan=False)
                      if not isinstance(c, float) else repr(c),
                     "python": json.dumps(c, sort_keys=True)} for c in cases]
    with open(os.path.join(SHARED, "serdes-cases.json"), "w") as f:
        json.dump(serdes_cases, f, indent=2, ensure_ascii=True)


if __name__ == "__main__":
    main()
