"""Numba kernels that split raw bytes into words, count them and emit provisional ids.

The corpus is never turned into Python strings: `scan_bytes` walks a chunk of raw bytes, hashes
each whitespace-separated word (FNV-1a), finds or inserts it in an open-addressing hash table kept
in NumPy arrays (distinct words live once in a bytes pool, each followed by a space), bumps its
count and, optionally, writes its provisional id (first-seen order) to an int32 array. When an
array is full the kernel stops *before* touching anything and reports what to grow, so the caller
can enlarge it and resume at the returned position. `remap_inplace` then turns provisional ids
into final ones, dropping filtered words and the sentences left empty, without extra memory.

What a word is: exactly what Python's `str.split()` (and so gensim's `LineSentence`) gives for the
decoded text. Every character for which `str.isspace()` is true separates words: the ASCII ones
(\\t \\v \\f \\r space and \\x1c-\\x1f) by a byte-class lookup, the multi-byte UTF-8 ones (U+0085,
U+00A0, U+2000..., U+3000) through a small byte trie (`SPACE_TRIE`), both built here from Python's
own `str.isspace` so the two can never disagree. NUL is part of a word, as in `str.split()`. Only
b"\\n" ends a sentence. A multi-byte space cut by the end of a chunk is left for the next call, like
a cut word. Words are at most `MAX_WORD_BYTES` bytes (`WORD_TOO_LONG` otherwise), so a file with
no whitespace at all (or /dev/zero) costs bounded memory.
"""

from __future__ import annotations

import numpy as np

from wordvec._jit import njit

#: every character that separates words: those for which `str.isspace()` is true
WHITESPACE: tuple[str, ...] = tuple(c for c in map(chr, range(0x110000)) if c.isspace())
#: the longest word (in bytes) the reader accepts; longer ones mean "this is not text"
MAX_WORD_BYTES = 1 << 20

# Byte classes: 0 = part of a word, 1 = blank (single-byte whitespace), 2 = line end,
# 3 = first byte of a multi-byte whitespace character (or of a word character: see the trie).
WORD, BLANK, NEWLINE, LEAD = 0, 1, 2, 3


def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Byte classes and the trie of multi-byte whitespace encodings, from `WHITESPACE`.

    `trie[state, byte]` is the next state (0 = no whitespace starts this way; state 0 is the
    root), `accept[state]` says a whole whitespace character has been read.
    """
    byte_class = np.zeros(256, dtype=np.uint8)
    rows: list[list[int]] = [[0] * 256]
    accept = [False]
    for char in WHITESPACE:
        data = char.encode("utf-8")
        if data == b"\n":
            byte_class[data[0]] = NEWLINE
        elif len(data) == 1:
            byte_class[data[0]] = BLANK
        else:
            byte_class[data[0]] = LEAD
            state = 0
            for b in data:
                if rows[state][b] == 0:
                    rows.append([0] * 256)
                    accept.append(False)
                    rows[state][b] = len(rows) - 1
                state = rows[state][b]
            accept[state] = True
    return byte_class, np.array(rows, dtype=np.int16), np.array(accept, dtype=np.bool_)


BYTE_CLASS, SPACE_TRIE, SPACE_ACCEPT = _tables()

# Kernel status codes: what the caller must grow before resuming (or WORD_TOO_LONG: give up).
DONE, GROW_IDS, GROW_OFFSETS, GROW_ENTRIES, GROW_POOL, WORD_TOO_LONG = 0, 1, 2, 3, 4, 5

# Indices into the int64 `state` vector shared by the kernel and its driver.
ST_ENTRIES, ST_POOL, ST_IDS, ST_OFFSETS, ST_SENT_START, ST_TOKENS = range(6)
STATE_SIZE = 6

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
def _hash(src, s, length):
    h = _FNV_OFFSET
    for t in range(s, s + length):
        h = (h ^ np.uint64(src[t])) * _FNV_PRIME
    return h


@njit(cache=True, nogil=True)
def _space_len(buf, i, end, final, trie, accept):
    """Length of the multi-byte whitespace character at buf[i] (a LEAD byte), 0 if there is
    none, -1 if buf[i:end] is a proper prefix of one and more bytes may follow (not `final`)."""
    state = trie[0, buf[i]]
    k = i + 1
    while not accept[state]:
        if k >= end:
            return 0 if final else -1
        state = trie[state, buf[k]]
        if state == 0:
            return 0
        k += 1
    return k - i


@njit(cache=True, nogil=True)
def scan_bytes(buf, start, end, final, base, byte_class, trie, accept, max_word, eos,
               table, ent_hash, ent_start, ent_len, ent_count, ent_byte, pool,
               ids, offsets, state, emit):
    """Tokenize buf[start:end]; return (stop position, status, bytes needed for GROW_POOL).

    A word (or a multi-byte space) touching `end` is left for the next call unless `final`
    (more bytes may follow). With a non-empty `eos`, each line end is the word `eos`; otherwise
    (when `emit`) each line end closes a sentence in `offsets`. `base` is the stream offset of
    buf[0] (for messages). A word longer than `max_word` bytes stops the scan at its first byte
    with status WORD_TOO_LONG.
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
        if c == LEAD:
            k = _space_len(buf, i, end, final, trie, accept)
            if k < 0:
                break  # a space character cut by the chunk's end
            if k > 0:
                i += k
                continue
            c = WORD
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
            cut = False
            while j < end:
                cj = byte_class[buf[j]]
                if cj != WORD:
                    if cj != LEAD:
                        break
                    k = _space_len(buf, j, end, final, trie, accept)
                    if k != 0:
                        cut = k < 0
                        break
                h = (h ^ np.uint64(buf[j])) * _FNV_PRIME
                j += 1
            if j - i > max_word:
                status = WORD_TOO_LONG
                break
            if (j == end and not final) or cut:
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


@njit(cache=True, nogil=True)
def rehash(table, ent_hash, n_ent):
    """Refill an empty (all -1) power-of-two `table` with entries 0..n_ent-1."""
    mask = table.size - 1
    for e in range(n_ent):
        slot = np.int64(ent_hash[e] & np.uint64(mask))
        while table[slot] >= 0:
            slot = (slot + 1) & mask
        table[slot] = e


@njit(cache=True, nogil=True)
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
