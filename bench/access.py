"""Access-rule benchmark (run by `make bench`): ``package_search`` p50 for a
department user versus an anonymous user on the 100,000-entry search
benchmark database (``lyg_bench_search``, built or reused by
``bench/search.py``; this script only reads it).

How the access rule labels entries (``ckanext/lyg/access/rule.py``): an entry
carries ``public`` (open unconditionally/conditionally), ``gov`` (any active,
non-private entry), ``member-<department>``, ``authority``; an anonymous or
public-portal user asks for ``[public]``, department staff on the internal
portal for ``[gov, creator-<id>, member-<dept>…]``. Approved requests grant
*data*, never visibility, so they are **not** labels: the department user's
label list stays three labels however many requests were approved.

The benchmark database was indexed with CKAN's default labels (``public`` /
``member-<org>``), so the department user is measured with the equivalent
list ``[public, creator-<id>, member-<org>]`` (same size and shape as
``[gov, creator-<id>, member-<org>]``). To show what a grant-as-label design
would cost, a third viewer adds 50 ``grant:<package id>`` labels (approved
requests on 50 entries). Labels reach ``package_search`` through CKAN's
``get_permission_labels()`` (replaced in this process by a fixed-label
provider: the bench database has no users).

    python bench/access.py [--queries K]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search import DB, SUBJECTS, Bench, ms, pct  # noqa: E402


class FixedLabels:
    """The labels of the viewer being measured."""

    labels: list[str] = ["public"]

    def get_user_dataset_labels(self, user_obj):  # noqa: ANN001 - CKAN's interface
        return list(self.labels)

    def get_dataset_labels(self, dataset_obj):  # noqa: ANN001
        return ["public"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--queries", type=int, default=60, help="queries per class and viewer")
    args = ap.parse_args()
    b = Bench(argparse.Namespace(rebuild=False, drop=False, queries=args.queries))
    b.boot_ckan()
    import ckan.plugins.toolkit as tk
    import sqlalchemy as sa
    from ckan.lib import plugins as lib_plugins
    from ckanext.lyg_search import cache

    session = b.model.Session
    total = session.execute(sa.text("SELECT count(*) FROM package")).scalar()
    if total < 1000:
        sys.exit(f"{DB} holds {total} entries: run bench/search.py first")
    org = session.execute(sa.text(
        "SELECT owner_org FROM package WHERE owner_org IS NOT NULL GROUP BY owner_org"
        " ORDER BY count(*) DESC LIMIT 1")).scalar()
    granted = session.execute(sa.text(
        "SELECT id FROM package WHERE NOT private ORDER BY md5(id) LIMIT 50")).scalars().all()
    session.remove()
    provider = FixedLabels()
    lib_plugins.get_permission_labels = lambda: provider  # the bench database has no users
    dept = ["public", "creator-00000000-0000-0000-0000-00000000b001", f"member-{org}"]
    viewers = {
        "anonymous": ["public"],
        "department (rule labels)": dept,
        "department + 50 grant labels": dept + [f"grant:{i}" for i in granted],
    }
    rng = random.Random(11)
    words = SUBJECTS + ["连云港", "人口", "企业", "不动产"]
    facets = json.dumps(["organization", "groups", "tags", "res_format", "share_type"])
    classes = {
        "keyword": lambda: {"q": rng.choice(words)},
        "keyword + 5 facets": lambda: {"q": rng.choice(words), "facet.field": facets},
        "*:* + 5 facets": lambda: {"q": "*:*", "facet.field": facets},
    }
    timings: dict[str, list[float]] = {v: [] for v in viewers}
    per_class: dict[tuple[str, str], list[float]] = {}
    counts: dict[str, list[int]] = {v: [] for v in viewers}
    with b.flask_app.test_request_context():
        action = tk.get_action("package_search")
        for _ in range(3):  # warm up
            for labels in viewers.values():
                provider.labels = labels
                action({"user": "bench-viewer"}, {"q": "人口"})
        order = list(viewers)
        for name, make in classes.items():
            for i in range(args.queries):
                params = make()
                # interleaved, and each viewer first in turn: the first run of a
                # query warms PostgreSQL's buffers for the others
                for viewer in order[i % 3:] + order[:i % 3]:
                    provider.labels = viewers[viewer]
                    cache.clear()
                    t0 = time.perf_counter()
                    res = action({"user": "bench-viewer"}, dict(params))
                    took = time.perf_counter() - t0
                    timings[viewer].append(took)
                    per_class.setdefault((name, viewer), []).append(took)
                    counts[viewer].append(res["count"])
        session.remove()
    load = os.getloadavg()
    print()
    print(f"access benchmark — package_search on {DB} ({total} entries), {args.queries} cold queries "
          f"per class and viewer, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
          f"{os.cpu_count()} cores")
    print(f"  {'class':22s} " + "".join(f"{v:>32s}" for v in viewers))
    for name in classes:
        print(f"  {name:22s} " + "".join(f"{ms(pct(per_class[(name, v)], 50)):>32s}" for v in viewers))
    p50 = {v: statistics.median(ts) for v, ts in timings.items()}
    for viewer in viewers:
        print(f"  p50 {viewer:32s} {ms(p50[viewer])}   median hits {int(statistics.median(counts[viewer]))}")
    anon = p50["anonymous"]
    print(f"  ratio department / anonymous             = {p50['department (rule labels)'] / anon:.2f}"
          "  (target ≤ 1.5)")
    print(f"  ratio department + 50 grant labels / anon = "
          f"{p50['department + 50 grant labels'] / anon:.2f}  (a design we do not use)")


if __name__ == "__main__":
    main()
