"""The command line: thin wrappers over pipeline, detectors and plugins."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from privmap import __version__, coverage, logs, plugins
from privmap.config import ConfigError, load_config
from privmap.model import SEVERITIES, Item, ItemOutcome

if TYPE_CHECKING:
    from privmap.config import Config
    from privmap.reports import ReportData
    from privmap.store import Store

EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERRUPTED = 1, 2, 130
_DETECT_BATCH = 64  # texts per detector call: NER runs batched over them


class _ExitOnConfigError(click.Group):
    """Exit codes that mean exactly one thing each: a bad config, missing models, a failing
    recognizer, unwritable outputs, a damaged install key, a busy store or an internal error exit 2
    with one line (an internal error's details go to a file named in it, never as a traceback);
    Ctrl-C and SIGTERM leave the run resumable and exit 130."""

    def invoke(self, ctx: click.Context) -> Any:
        from privmap.detectors.presidio import RecognizerFailed
        from privmap.locate import LocateError
        from privmap.model import Halt
        from privmap.pipeline import RunNotFound
        from privmap.scanner.sources.base import SourceError
        from privmap.store import StoreBusy
        from privmap.store.keyfile import KeyFileError

        signal.signal(signal.SIGTERM, _interrupt)
        try:
            return super().invoke(ctx)
        except (
            ConfigError,
            Halt,  # the store or outputs cannot be written, a model cannot be loaded
            RecognizerFailed,
            RunNotFound,
            KeyFileError,
            StoreBusy,
            LocateError,
            SourceError,  # a source that cannot be watched (its messages name operations and codes only)
        ) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            click.echo("interrupted: the run is left resumable; run the same command again to resume it", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            path = _crash_report(exc)
            click.echo(f"error: internal error ({type(exc).__name__}); details in {path}", err=True)
            sys.exit(EXIT_ERROR)


def _interrupt(signum: int, frame: Any) -> None:
    """SIGTERM (a stopped container, a killed cron job) ends the run as Ctrl-C does: resumable."""
    raise KeyboardInterrupt


def _crash_report(exc: BaseException) -> Path:
    """Write where an internal error happened to a private file: the frames and the error's type,
    not its message (which may quote the content being read)."""
    import tempfile
    import traceback

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    path = Path(tempfile.gettempdir()) / f"privmap-error-{stamp}-{os.getpid()}.log"
    frames = traceback.extract_tb(exc.__traceback__)
    lines = [f"privmap {__version__}: internal error {type(exc).__module__}.{type(exc).__name__}"]
    lines += [f"  {f.filename}:{f.lineno} in {f.name}" for f in frames]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    return path


@click.group(cls=_ExitOnConfigError, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="privmap")
@click.option("-v", "--verbose", is_flag=True, help="Log progress at info level.")
def main(verbose: bool) -> None:
    """privmap finds personal data in buckets, databases and folders, maps where it flows,
    checks each store and transfer against GDPR, and writes the audit report and the
    record of processing activities (Art. 30)."""
    logs.setup(verbose)


_config_option = click.option(
    "-c",
    "--config",
    "config_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The privmap YAML config.",
)
_out_option = click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("privmap-report"),
    show_default=True,
    help="Folder for the reports.",
)
_run_option = click.option("--run", "run_id", type=int, default=None, help="Run id (default: the last finished run).")
_as_of_option = click.option(
    "--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Evaluate legal tables as of this date."
)
_rejudge_option = click.option(
    "--rejudge",
    is_flag=True,
    help="Judge the run again with the current config and today's legal tables (default: as the run judged it).",
)


@main.command()
@_config_option
@_out_option
@click.option(
    "--fail-on",
    type=click.Choice([*SEVERITIES, "none"]),
    default=None,
    help="Exit 1 when a check at or above this severity fails; none: never (default: reports.fail_on, high).",
)
@click.option("--full", is_flag=True, help="Read every item again, changed or not, in a new run (no resuming).")
@_as_of_option
def scan(config_path: Path, out_dir: Path, fail_on: str | None, full: bool, as_of: dt.datetime | None) -> None:
    """Scan every source, run the checks, write the reports.

    Exit code 0: no check at or above --fail-on failed; 1: one did; 2: a source could not be listed
    or opened at all, or the run could not be made; 130: interrupted (the run resumes next time).
    """
    from privmap import pipeline

    config = load_config(config_path)
    with _progress() as progress:
        result = pipeline.run(config, out_dir, full=full, as_of=as_of and as_of.date(), progress=progress)
    for line in summary(result.report):
        click.echo(line)
    for record in result.report.coverage:
        if text := coverage.warning(record):
            click.echo(f"warning: {text}", err=True)
    click.echo(f"reports: {out_dir / 'report.html'} and {out_dir / 'ropa.html'}")
    sys.exit(result.exit_code(fail_on or config.reports.fail_on))


def summary(report: ReportData) -> list[str]:
    """The run in two lines: what was looked at and found, then the score beside the coverage."""
    r = report.run
    not_inspected: dict[str, int] = {}
    for c in report.coverage:
        for row in c["not_inspected"]:
            not_inspected[row["reason"]] = not_inspected.get(row["reason"], 0) + row["count"]
    missing = sum(not_inspected.values())
    why = ", ".join(f"{n} {reason}" for reason, n in sorted(not_inspected.items(), key=lambda kv: (-kv[1], kv[0])))
    excluded = r["items_skipped"] + r["items_failed"] - missing
    return [
        f"run {r['run_id']} ({r['kind']}): {r['items_listed']} items: {r['items_scanned']} scanned, "
        f"{r['items_unchanged']} unchanged, {missing} not inspected{f' ({why})' if why else ''}"
        f"{f', {excluded} excluded by the config' if excluded else ''}; {r['findings']} findings "
        f"({len(report.new_findings)} new, {len(report.resolved_findings)} resolved), "
        f"{len(report.failed())} failed checks, {r['problems']} problems",
        coverage.summary_line(report.score(), report.coverage),
    ]


@main.command()
@_config_option
@_out_option
@_run_option
@_as_of_option
@_rejudge_option
def report(config_path: Path, out_dir: Path, run_id: int | None, as_of: dt.datetime | None, rejudge: bool) -> None:
    """Re-render the reports of a past run from the store, without rescanning: its findings, coverage
    and check results as the run judged them, unless --rejudge or --as-of asks to judge it again."""
    from privmap import pipeline
    from privmap.reports import write_reports

    with _stored_run(config_path, run_id) as (config, store, run):
        write_reports(pipeline.report_data(config, store, run, as_of and as_of.date(), rejudge=rejudge), out_dir)
    click.echo(f"reports of run {run}: {out_dir / 'report.html'} and {out_dir / 'ropa.html'}")


@main.command("graph")
@_config_option
@_run_option
@click.option(
    "-f", "--format", "fmt", type=click.Choice(["svg", "dot", "graphml", "json"]), default="svg", show_default=True
)
@click.option(
    "-o", "--output", "output_file", type=click.File("w", encoding="utf-8"), default="-", help="Default: stdout."
)
@_as_of_option
@_rejudge_option
def graph_command(
    config_path: Path, run_id: int | None, fmt: str, output_file: IO[str], as_of: dt.datetime | None, rejudge: bool
) -> None:
    """Draw or export the data map of a past run from the store, without rescanning."""
    from privmap import pipeline

    with _stored_run(config_path, run_id) as (config, store, run):
        output_file.write(pipeline.render_graph(config, store, run, fmt, as_of and as_of.date(), rejudge=rejudge))


@contextmanager
def _stored_run(config_path: Path, run_id: int | None, whole: bool = False) -> Iterator[tuple[Config, Store, int]]:
    """The config, its store and the id of the run asked for (default: the last finished one; with
    `whole`, the last finished full or incremental one)."""
    from privmap.pipeline import RunNotFound
    from privmap.store import Store

    config = load_config(config_path)
    store = Store(config.resolve(config.store.path))
    try:
        row = store.run(store.last_whole_run() if whole and run_id is None else run_id)
        if row is None:
            what = f"no run {run_id}" if run_id is not None else "no finished run"
            raise RunNotFound(f"{what} in the store yet: run `privmap scan` first")
        yield config, store, row["id"]
    finally:
        store.close()


@main.command("runs")
@_config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON list instead of a table.")
def list_runs(config_path: Path, as_json: bool) -> None:
    """List the runs in the config's store, newest first: kind, status, items, findings, failed
    checks by severity and coverage."""
    from privmap.pipeline import run_summaries

    config = load_config(config_path)
    rows = run_summaries(config)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    header = f"{'run':>4} {'kind':11} {'status':11} {'started':25} {'items':>7} {'findings':>8}"
    click.echo(f"{header}  failed checks  coverage")
    for r in rows:
        failed = " ".join(f"{n}{s[0].upper()}" for s, n in r["checks_failed"].items() if n) or "-"
        cov = f"{r['coverage']}%" if r["coverage"] is not None else "-"
        click.echo(
            f"{r['run_id']:>4} {r['kind']:11} {r['status']:11} {r['started']:25} {r['items']:>7} "
            f"{r['findings']:>8}  {failed:13}  {cov}"
        )


@main.command()
@click.option(
    "-i",
    "--input",
    "input_file",
    type=click.File("rb"),
    default="-",
    show_default=True,
    help='JSON Lines (UTF-8), one {"id": ..., "text": ...} per line; - reads stdin.',
)
@click.option(
    "-o",
    "--output",
    "output_file",
    type=click.File("w", encoding="utf-8"),
    default="-",
    show_default=True,
    help='JSON Lines, one {"id": ..., "spans": [...]} per input line; - writes stdout.',
)
@click.option("-l", "--language", default=None, help="Language of the texts (default: detection.language).")
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Take detection settings from this config.",
)
def detect(input_file: IO[bytes], output_file: IO[str], language: str | None, config_path: Path | None) -> None:
    """Detect personal data in texts; print character spans (raw values are never printed).

    A line that cannot be read gets {"id", "line", "error"} in its place and the other lines are
    answered as usual; the exit code is then 2."""
    from privmap.config.models import DetectionConfig
    from privmap.detectors.detector import Detector
    from privmap.detectors.input import DetectRequest, read_request
    from privmap.pipeline import build_detector

    detector = build_detector(load_config(config_path), b"") if config_path else Detector(DetectionConfig(), b"")
    batch: list[DetectRequest] = []
    rejected = 0

    def flush() -> None:
        texts = [r for r in batch if r.error is None]
        found = iter(detector.analyze([(r.text, "prose", ()) for r in texts], language))
        for r in batch:
            if r.error is not None:
                output_file.write(json.dumps({"id": r.id, "line": r.line, "error": r.error}) + "\n")
                continue
            rows = [
                {"start": s.start, "end": s.end, "entity_type": s.entity, "score": round(s.score, 3), "why": s.why}
                | ({"test_data": True} if s.test_data else {})
                for s in next(found)
            ]
            output_file.write(json.dumps({"id": r.id, "spans": rows}) + "\n")
        batch.clear()

    for n, raw in enumerate(input_file, 1):
        request = read_request(raw, n)
        if request is None:
            continue
        rejected += request.error is not None
        batch.append(request)
        if len(batch) == _DETECT_BATCH:
            flush()
    flush()
    if rejected:
        click.echo(f"error: {rejected} input line(s) could not be read (see their error records)", err=True)
        sys.exit(EXIT_ERROR)


@main.command("plugins")
def list_plugins() -> None:
    """List sources, extractors and alert sinks, and why any is disabled (with the extra that enables it)."""
    for info in plugins.catalogue():
        state = "enabled" if info.enabled else f"disabled: {info.reason}"
        extra = f" [{info.extra}]" if info.extra else ""
        click.echo(f"{info.kind:9} {info.name:10} {state}{extra}")


@main.command()
@_config_option
@_out_option
@click.option("--cron", "expression", required=True, help='When to scan, e.g. "0 3 * * *" (local time, as cron).')
@click.option(
    "--fail-on", type=click.Choice([*SEVERITIES, "none"]), default=None, help="As for scan; sets the exit code."
)
@click.option("--max-runs", type=click.IntRange(min=1), default=None, help="Stop after this many runs.")
def schedule(config_path: Path, out_dir: Path, expression: str, fail_on: str | None, max_runs: int | None) -> None:
    """Scan on a cron expression, in the foreground; runs never overlap.

    Each run is an ordinary scan (reports in --out, history in the store). Exit code: with
    --max-runs, the last run's (as for scan); 2 if another scheduler holds the store; 130 when stopped.
    """
    from privmap import schedule as scheduling

    try:
        expression = scheduling.parse(expression)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--cron") from None
    config = load_config(config_path)
    with _foreground(config, "schedule"):
        code = scheduling.run_on_schedule(
            expression, scheduling.scheduled_scan(config_path, out_dir, fail_on), max_runs=max_runs
        )
    sys.exit(code)


@main.command()
@_config_option
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    help="Seconds between looks at object stores and queues (folder events are taken at once).",
)
@click.option("--poll", is_flag=True, help="Poll folders instead of waiting for filesystem events.")
@click.option("--max-batches", type=click.IntRange(min=1), default=None, help="Stop after recording this many batches.")
def watch(config_path: Path, interval: float, poll: bool, max_batches: int | None) -> None:
    """Watch the `uploads: true` sources and judge each batch of new uploads as a partial run.

    Local folders by filesystem events, S3 by listing new keys since a mark kept in the store (or by
    S3 event notifications through SQS: `intake: sqs`). Alerts go to the configured sinks. Exit code:
    0 after --max-batches; 2 for a bad config, a source that cannot be watched, another watcher on the
    store or privmap's own environment failing (a model, an unwritable output); 130 when stopped
    (Ctrl-C, SIGTERM): a batch being recorded comes again next time.
    """
    from privmap.watch import Watcher

    config = load_config(config_path)
    with _foreground(config, "watch"), Watcher(config, poll=poll, interval=interval) as w:
        names = ", ".join(w.sources)
        w.run(max_batches, ready=lambda: click.echo(f"watching {names} (every {interval:g} s)", err=True))


@contextmanager
def _foreground(config: Config, role: str) -> Iterator[None]:
    """A long-running command (`schedule`, `watch`): one per store and role, else exit 2 naming the
    other; SIGTERM (systemd stop, Kubernetes) ends it as Ctrl-C does: "stopped", exit 130."""
    from privmap import schedule as scheduling

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        with scheduling.exclusive(config, role):
            yield
    except scheduling.AlreadyRunning as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
        sys.exit(EXIT_INTERRUPTED)
    finally:
        signal.signal(signal.SIGTERM, previous)


@main.command("alerts")
@_config_option
@click.option("--pending", is_flag=True, help="Only alerts some sink has not taken yet.")
@click.option("--deliver", is_flag=True, help="Try the pending deliveries now, without scanning.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per alert per line.")
def list_alerts(config_path: Path, pending: bool, deliver: bool, as_json: bool) -> None:
    """List the alerts raised by past runs and their delivery to each sink.

    Exit code 0; with --deliver, 2 when a sink still could not take its alerts.
    """
    from privmap import alerts
    from privmap.store import Store

    config = load_config(config_path)
    store = Store(config.resolve(config.store.path))
    try:
        kept = alerts.AlertStore(store)
        failed = [d for d in alerts.deliver(config, kept) if d.error] if deliver else []
        listed = kept.listing(pending_only=pending)
        if not listed and not as_json:
            click.echo("no pending alerts" if pending else "no alerts raised yet")
        for a in listed:
            if as_json:
                click.echo(json.dumps(a, sort_keys=True))
                continue
            state = "cleared" if a["cleared_run"] else "pending" if a["pending"] else "delivered"
            # a cleared alert is never sent: a sink that had not taken it will not
            unsent = "not sent (cleared)" if a["cleared_run"] else None
            sinks = ", ".join(
                f"{s['sink']}:{'ok' if s['delivered'] else unsent or s['error'] or 'waiting'}" for s in a["sinks"]
            )
            click.echo(f"#{a['id']} {a['severity']:8} {a['rule']} {a['subject']}  [{state}] {sinks}".rstrip())
    finally:
        store.close()
    for d in failed:
        click.echo(f"warning: sink {d.sink} is down ({d.error}); {d.pending} alerts stay pending", err=True)
    sys.exit(EXIT_ERROR if failed else 0)


@contextmanager
def _progress() -> Iterator[Any]:
    """A live counter on a terminal; nothing otherwise (logs carry the progress there)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("scanning", total=None)
        counts = {"scanned": 0, "unchanged": 0}
        workers = [""]  # the executor's last word on its workers (a cluster's grow and shrink)

        def update(item: Item, outcome: ItemOutcome | None, status: str = "") -> None:
            counts["unchanged" if outcome is None else "scanned"] += 1
            workers[0] = status or workers[0]
            on = f" [{workers[0]}]" if workers[0] else ""
            bar.update(
                task,
                description=f"{item.location.source}: {counts['scanned']} scanned, {counts['unchanged']} unchanged{on}",
            )

        yield update


_KIND_OPTIONS = (
    ("email", "--email", "An e-mail address (case and spaces do not matter)."),
    ("phone", "--phone", "A phone number: +44 20 7946 0000, 0044..., or national format read in --region."),
    ("iban", "--iban", "An IBAN, with or without spaces."),
    ("card", "--card", "A payment card number, with or without separators."),
    ("national_id", "--national-id", "A national identifier (SSN, NINO, PPSN, ...), with or without separators."),
    ("name", "--name", "A full name as written (matched only where names were found with confidence)."),
)


def _kind_options(fn: Any) -> Any:
    for dest, flag, text in reversed(_KIND_OPTIONS):
        fn = click.option(flag, dest, multiple=True, metavar="VALUE", help=f"{text} Repeatable.")(fn)
    return fn


@main.command()
@_config_option
@_kind_options
@click.option("--region", default=None, help="Country (ISO 3166-1 alpha-2) for phone numbers in national format.")
@click.option("-f", "--format", "fmt", type=click.Choice(["json", "html", "csv"]), default="json", show_default=True)
@click.option("-o", "--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout.")
@click.option("--verify", is_flag=True, help="Read the candidate locations again (only them) to confirm each match.")
@click.option(
    "--erased-list",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="CSV subject,kind,value[,erased_on] of completed erasures (as dsr.erased_list, which scans check): "
    "exit 1 if one is still found.",
)
@_run_option
def locate(
    config_path: Path,
    region: str | None,
    fmt: str,
    out_file: Path | None,
    verify: bool,
    erased_list: Path | None,
    run_id: int | None,
    **given: tuple[str, ...],
) -> None:
    """Find one person's data everywhere the last scan looked, from the occurrence index, without a
    rescan: for access (GDPR Art. 15, CCPA right to know) and erasure (Art. 17, CCPA right to
    delete) requests.

    Searches the last full or incremental run (--run: another). Exit code 0: answered (found or not:
    read the coverage caveat); 1: a subject of the erased list is still found; 2: no answer (no
    install key beside the store, no finished run, a bad config or list).
    """
    from privmap import locate as loc
    from privmap.files import write_atomic

    requested = [(kind, value) for kind, values in given.items() for value in values]
    config = load_config(config_path)
    if not requested and erased_list is None:
        raise click.UsageError("give at least one identifier (--email, --phone, ...) or --erased-list")
    secret = loc.secret_of(config)  # before the store is opened: no key, no answer
    region = region or loc.region_of(config)
    request = [loc.wanted(secret, kind, value, region) for kind, value in requested]
    for n, w in enumerate(request, start=1):
        if w.key is None:
            click.echo(f"warning: identifier {n} ({w.masked}) is not a valid {w.kind}: not searched", err=True)
    erased = loc.read_erased(erased_list, secret, region) if erased_list else []
    # by default the last full or incremental run: a partial run (an upload watch) saw only a few items
    with _stored_run(config_path, run_id, whole=True) as (config, store, run):
        result = loc.answer(config, store, run, request, erased)
        if verify:
            loc.verify(config, store, secret, result)
    text = loc.render(result, fmt)
    if out_file is None:
        click.echo(text, nl=False)
    else:
        write_atomic(out_file, text.encode("utf-8"))
        click.echo(f"answer written to {out_file}", err=True)
    if not result.complete:
        click.echo("warning: the index does not cover every store whole: not found does not mean not held", err=True)
    sys.exit(EXIT_FINDINGS if any(e["still_found"] for e in result.erased) else 0)


@main.command()
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path), default=Path("demo-estate"))
@click.option("--force", is_flag=True, help="Write into DEST even if it already holds files.")
def demo(dest: Path, force: bool) -> None:
    """Build a small demo estate (folders, a SQLite CRM, logs) and its config in DEST."""
    from privmap.demo import build

    if dest.exists() and any(dest.iterdir()) and not force:
        click.echo(f"error: {dest} already holds files; choose an empty folder, or add --force", err=True)
        sys.exit(EXIT_ERROR)

    config = build(dest)
    click.echo(f"demo estate in {dest}; scan it with: privmap scan --config {config} --out {dest / 'reports'}")
