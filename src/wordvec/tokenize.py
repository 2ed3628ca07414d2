"""Numba kernels that split raw bytes into words, count them and emit provisional ids.

The corpus is never turned into Python strings: `scan_bytes` walks a chunk of raw bytes, hashes
each whitespace-separated word (FNV-1a), finds or inserts it in an open-addressing hash table kept
in NumPy arrays (distinct words live once in a bytes pool, each followed by a space), bumps its
count and, optionally, writes its provisional id (first-seen order) to an int32 array. When an
array is full the kernel stops *before* touching anything and reports what to grow, so the caller
can enlarge it and resume at the returned position. `remap_inplace` then turns provisional ids
into final ones, dropping filtered words and the sentences left empty, without extra memory.
"""

from __future__ import annotations

import numba as nb
import numpy as np

# Byte classes: 0 = part of a word, 1 = blank (ASCII whitespace or NUL), 2 = line end.
WORD, BLANK, NEWLINE = 0, 1, 2
BYTE_CLASS = np.zeros(256, dtype=np.uint8)
for _b in b" \t\r\x0b\x0c\x00":
    BYTE_CLASS[_b] = BLANK
BYTE_CLASS[ord("\n")] = NEWLINE

# Kernel status codes: what the caller must grow before resuming.
DONE, GROW_IDS, GROW_OFFSETS, GROW_ENTRIES, GROW_POOL = 0, 1, 2, 3, 4

# Indices into the int64 `state` vector shared by the kernel and its driver.
ST_ENTRIES, ST_POOL, ST_IDS, ST_OFFSETS, ST_SENT_START, ST_TOKENS = range(6)
STATE_SIZE = 6

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


@nb.njit(cache=True, nogil=True)
def _find_slot(src, s, length, h, table, ent_hash, ent_start, ent_len, pool):
    """Entry id of src[s:s+length], or -(slot+1) for the empty slot where it belongs."""
    mask = table.size - 1
    slot = np.int64(h & np.uint64(mask))
    while True:
        e = table[slot]
        if e < 0:
            return -(slot + 1)
        if ent_hash[e] == h and ent_len[e] == length:
            p = ent_start[e]
            same = True
            for t in range(length):
                if pool[p + t] != src[s + t]:
                    same = False
                    break
            if same:
                return np.int64(e)
        slot = (slot + 1) & mask


@nb.njit(cache=True, nogil=True)
def _hash(src, s, length):
    h = _FNV_OFFSET
    for t in range(s, s + length):
        h = (h ^ np.uint64(src[t])) * _FNV_PRIME
    return h


@nb.njit(cache=True, nogil=True)
def scan_bytes(buf, start, end, final, base, byte_class, eos,
               table, ent_hash, ent_start, ent_len, ent_count, ent_byte, pool,
               ids, offsets, state, emit):
    """Tokenize buf[start:end]; return (stop position, status, bytes needed for GROW_POOL).

    A word touching `end` is left for the next call unless `final` (more bytes may follow).
    With a non-empty `eos`, each line end is the word `eos`; otherwise (when `emit`) each line
    end closes a sentence in `offsets`. `base` is the stream offset of buf[0] (for messages).
    """
    n_ent = state[ST_ENTRIES]
    pool_used = state[ST_POOL]
    n_ids = state[ST_IDS]
    n_off = state[ST_OFFSETS]
    sent_start = state[ST_SENT_START]
    n_tok = state[ST_TOKENS]
    use_eos = eos.size > 0
    eos_hash = _hash(eos, 0, eos.size)
    status = DONE
    need = 0
    i = start
    while i < end:
        c = byte_class[buf[i]]
        if c == BLANK:
            i += 1
            continue
        if c == NEWLINE:
            if not use_eos:
                if emit and n_ids > sent_start:
                    if n_off >= offsets.size:
                        status = GROW_OFFSETS
                        break
                    offsets[n_off] = n_ids
                    n_off += 1
                    sent_start = n_ids
                i += 1
                continue
            src = eos
            s = 0
            length = eos.size
            h = eos_hash
            nxt = i + 1
        else:
            j = i
            h = _FNV_OFFSET
            while j < end and byte_class[buf[j]] == WORD:
                h = (h ^ np.uint64(buf[j])) * _FNV_PRIME
                j += 1
            if j == end and not final:
                break  # the word may continue in the next chunk
            src = buf
            s = i
            length = j - i
            nxt = j
        if emit and n_ids >= ids.size:
            status = GROW_IDS
            break
        e = _find_slot(src, s, length, h, table, ent_hash, ent_start, ent_len, pool)
        if e < 0:
            if n_ent >= ent_hash.size or 2 * (n_ent + 1) > table.size:
                status = GROW_ENTRIES
                break
            if pool_used + length + 1 > pool.size:
                status = GROW_POOL
                need = length + 1
                break
            table[-e - 1] = n_ent
            ent_hash[n_ent] = h
            ent_start[n_ent] = pool_used
            ent_len[n_ent] = length
            ent_count[n_ent] = 0
            ent_byte[n_ent] = base + i
            for t in range(length):
                pool[pool_used + t] = src[s + t]
            pool[pool_used + length] = 32  # separator: keeps UTF-8 errors inside one word
            pool_used += length + 1
            e = n_ent
            n_ent += 1
        ent_count[e] += 1
        n_tok += 1
        if emit:
            ids[n_ids] = e
            n_ids += 1
        i = nxt
    state[ST_ENTRIES] = n_ent
    state[ST_POOL] = pool_used
    state[ST_IDS] = n_ids
    state[ST_OFFSETS] = n_off
    state[ST_SENT_START] = sent_start
    state[ST_TOKENS] = n_tok
    return i, status, need


@nb.njit(cache=True, nogil=True)
def rehash(table, ent_hash, n_ent):
    """Refill an empty (all -1) power-of-two `table` with entries 0..n_ent-1."""
    mask = table.size - 1
    for e in range(n_ent):
        slot = np.int64(ent_hash[e] & np.uint64(mask))
        while table[slot] >= 0:
            slot = (slot + 1) & mask
        table[slot] = e


@nb.njit(cache=True, nogil=True)
def remap_inplace(ids, n_ids, offsets, n_off, new_id):
    """Map ids through `new_id` (-1 = drop) in place; drop emptied sentences.

    Returns (kept ids, kept offsets); offsets[0] stays 0.
    """
    w = 0
    out = 1
    a = offsets[0]
    for s in range(n_off - 1):
        b = offsets[s + 1]
        first = w
        for k in range(a, b):
            t = new_id[ids[k]]
            if t >= 0:
                ids[w] = t
                w += 1
        if w > first:
            offsets[out] = w
            out += 1
        a = b
    return w, out
