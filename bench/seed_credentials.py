"""Add N generated credentials to a Tessera database on PostgreSQL, fast (COPY).

Run: .venv/bin/python bench/seed_credentials.py postgresql://user@host:5432/db 1000000

The database must be migrated and hold the catalog, a signing key and at least one issued
credential (a campaign imported the ordinary way): the generated rows reuse those
credentials' signed tokens and the key's ``kid`` (verification of the generated rows is
not what they are for: they are the million rows the reads must not slow down with).

What it writes, the shape real issuance gives:

- one holder per credential (employee numbers ``G<seed>-<n>``, names drawn from common
  Chinese surnames and given-name characters, one in twenty in pinyin);
- campaigns of ``--campaign`` rows sharing an issue time, an exam session and date, one
  campaign a day going back from today, units, occupations and levels drawn at random;
- status slots in fresh revocation lists of ``LIST_SIZE`` indexes filled to ``FILL_LIMIT``
  with random indexes, as ``allocate_indexes`` does, numbers ``TS<year><list><index>``;
- 2 % revoked and 1 % suspended (their bits set, their lists' revisions bumped).

Everything goes in one transaction through ``COPY ... FROM STDIN``; ``ANALYZE`` follows.
Audit events are not generated (no read of the register reads them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
import uuid
from collections.abc import Iterator

import psycopg

from issuer.credentials.lookup import holder_name_key
from issuer.credentials.status_list import FILL_LIMIT, LIST_SIZE

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉萍文辉力斌波宁鹏飞俊峰燕凤婷雪琳晨浩宇欣怡子涵梓轩"  # noqa: E501
PINYIN_SURNAMES = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou")
PINYIN_GIVEN = ("Wei", "Fang", "Na", "Min", "Jing", "Lei", "Jun", "Yang", "Jie", "Tao", "Ming")
REVOKED = 0.02
SUSPENDED = 0.01


def _name(rng: random.Random) -> str:
    if rng.random() < 0.05:
        given = rng.choice(PINYIN_GIVEN) + rng.choice(PINYIN_GIVEN).lower()
        return f"{rng.choice(PINYIN_SURNAMES)} {given}"
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


def _copy(
    cursor: psycopg.Cursor[tuple[object, ...]], sql: str, rows: Iterator[tuple[object, ...]]
) -> int:
    count = 0
    with cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def seed(url: str, count: int, *, seed_value: int, campaign: int) -> dict[str, float]:
    """Add ``count`` credentials to the database at ``url``; returns timings (seconds)."""
    rng = random.Random(seed_value)
    started = time.perf_counter()
    with psycopg.connect(url) as db, db.cursor() as cursor:
        units = [r[0] for r in cursor.execute("SELECT id FROM units ORDER BY id")]
        occupations = [r[0] for r in cursor.execute("SELECT id FROM occupations ORDER BY id")]
        levels = [r[0] for r in cursor.execute("SELECT id FROM levels ORDER BY id")]
        templates = cursor.execute("SELECT kid, jws FROM credentials LIMIT 2000").fetchall()
        if not (units and occupations and levels and templates):
            sys.exit("the database needs its catalog and at least one issued credential")
        kid = templates[0][0]
        tokens = [t[1] for t in templates if t[0] == kid]
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        lists_needed = -(-count // FILL_LIMIT)
        list_ids = [
            r[0]
            for r in cursor.execute(
                "INSERT INTO status_lists (purpose, size, revision, created_at) "
                "SELECT 'revocation', %s, 0, %s FROM generate_series(1, %s) RETURNING id",
                (LIST_SIZE, now, lists_needed),
            )
        ]
        list_ids.sort()
        # The holders, credentials and slots, drawn once so that the three COPYs agree.
        plan: list[tuple[str, str, str, str, int, int]] = []
        for list_id in list_ids:
            take = min(FILL_LIMIT, count - len(plan))
            for index in rng.sample(range(LIST_SIZE), take):
                roll = rng.random()
                state = (
                    "revoked"
                    if roll < REVOKED
                    else "suspended"
                    if roll < REVOKED + SUSPENDED
                    else "active"
                )
                plan.append(
                    (
                        str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        _name(rng),
                        state,
                        list_id,
                        index,
                    )
                )
        drawn = time.perf_counter()

        def holders() -> Iterator[tuple[object, ...]]:
            for n, (_cid, holder_id, name, *_rest) in enumerate(plan):
                yield (holder_id, f"G{seed_value}-{n:08d}", name, now)

        def credentials() -> Iterator[tuple[object, ...]]:
            for n, (cid, holder_id, name, state, list_id, index) in enumerate(plan):
                day = n // campaign
                issued_at = now - dt.timedelta(days=day, hours=1)
                session = f"G{seed_value}-{day:05d}"
                changed = issued_at + dt.timedelta(hours=2) if state != "active" else None
                reason = (
                    "exam_misconduct"
                    if state == "revoked"
                    else ("holder_request" if state == "suspended" else None)
                )
                yield (
                    cid,
                    f"TS{issued_at.year}{list_id:03d}{index:06d}",
                    holder_id,
                    name,
                    holder_name_key(name),
                    rng.choice(occupations),
                    rng.choice(levels),
                    rng.choice(units),
                    (issued_at - dt.timedelta(days=10)).date(),
                    session,
                    float(60 + n % 40),
                    issued_at.replace(microsecond=0),
                    issued_at + dt.timedelta(days=3 * 365),
                    issued_at,
                    kid,
                    tokens[n % len(tokens)],
                    state,
                    changed,
                    reason,
                    f"G{seed_value}-{n:08d}|{session}",
                )

        def allocations() -> Iterator[tuple[object, ...]]:
            for n, (cid, _h, _name, state, list_id, index) in enumerate(plan):
                day = n // campaign
                changed = now - dt.timedelta(days=day, hours=-1)
                yield (
                    list_id,
                    index,
                    cid,
                    changed if state == "revoked" else None,
                    changed if state == "suspended" else None,
                )

        _copy(
            cursor,
            "COPY holders (id, employee_number, name, created_at) FROM STDIN",
            holders(),
        )
        copied_holders = time.perf_counter()
        _copy(
            cursor,
            "COPY credentials (id, number, holder_id, holder_name, holder_name_key, "
            "occupation_id, level_id, unit_id, exam_date, exam_session, score, valid_from, "
            "valid_until, issued_at, kid, jws, state, state_changed_at, state_reason, "
            "issuance_key) FROM STDIN",
            credentials(),
        )
        copied_credentials = time.perf_counter()
        _copy(
            cursor,
            'COPY status_allocations (list_id, "index", credential_id, set_at, suspended_at) '
            "FROM STDIN",
            allocations(),
        )
        cursor.execute(
            "UPDATE status_lists SET revision = revision + 1 WHERE id = ANY(%s)", (list_ids,)
        )
        db.commit()
        copied = time.perf_counter()
        db.autocommit = True
        cursor.execute("ANALYZE holders")
        cursor.execute("ANALYZE credentials")
        cursor.execute("ANALYZE status_allocations")
    finished = time.perf_counter()
    return {
        "draw": drawn - started,
        "holders": copied_holders - drawn,
        "credentials": copied_credentials - copied_holders,
        "allocations": copied - copied_credentials,
        "analyze": finished - copied,
        "total": finished - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="postgresql://... of a migrated Tessera database")
    parser.add_argument("count", type=int, help="how many credentials to add")
    parser.add_argument("--seed", type=int, default=1, help="rows differ per seed")
    parser.add_argument("--campaign", type=int, default=2000, help="rows per campaign")
    args = parser.parse_args()
    timings = seed(args.url, args.count, seed_value=args.seed, campaign=args.campaign)
    rate = args.count / timings["total"]
    print(f"added {args.count:,} credentials in {timings['total']:.1f} s ({rate:,.0f}/s)")
    for step, seconds in timings.items():
        print(f"  {step:12} {seconds:7.1f} s")


if __name__ == "__main__":
    main()
