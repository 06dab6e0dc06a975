#!/usr/bin/env python3
# Regenerates the small committed seed corpora under fuzz/corpus/ from the
# test vectors in tests/vectors (docs/FORMATS.md encodings). Run from the
# repository root:
#   python3 fuzz/make_seeds.py tests/vectors
import hashlib, json, os, struct, sys

vectors = sys.argv[1] if len(sys.argv) > 1 else "tests/vectors"
out_root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
SCHEMES = {"ed25519": 1, "secp256k1": 2, "p256": 3}

def lines(name):
    with open(os.path.join(vectors, name)) as f:
        return [json.loads(l) for l in f if l.strip()]

def tx_json(v):
    return {k: v[k] for k in ("scheme", "public_key", "signature", "payload")}

def tx_bin(v):
    pk, sig, pl = (bytes.fromhex(v[k]) for k in ("public_key", "signature", "payload"))
    return bytes([1, SCHEMES[v["scheme"]]]) + pk + sig + struct.pack("<I", len(pl)) + pl

def merkle(ids):
    if not ids:
        return hashlib.sha256(b"").digest()
    if len(ids) == 1:
        return hashlib.sha256(b"\0" + ids[0]).digest()
    k = 1
    while k * 2 < len(ids):
        k *= 2
    return hashlib.sha256(b"\1" + merkle(ids[:k]) + merkle(ids[k:])).digest()

def header(height, prev, txs, ts):
    ids = [hashlib.sha256(tx_bin(t)).digest() for t in txs]
    return struct.pack("<BQ", 1, height) + prev + merkle(ids) + struct.pack("<QI", ts, len(txs))

def block_json(height, prev, txs, ts):
    h = header(height, prev, txs, ts)
    return {"hash": hashlib.sha256(h).hexdigest(),
            "header": {"version": 1, "height": height, "prev_hash": prev.hex(),
                       "merkle_root": h[41:73].hex(), "timestamp_ms": ts, "tx_count": len(txs)},
            "transactions": [tx_json(t) for t in txs]}

def write(target, name, data):
    d = os.path.join(out_root, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

wy = [v for v in lines("blockgate_wycheproof.jsonl") if v["expected"] != "malformed"]
sc = lines("blockgate_speccheck.jsonl")
# One valid and one invalid case per scheme, a non-empty payload, a speccheck case.
picks = []
for scheme in SCHEMES:
    for verdict in ("valid", "invalid_signature"):
        cands = [v for v in wy if v["scheme"] == scheme and v["expected"] == verdict]
        cands.sort(key=lambda v: -len(v["payload"]))
        picks.append(cands[0])
picks.append(sc[3])

for i, v in enumerate(picks):
    write("fuzz_tx_binary", f"tx{i}.bin", tx_bin(v))
    write("fuzz_tx_json", f"tx{i}.json", json.dumps(tx_json(v)))
# Two transactions back to back (a binary POST body) and an upper-case JSON form.
write("fuzz_tx_binary", "two.bin", tx_bin(picks[0]) + tx_bin(picks[2]))
up = tx_json(picks[1]); up["public_key"] = up["public_key"].upper()
write("fuzz_tx_json", "upper.json", json.dumps(up))

prev = hashlib.sha256(header(0, bytes(32), [], 0)).digest()
blocks = [(0, bytes(32), [], 0), (1, prev, picks[:3], 1700000000000), (2, prev, picks[3:7], 1700000000001)]
for i, (h, p, txs, ts) in enumerate(blocks):
    write("fuzz_block_binary", f"block{i}.bin", header(h, p, txs, ts) + b"".join(tx_bin(t) for t in txs))
    write("fuzz_block_json", f"block{i}.json", json.dumps(block_json(h, p, txs, ts)))

for i, s in enumerate(["", "00", "deadBEEF", prev.hex(), prev.hex().upper(), "0g", "abc"]):
    write("fuzz_hex", f"hex{i}", s)
