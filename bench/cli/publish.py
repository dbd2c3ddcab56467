"""``bench publish [REPORTS_DIR]``: every report as one static site; ``--serve`` previews it."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "publish",
        help="build a static site of all reports (index, one page per suite)",
        description="Build a static site from every suite under REPORTS_DIR (each "
        "suite folder holding its results store is re-rendered; a folder with only a report.html is copied): "
        "an index listing title, dataset, date, best variant and runs, one page per suite "
        "and, with --diff, a comparison page. The pages open from disk with no network. "
        "Nothing is trained.",
        epilog="Examples: bench publish --out site   |   bench publish reports --out site "
        "--base-url https://example.org/bench/   |   bench publish --out site --serve --port 8000",
    )
    parser.add_argument(
        "reports",
        nargs="?",
        default="reports",
        metavar="REPORTS_DIR",
        help="folder holding one folder per suite (default: reports)",
    )
    parser.add_argument("--out", default="site", metavar="DIR", help="site folder (default: site)")
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="where the site will be hosted, e.g. https://example.org/bench/ "
        "(canonical links; links between pages stay relative)",
    )
    parser.add_argument(
        "--lang",
        choices=("en", "ru"),
        help="language of every page (default: each suite's own; English index)",
    )
    parser.add_argument("--templates", metavar="DIR", help="templates overriding the defaults")
    parser.add_argument(
        "--diff",
        nargs=2,
        metavar=("OLD", "NEW"),
        help="also publish a page comparing two stores of one suite",
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="then preview the site on http://127.0.0.1:PORT (Ctrl-C stops)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8000,
        metavar="P",
        help="port for --serve (default 8000; 0 picks a free one)",
    )
    parser.set_defaults(handler=execute)


def execute(args: argparse.Namespace) -> int:
    from bench.errors import BenchError
    from bench.publish import publish_site, serve

    if not 0 <= args.port <= 65535:
        raise BenchError(f"--port: {args.port} is not allowed — a port number from 0 to 65535")
    index = publish_site(
        args.reports, args.out, base_url=args.base_url, lang=args.lang,
        templates=args.templates, diff=args.diff,
    )  # fmt: skip
    print(f"site: {index}")
    if not args.serve:
        return 0
    server = serve(index.parent, args.port)
    host, port = str(server.server_address[0]), server.server_address[1]
    print(f"serving {index.parent} at http://{host}:{port}/ — Ctrl-C stops", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()
    return 0
