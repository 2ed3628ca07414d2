"""The compiled half of `wordvec.phrases`: a hash table of token sequences and the kernels that
count phrase candidates into it, apply accepted phrases to a chunk of text, and write the result.

A candidate is a token sequence `a c1 .. ck b` (model ids: a and b words, c connector words). The
`SequenceTable` stores each distinct one once: its 64-bit key, count, and tokens (in a pool),
found by open addressing on the key and confirmed token by token, so two sequences sharing a key
stay two entries (exact, like the tokenizer's word table). `slots` (int32, a power of two, at
most half full) hold entry numbers; an entry's row of `ent` holds its key, first two tokens
packed and count, so finding and counting a bigram touches one slot and one row (both tables
small enough to stay in cache far longer than rows of everything would); longer sequences are
confirmed in the pool. Every kernel reads a chunk as the tokenizer gives it: provisional
`scan_ids` per position and `model_ids[scan_id]`.
"""

from __future__ import annotations

import numpy as np

from wordvec._jit import njit

_FNV = np.uint64(0xCBF29CE484222325)
_MUL = np.uint64(0x100000001B3)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
EMPTY = -1
ENT_KEY, ENT_PAIR, ENT_COUNT = range(3)


@njit(inline="always", cache=True)
def span_key(model_ids, scan_ids, a, b):
    """(key, ok) of the sequence model_ids[scan_ids[a:b]]; ok is False when a token is unknown (-1)."""
    h = _FNV
    for k in range(a, b):
        m = model_ids[scan_ids[k]]
        if m < 0:
            return np.uint64(0), False
        h = (h ^ np.uint64(m)) * _MUL
        h = (h ^ (h >> np.uint64(29))) * _M1
    h = (h ^ (h >> np.uint64(31))) * _M2
    return h ^ (h >> np.uint64(33)), True


@njit(inline="always", cache=True)
def _equal(pool, start, length, model_ids, scan_ids, a, b):
    if length != b - a:
        return False
    for k in range(length):
        if pool[start + k] != model_ids[scan_ids[a + k]]:
            return False
    return True


@njit(inline="always", cache=True)
def _pair(model_ids, scan_ids, a):
    return (np.int64(model_ids[scan_ids[a]]) << np.int64(32)) | np.int64(model_ids[scan_ids[a + 1]])


@njit(inline="always", cache=True)
def _probe(slots, ent, starts, lengths, pool, model_ids, scan_ids, a, b, key):
    """Slot holding the sequence at scan positions a..b (its key given), or the empty slot where
    it would go (slots[i] == EMPTY)."""
    mask = slots.shape[0] - 1
    signed = np.int64(key)
    pair = _pair(model_ids, scan_ids, a)
    i = np.int64(key & np.uint64(mask))
    while True:
        e = slots[i]
        if e == EMPTY:
            return i
        if ent[e, ENT_KEY] == signed and ent[e, ENT_PAIR] == pair and (
                b - a == 2 and lengths[e] == 2 or _equal(pool, starts[e], lengths[e], model_ids, scan_ids, a, b)):
            return i
        i = (i + 1) & mask


@njit(inline="always", cache=True)
def find(slots, ent, starts, lengths, pool, model_ids, scan_ids, a, b, key):
    """Entry of the sequence at scan positions a..b (its key given), or -1."""
    return np.int64(slots[_probe(slots, ent, starts, lengths, pool, model_ids, scan_ids, a, b, key)])


@njit(cache=True)
def count_chunk(scan_ids, offsets, first_sentence, model_ids, is_conn, max_len, unigram, slots, ent, starts,
                lengths, pool, state):
    """Count sentences first_sentence.. of a chunk into the table: unigram[m] += 1 for every
    non-connector word, and every candidate's count +1 (new entries appended, their tokens to
    the pool). Sentences are cut every `max_len` tokens (0: never). state = [entries, pool used].
    Before each sentence the room it may need is checked (entries, pool, slots kept at most half
    full); returns the sentence where room ran out (the caller grows the table and calls again
    from there), or the sentence count when all are done."""
    n_ent, used = state[0], state[1]
    for s in range(first_sentence, offsets.shape[0] - 1):
        size = offsets[s + 1] - offsets[s]
        if n_ent + size > ent.shape[0] or used + 2 * size > pool.shape[0] or 2 * (n_ent + size) > slots.shape[0]:
            state[0], state[1] = n_ent, used
            return s
        start = -1
        first = offsets[s]
        for p in range(offsets[s], offsets[s + 1]):
            if max_len > 0 and (p - first) % max_len == 0:
                start = -1  # a new piece of a long line: no phrase across the cut
            w = scan_ids[p]
            if is_conn[w]:
                continue
            unigram[model_ids[w]] += 1
            if start >= 0:
                key, ok = span_key(model_ids, scan_ids, start, p + 1)
                i = _probe(slots, ent, starts, lengths, pool, model_ids, scan_ids, start, p + 1, key)
                e = slots[i]
                if e == EMPTY:
                    slots[i] = n_ent
                    ent[n_ent, ENT_KEY] = np.int64(key)
                    ent[n_ent, ENT_PAIR] = _pair(model_ids, scan_ids, start)
                    ent[n_ent, ENT_COUNT] = 1
                    starts[n_ent] = used
                    lengths[n_ent] = p + 1 - start
                    for k in range(start, p + 1):
                        pool[used] = model_ids[scan_ids[k]]
                        used += 1
                    n_ent += 1
                else:
                    ent[e, ENT_COUNT] += 1
            start = p
    state[0], state[1] = n_ent, used
    return offsets.shape[0] - 1


@njit(cache=True)
def rehash(slots, ent, n_ent):
    """Put entries 0..n_ent-1 into empty `slots` (a power of two, more than twice n_ent)."""
    mask = slots.shape[0] - 1
    for e in range(n_ent):
        i = np.int64(np.uint64(ent[e, ENT_KEY]) & np.uint64(mask))
        while slots[i] != EMPTY:
            i = (i + 1) & mask
        slots[i] = e


@njit(cache=True)
def sequence_keys(pool, starts, lengths, ent):
    """Key and first pair of every stored sequence (as the kernels compute them)."""
    identity = np.arange(max(pool.shape[0], 1), dtype=np.int32)
    for e in range(ent.shape[0]):
        key, ok = span_key(pool, identity, starts[e], starts[e] + lengths[e])
        ent[e, ENT_KEY] = np.int64(key)
        ent[e, ENT_PAIR] = (np.int64(pool[starts[e]]) << np.int64(32)) | np.int64(pool[starts[e] + 1])


@njit(cache=True)
def apply_chunk(scan_ids, offsets, model_ids, is_conn, can_start, slots, ent, starts, lengths, pool, max_len,
                out_start, out_phrase, out_offsets):
    """gensim's `analyze_sentence` over a chunk, with the accepted phrases in the table: output
    token k covers scan positions out_start[k]..out_start[k + 1] (a phrase when out_phrase[k] is
    its entry, else -1); out_offsets[s] is sentence s's first output token. `can_start[m]`: word
    m begins some accepted phrase (a quick test before any hashing). Returns (tokens, sentences)."""
    n = 0
    out_offsets[0] = 0
    n_sent = 0
    for s in range(offsets.shape[0] - 1):
        lo, hi = offsets[s], offsets[s + 1]
        piece = lo
        while piece < hi:
            end = min(hi, piece + max_len) if max_len > 0 else hi
            start = -1
            for p in range(piece, end):
                w = scan_ids[p]
                if not is_conn[w]:
                    if start >= 0:
                        found = -1
                        m = model_ids[scan_ids[start]]
                        if m >= 0 and can_start[m]:
                            key, ok = span_key(model_ids, scan_ids, start, p + 1)
                            if ok:
                                found = find(slots, ent, starts, lengths, pool, model_ids, scan_ids, start, p + 1, key)
                        if found >= 0:
                            out_start[n] = start
                            out_phrase[n] = found
                            n += 1
                            start = -1
                        else:
                            for q in range(start, p):
                                out_start[n] = q
                                out_phrase[n] = -1
                                n += 1
                            start = p
                    else:
                        start = p
                elif start < 0:
                    out_start[n] = p
                    out_phrase[n] = -1
                    n += 1
            if start >= 0:
                for q in range(start, end):
                    out_start[n] = q
                    out_phrase[n] = -1
                    n += 1
            n_sent += 1
            out_offsets[n_sent] = n
            piece = end
    out_start[n] = offsets[offsets.shape[0] - 1]
    return n, n_sent


@njit(cache=True)
def write_chunk(scan_ids, out_start, n_out, out_offsets, n_sent, pool, ent_start, ent_len, delimiter, out):
    """The text of `apply_chunk`'s output: a phrase's words joined by `delimiter`, tokens by
    spaces, a line per sentence (word bytes from the tokenizer's pool). Returns bytes written."""
    w = 0
    for s in range(n_sent):
        for t in range(out_offsets[s], out_offsets[s + 1]):
            if t > out_offsets[s]:
                out[w] = 32
                w += 1
            for p in range(out_start[t], out_start[t + 1]):
                if p > out_start[t]:
                    for d in range(delimiter.shape[0]):
                        out[w] = delimiter[d]
                        w += 1
                e = scan_ids[p]
                a = ent_start[e]
                for q in range(ent_len[e]):
                    out[w] = pool[a + q]
                    w += 1
        out[w] = 10
        w += 1
    return w
