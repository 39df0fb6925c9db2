"""Ingest throughput per input format, on real news text (the bundled sample archive).

The same N articles are written out as JSONL, CSV, HTML pages, one RSS feed and a gzipped
WARC; each is then loaded (parse + extraction + attribution + language detection, no
embedding) and timed, and the MinHash near-duplicate check is timed on its own.  One
end-to-end ingest (load → chunk → embed → Chroma + catalog) of a small HTML set shows what
dominates a real ingest.  Usage::

    python benchmarks/bench_formats.py [--n 300] [--e2e 40] [--out results.json]
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import itertools
import json
import tempfile
import time
from pathlib import Path

from newsqa.config import Settings
from newsqa.engine import Engine, sample_archive_path
from newsqa.errors import LoadError
from newsqa.ingest.loaders import load_paths
from newsqa.ingest.neardup import NearDupIndex


def sample_records(n: int) -> list[dict]:
    """About n/3 records each of Wikinews, Kremlin news items and UN speeches."""
    files = ["wikinews-2019-2020.jsonl", "kremlin-2016.jsonl", "un-general-debate-2016.jsonl"]
    out: list[dict] = []
    for name in files:
        with (sample_archive_path() / name).open(encoding="utf-8") as f:
            out.extend(json.loads(line) for line in itertools.islice(f, n // len(files) + 1))
    return out[:n]


def page(rec: dict) -> str:
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in rec["text"].split("\n") if p.strip())
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle",
                     "headline": rec["title"], "datePublished": rec["date"],
                     "author": [{"@type": "Person", "name": a} for a in rec["authors"]],
                     "publisher": {"@type": "Organization", "name": rec["source"]}})
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(rec["title"])}'
            f'</title><link rel="canonical" href="{html.escape(rec["url"])}">'
            f'<script type="application/ld+json">{ld}</script></head><body><nav><ul><li>Home</li>'
            f'<li>World</li><li>Politics</li></ul></nav><article><h1>{html.escape(rec["title"])}'
            f'</h1>{body}</article><footer>Copyright. Privacy. Terms.</footer></body></html>')


def write_formats(recs: list[dict], root: Path) -> dict[str, Path]:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    paths = {"jsonl": root / "a.jsonl", "csv": root / "a.csv", "html": root / "pages",
             "rss": root / "a.rss", "warc.gz": root / "a.warc.gz"}
    paths["jsonl"].write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    with paths["csv"].open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["headline", "body", "pubdate", "link", "outlet"])
        w.writerows([r["title"], r["text"], r["date"], r["url"], r["source"]] for r in recs)
    paths["html"].mkdir()
    for i, r in enumerate(recs):
        (paths["html"] / f"{i:05d}.html").write_text(page(r), encoding="utf-8")
    items = "".join(
        f"<item><title>{html.escape(r['title'])}</title><link>{html.escape(r['url'])}</link>"
        f"<pubDate>{r['date']}</pubDate><description>{html.escape(r['text'])}</description>"
        "</item>" for r in recs)
    paths["rss"].write_text(f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0">'
                            f"<channel><title>Bench</title>{items}</channel></rss>",
                            encoding="utf-8")
    with paths["warc.gz"].open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for r in recs:
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                    protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                r["url"], "response", payload=io.BytesIO(page(r).encode("utf-8")),
                http_headers=http))
    return paths


def time_load(path: Path) -> dict:
    t0 = time.perf_counter()
    items = list(load_paths([path]))
    secs = time.perf_counter() - t0
    ok = sum(not isinstance(i, LoadError) for i in items)
    return {"articles": ok, "errors": len(items) - ok, "seconds": round(secs, 2),
            "articles_per_s": round(ok / secs, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--n", type=int, default=300, help="articles per format")
    ap.add_argument("--e2e", type=int, default=40, help="HTML pages ingested end to end")
    ap.add_argument("--out", type=Path, help="write the results as JSON here")
    args = ap.parse_args()

    recs = sample_records(args.n)
    results: dict = {"n": len(recs), "chars": sum(len(r["text"]) for r in recs), "load": {}}
    with tempfile.TemporaryDirectory(prefix="newsqa-bench-formats-") as tmp:
        root = Path(tmp)
        paths = write_formats(recs, root)
        list(load_paths([paths["jsonl"]]))  # warm-up: language model, imports
        for fmt, path in paths.items():
            results["load"][fmt] = time_load(path)
            print(f"{fmt:8} {results['load'][fmt]}", flush=True)

        t0 = time.perf_counter()
        import sqlite3

        nd = NearDupIndex(sqlite3.connect(":memory:"), 0.6)
        dups = 0
        for r in recs:
            sig = nd.signature(r["text"])
            if sig is not None:
                dups += nd.find(sig, r["id"], alive=lambda _: True) is not None
                nd.add(r["id"], sig)
        secs = time.perf_counter() - t0
        results["neardup"] = {"articles_per_s": round(len(recs) / secs, 1), "found": dups}
        print(f"neardup  {results['neardup']}", flush=True)

        e2e_dir = root / "e2e"
        e2e_dir.mkdir()
        for p in sorted(paths["html"].iterdir())[: args.e2e]:
            p.rename(e2e_dir / p.name)
        engine = Engine(Settings(index=root / "index"))
        _ = engine.embedder.dim  # load the model outside the timing
        report = engine.ingest([e2e_dir])
        results["end_to_end_html"] = {
            "articles": report.added, "chunks": report.chunks,
            "seconds": round(report.seconds, 1),
            "articles_per_s": round(report.added / report.seconds, 2)}
        print(f"e2e html {results['end_to_end_html']}", flush=True)
        engine.close()
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
