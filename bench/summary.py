"""Write the results table of bench/README.md from the last run's bench/results/*.

Not a benchmark. ``make bench`` runs it last; run it alone after any single script::

    .venv/bin/python bench/summary.py

Replaces what stands between the ``results:start`` and ``results:end`` markers of
bench/README.md; the explanations around the table are written by hand.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # puts the repository root on sys.path

README = benchlib.REPO / "bench" / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"


def load(name: str) -> dict | None:
    path = benchlib.RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def cpu_cell(row: dict) -> str:
    """The application's CPU per request, and PostgreSQL's where it was measured."""
    db = row.get("db_cpu_ms")
    return f"{row['app_cpu_ms']:.1f} ms" + (f" + database {db:.1f} ms" if db is not None else "")


def measured_alone(web: dict) -> dict[str, tuple[dict, dict]]:
    """Pages measured alone after ``web`` (``bench/web.py --pages``, results/web-<keys>.json):
    page key → (its row, the bare row of the same rounds)."""
    later: dict[str, tuple[dict, dict]] = {}
    for path in sorted(benchlib.RESULTS.glob("web-*.json")):
        run = json.loads(path.read_text())
        if run["finished_at"] <= web["finished_at"]:
            continue
        rows = {r["key"]: r for r in run["rows"]}
        for r in run["rows"]:
            if "ratio" in r and run["finished_at"] > later.get(r["key"], ({}, {}))[0].get(
                "finished_at", ""
            ):
                later[r["key"]] = (
                    {
                        **r,
                        "finished_at": run["finished_at"],
                        "loadavg": run["machine"]["loadavg_1m_at_start"],
                    },
                    rows[r["baseline"]],
                )
    return later


def web_rows(web: dict) -> list[str]:
    by_key = {r["key"]: r for r in web["rows"]}
    alone = measured_alone(web)
    rows = []
    for r in web["rows"]:
        if r["key"] in alone:  # the later run's row, with its own baseline
            r, bare = alone[r["key"]]
            rows.append(
                f"| Web: {r['label']} (measured alone, {r['finished_at']}, load average "
                f"{r['loadavg']} when it ended) | {r['rps']:.1f} req/s "
                f"({benchlib.spread([run['rps'] for run in r['runs']])}) | "
                f"p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms | {r['ratio']:.3f} × "
                f"{bare['label'].split(': ')[1]} in the same rounds ({bare['rps']:.1f} req/s) | "
                f"{cpu_cell(r)} (the bare {cpu_cell(bare)}) | ≥ "
                f"{benchlib.ratio_target(r['key'])} × bare: "
                f"{verdict(r['ratio'] >= benchlib.ratio_target(r['key']))} |"
            )
            continue
        if r["key"] == "overview":
            target = f"p99 < 300 ms: {verdict(r['p99_ms'] < 300)}"
        elif "ratio" in r:
            goal = benchlib.ratio_target(r["key"])
            target = f"≥ {goal} × bare: {verdict(r['ratio'] >= goal)}"
        else:
            target = "(baseline)"
        ratio = (
            f"{r['ratio']:.2f} × {by_key[r['baseline']]['label'].split(': ')[1]}"
            if "ratio" in r
            else "–"
        )
        spread = benchlib.spread([run["rps"] for run in r["runs"]])
        rows.append(
            f"| Web: {r['label']} | {r['rps']:.1f} req/s ({spread}) | "
            f"p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms | {ratio} | "
            f"{cpu_cell(r)} | {target} |"
        )
    floor = web.get("floor_cpu_ms")
    if floor:
        rows.append(
            f"| Web: floor of any signed-in page (in-process only: an empty response; "
            f"an empty page in the layout) | – | – | – | {floor['signed_in']:.1f} ms; "
            f"{floor['layout']:.1f} ms | (for comparison) |"
        )
    return rows


def reminder_rows(rem: dict) -> list[str]:
    product = rem["product_runs"]
    connections = product[0]["smtp_connections"]
    seconds = [r["seconds"] for r in product]
    base = [r["seconds"] for r in rem["baseline_runs"]]
    worker_cpu = benchlib.median([r["worker_cpu_ms_per_email"] for r in product])
    sender_cpu = benchlib.median([r["sender_cpu_ms_per_email"] for r in rem["baseline_runs"]])
    return [
        f"| Reminders: {rem['reminders']:,} through Celery (prefork ×{rem['concurrency']}, "
        f"chunks of {rem['chunk_size']}, {connections} SMTP connections) | "
        f"{rem['product_seconds']:.1f} s ({benchlib.spread(seconds)}) | "
        f"{rem['reminders'] / rem['product_seconds']:,.0f} e-mails/s | "
        f"{rem['ratio']:.2f} × baseline | workers: {worker_cpu:.2f} ms per e-mail | "
        f"≤ 120 s: {verdict(rem['product_seconds'] <= 120)}; "
        f"ratio ≥ 0.5: {verdict(rem['ratio'] >= 0.5)} |",
        f"| Reminders baseline: smtplib, one connection, the same messages | "
        f"{rem['baseline_seconds']:.1f} s ({benchlib.spread(base)}) | "
        f"{rem['reminders'] / rem['baseline_seconds']:,.0f} e-mails/s | – | "
        f"sender: {sender_cpu:.2f} ms per e-mail | (baseline) |",
    ]


def report_rows(rep: dict) -> list[str]:
    rows = []
    for slug, s in rep["summary"].items():
        rows.append(
            f"| Report: {s['people']:,} people ({slug}) | aggregates {s['aggregates_s']:.2f} s, "
            f"HTML + PDF {s['pdf_s']:.2f} s, total {s['total_s']:.2f} s "
            f"({benchlib.spread([r['total_s'] for r in rep['runs'][slug]])}) | "
            f"peak RSS {s['peak_rss_mb']:.0f} MB | – | – | "
            + (
                "(half size)"
                if slug != "bench"
                else f"aggregates ≤ 10 s: {verdict(rep['met']['aggregates_s'])}; PDF ≤ 20 s: "
                f"{verdict(rep['met']['pdf_s'])}; ≤ 500 MB: {verdict(rep['met']['peak_rss_mb'])}"
            )
            + " |"
        )
    rows.append(
        f"| Report: 50,000 vs 25,000 people | {rep['doubling']:.2f} × the time | – | – | "
        f"– | ≤ 2.2×: {verdict(rep['met']['doubling'])} |"
    )
    return rows


def redaction_rows(text: str) -> list[str]:
    def seconds(label: str) -> float:
        return float(
            re.search(rf"^{re.escape(label)}\s+\S+ texts\s+([\d.]+)", text, re.MULTILINE).group(1)
        )

    ours, naive = seconds("Redactor: total"), seconds("Baseline: total (extrapolated)")
    quality = re.search(r"certain recall ([\d.]+) .* precision ([\d.]+)", text)
    detail = f"recall {quality.group(1)}, precision {quality.group(2)}; " if quality else ""
    return [
        f"| Redaction: 20,000 texts vs 50,000 names incl. building (token windows) | "
        f"{ours:.2f} s | {detail}{20_000 / ours:,.0f} texts/s | {naive / ours:,.0f}× faster "
        f"than the naive regex baseline ({naive:,.0f} s, extrapolated) | – | "
        f"≤ 10 s: {verdict(ours <= 10)} |"
    ]


def table() -> str:
    lines = [
        "| Benchmark | Time or rate (median; min–max) | Latency / detail | Ratio | "
        "CPU per request or e-mail | Target |",
        "|---|---|---|---|---|---|",
    ]
    machines = []
    web, rem, rep = load("web"), load("reminders"), load("report")
    machine = (web or rem or rep or {}).get("machine", {})
    redaction = benchlib.RESULTS / "redaction.txt"
    for data, rows in ((web, web_rows), (rem, reminder_rows), (rep, report_rows)):
        if data:
            lines += rows(data)
            cpu = data["machine"].get("cpu")
            machines.append(
                f"{data['benchmark']}: {data['finished_at']}, load average "
                f"{data['machine']['loadavg_1m_at_start']} at start"
                + (f", on {cpu}" if cpu != machine.get("cpu") else "")
            )
    if redaction.exists():
        lines += redaction_rows(redaction.read_text())
    head = (
        f"Machine: {machine.get('cores', '?')} cores ({machine.get('cpu', '?')}), "
        f"Python {machine.get('python', '?')}. Runs: " + "; ".join(machines) + "."
    )
    return head + "\n\n" + "\n".join(lines)


def main() -> None:
    text = README.read_text()
    if START not in text or END not in text:
        raise SystemExit(f"{README} lacks the {START} … {END} markers")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    README.write_text(f"{before}{START}\n{table()}\n{END}{after}")
    print(table())


if __name__ == "__main__":
    main()
