/* Where the template's labels are printed (pipeline/parse/anchors.py), in C: the placement of
 * the rows' keys in a stream's label text (``_match_chars``, a weighted longest increasing
 * subsequence) and the anchors made from it (``_anchor_rows``).
 *
 * anchors.py is the definition and says what each does and why; this file does the same, step
 * for step, for speed alone: placing the rows of sections 二 and 三 (two row sets) cost a parser
 * worker 7% of its time in Python, ~50 anchors a report.  Arguments it does not take (a key that
 * is not a non-empty str, an owner list that is not ints as long as the text) are left to the
 * Python: NotImplemented.  tests/test_anchors.py holds the two equal, output for output.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

typedef struct {
    Py_ssize_t r, a, b, rank;
} Match;

typedef struct {
    double score;
    Py_ssize_t idx;
} Entry;

/* A growable array of `size`-byte items. */
typedef struct {
    char *items;
    Py_ssize_t len, cap, size;
} Array;

static void *grow(Array *v) {
    if (v->len == v->cap) {
        Py_ssize_t cap = v->cap ? 2 * v->cap : 64;
        char *items = PyMem_Realloc(v->items, cap * v->size);
        if (items == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
        v->items = items;
        v->cap = cap;
    }
    return v->items + v->size * v->len++;
}

#define AT(v, type, i) (((type *)(v).items)[i])

/* The first index of ends[0:n] whose end is > x (bisect.bisect_right). */
static Py_ssize_t bisect_right(const Py_ssize_t *ends, Py_ssize_t n, Py_ssize_t x) {
    Py_ssize_t lo = 0, hi = n;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (x < ends[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* max((score, idx), (score, idx)) as Python compares tuples: the first unless the second is
 * greater. */
static Entry entry_max(Entry x, Entry y) {
    return (y.score > x.score || (y.score == x.score && y.idx > x.idx)) ? y : x;
}

/* Is `rows` a tuple of (keys, carries) with keys a tuple of non-empty str?  -1 on an error. */
static int takes_rows(PyObject *rows) {
    if (!PyTuple_CheckExact(rows)) return 0;
    for (Py_ssize_t r = 0; r < PyTuple_GET_SIZE(rows); r++) {
        PyObject *row = PyTuple_GET_ITEM(rows, r);
        if (!PyTuple_CheckExact(row) || PyTuple_GET_SIZE(row) != 2) return 0;
        PyObject *keys = PyTuple_GET_ITEM(row, 0);
        if (!PyTuple_CheckExact(keys)) return 0;
        for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(keys); k++) {
            PyObject *key = PyTuple_GET_ITEM(keys, k);
            if (!PyUnicode_CheckExact(key) || PyUnicode_GET_LENGTH(key) == 0) return 0;
        }
    }
    return 1;
}

/* Every place in `text` where a key of `rows` begins, found in one pass over the text instead
 * of a search per key (section 三's row set has ~70 keys): a key is tried where the text holds
 * its first character (the keys that begin with it looked up in a small hash table).  The
 * keys are prepared once per row set (``prepared``): the row sets are the template's, made once
 * per process.  Found as (key, position), keys numbered in the order of the rows and their keys;
 * sorted by key, each key's places in text order (as repeated PyUnicode_Find calls give them,
 * overlapping places too).  -1 on an error. */
typedef struct {
    Py_UCS4 first;
    Py_ssize_t key, at, size; /* the key's number, and its characters: chars[at:at + size] */
} First;

typedef struct {
    Py_ssize_t key, pos;
} Place;

#define SLOTS 256 /* open addressing, a slot a first character: ~40 in a row set */
typedef struct {
    PyObject *rows; /* held: its address names it */
    Py_ssize_t n_keys;
    First *firsts; /* sorted by first character */
    Py_UCS4 *chars;
    struct {
        int used;
        Py_UCS4 first;
        Py_ssize_t lo, hi; /* the keys firsts[lo:hi] begin with it */
    } slots[SLOTS];
} Keys;

static inline unsigned slot_of(Py_UCS4 ch) { return (unsigned)((ch * 2654435761u) >> 24) & (SLOTS - 1); }

#define PREPARED 8 /* row sets kept: a process parses with 4 (two templates, sections 二 and 三) */
static Keys *prepared[PREPARED];

/* The keys by first character (in any order among those that share one: their places are
 * sorted by key after the scan). */
static int by_first(const void *x, const void *y) {
    const First *a = x, *b = y;
    return a->first < b->first ? -1 : a->first > b->first;
}

static void keys_free(Keys *K) {
    if (K == NULL) return;
    Py_XDECREF(K->rows);
    PyMem_Free(K->firsts);
    PyMem_Free(K->chars);
    PyMem_Free(K);
}

/* The keys of `rows` (takes_rows holds), prepared; kept when there is room.  NULL on an error. */
static Keys *keys_of(PyObject *rows, int *kept) {
    for (int i = 0; i < PREPARED && prepared[i] != NULL; i++)
        if (prepared[i]->rows == rows) {
            *kept = 1;
            return prepared[i];
        }
    Keys *K = PyMem_Calloc(1, sizeof(Keys));
    if (K == NULL) return (Keys *)PyErr_NoMemory();
    Py_ssize_t total = 0;
    for (Py_ssize_t r = 0; r < PyTuple_GET_SIZE(rows); r++) {
        PyObject *keys = PyTuple_GET_ITEM(PyTuple_GET_ITEM(rows, r), 0);
        K->n_keys += PyTuple_GET_SIZE(keys);
        for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(keys); k++) total += PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(keys, k));
    }
    K->firsts = PyMem_Malloc((K->n_keys ? K->n_keys : 1) * sizeof(First));
    K->chars = PyMem_Malloc((total ? total : 1) * sizeof(Py_UCS4));
    if (K->firsts == NULL || K->chars == NULL) {
        keys_free(K);
        return (Keys *)PyErr_NoMemory();
    }
    Py_ssize_t key = 0, at = 0;
    for (Py_ssize_t r = 0; r < PyTuple_GET_SIZE(rows); r++) {
        PyObject *keys = PyTuple_GET_ITEM(PyTuple_GET_ITEM(rows, r), 0);
        for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(keys); k++, key++) {
            PyObject *text = PyTuple_GET_ITEM(keys, k);
            Py_ssize_t size = PyUnicode_GET_LENGTH(text);
            if (PyUnicode_AsUCS4(text, K->chars + at, size, 0) == NULL) {
                keys_free(K);
                return NULL;
            }
            K->firsts[key] = (First){K->chars[at], key, at, size};
            at += size;
        }
    }
    qsort(K->firsts, K->n_keys, sizeof(First), by_first);
    for (Py_ssize_t i = 0; i < K->n_keys; i++) {
        unsigned s = slot_of(K->firsts[i].first);
        while (K->slots[s].used && K->slots[s].first != K->firsts[i].first) s = (s + 1) & (SLOTS - 1);
        if (!K->slots[s].used) K->slots[s].used = 1, K->slots[s].first = K->firsts[i].first, K->slots[s].lo = i;
        K->slots[s].hi = i + 1;
    }
    *kept = 0;
    for (int i = 0; i < PREPARED; i++)
        if (prepared[i] == NULL) {
            K->rows = Py_NewRef(rows);
            prepared[i] = K;
            *kept = 1;
            break;
        }
    return K;
}

static int key_places(PyObject *text, Keys *K, Array *found) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), n_keys = K->n_keys;
    const First *firsts = K->firsts;
    for (Py_ssize_t pos = 0; pos < length; pos++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, pos);
        unsigned s = slot_of(ch);
        while (K->slots[s].used && K->slots[s].first != ch) s = (s + 1) & (SLOTS - 1);
        if (!K->slots[s].used) continue; /* no key begins with ch */
        for (Py_ssize_t i = K->slots[s].lo; i < K->slots[s].hi; i++) {
            Py_ssize_t size = firsts[i].size, j = 1;
            if (size > length - pos) continue;
            const Py_UCS4 *chars = K->chars + firsts[i].at;
            while (j < size && chars[j] == PyUnicode_READ(kind, data, pos + j)) j++;
            if (j < size) continue;
            Place *p = grow(found);
            if (p == NULL) return -1;
            *p = (Place){firsts[i].key, pos};
        }
    }
    /* by key, each key's places in text order: a counting sort, stable */
    Py_ssize_t *start = PyMem_Calloc(n_keys + 1, sizeof(Py_ssize_t));
    Place *sorted = PyMem_Malloc((found->len ? found->len : 1) * sizeof(Place));
    if (start == NULL || sorted == NULL) {
        PyMem_Free(start);
        PyMem_Free(sorted);
        PyErr_NoMemory();
        return -1;
    }
    Place *place = (Place *)found->items;
    for (Py_ssize_t i = 0; i < found->len; i++) start[place[i].key + 1]++;
    for (Py_ssize_t k = 0; k < n_keys; k++) start[k + 1] += start[k];
    for (Py_ssize_t i = 0; i < found->len; i++) sorted[start[place[i].key]++] = place[i];
    memcpy(found->items, sorted, found->len * sizeof(Place));
    PyMem_Free(start);
    PyMem_Free(sorted);
    return 0;
}

/* match_chars(text, rows): anchors._match_chars, the same tuple of (row, start, end, rank). */
static PyObject *match_chars(PyObject *self, PyObject *args) {
    PyObject *text, *rows;
    if (!PyArg_ParseTuple(args, "UO:match_chars", &text, &rows)) return NULL;
    int ok = takes_rows(rows);
    if (ok <= 0) return ok < 0 ? NULL : Py_NewRef(Py_NotImplemented);
    Array flat = {NULL, 0, 0, sizeof(Match)}, best = {NULL, 0, 0, sizeof(double)};
    Array prev = {NULL, 0, 0, sizeof(Py_ssize_t)}, ends = {NULL, 0, 0, sizeof(Py_ssize_t)};
    Array entries = {NULL, 0, 0, sizeof(Entry)}, running = {NULL, 0, 0, sizeof(Entry)};
    Array places = {NULL, 0, 0, sizeof(Place)};
    PyObject *out = NULL;
    int kept = 1;
    Keys *K = keys_of(rows, &kept);
    if (K == NULL || key_places(text, K, &places) < 0) goto done;
    Py_ssize_t key = 0, at = 0; /* the key's number, and its first place in `places` */
    for (Py_ssize_t r = 0; r < PyTuple_GET_SIZE(rows); r++) {
        PyObject *row = PyTuple_GET_ITEM(rows, r), *keys = PyTuple_GET_ITEM(row, 0);
        int carries = PyObject_IsTrue(PyTuple_GET_ITEM(row, 1));
        if (carries < 0) goto done;
        Py_ssize_t added = flat.len;
        for (Py_ssize_t rank = 0; rank < PyTuple_GET_SIZE(keys); rank++, key++) {
            Py_ssize_t size = PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(keys, rank));
            for (; at < places.len && AT(places, Place, at).key == key; at++) {
                Py_ssize_t pos = AT(places, Place, at).pos;
                Py_ssize_t k = bisect_right((Py_ssize_t *)ends.items, ends.len, pos);
                Entry before = k ? AT(running, Entry, k - 1) : (Entry){0.0, -1};
                Match *m = grow(&flat);
                double *s = m ? grow(&best) : NULL;
                Py_ssize_t *p = s ? grow(&prev) : NULL;
                if (p == NULL) goto done;
                *m = (Match){r, pos, pos + size, rank};
                *s = (carries ? 100.0 : 1.0) - (double)rank + before.score;
                *p = before.idx;
            }
        }
        if (flat.len == added) continue;
        Py_ssize_t first = ends.len;
        for (Py_ssize_t i = added; i < flat.len; i++) {
            Py_ssize_t b = AT(flat, Match, i).b, k = bisect_right((Py_ssize_t *)ends.items, ends.len, b);
            if (grow(&ends) == NULL || grow(&entries) == NULL) goto done;
            memmove(&AT(ends, Py_ssize_t, k + 1), &AT(ends, Py_ssize_t, k), (ends.len - 1 - k) * sizeof(Py_ssize_t));
            memmove(&AT(entries, Entry, k + 1), &AT(entries, Entry, k), (entries.len - 1 - k) * sizeof(Entry));
            AT(ends, Py_ssize_t, k) = b;
            AT(entries, Entry, k) = (Entry){AT(best, double, i), i};
            if (k < first) first = k;
        }
        running.len = first; /* the prefix maxima from the first insertion on */
        for (Py_ssize_t k = first; k < entries.len; k++) {
            Entry e = AT(entries, Entry, k);
            Entry *slot = grow(&running);
            if (slot == NULL) goto done;
            *slot = k ? entry_max(AT(running, Entry, k - 1), e) : e;
        }
    }
    out = PyList_New(0);
    if (out == NULL || flat.len == 0) goto done;
    Py_ssize_t j = 0;
    for (Py_ssize_t k = 1; k < flat.len; k++)
        if (AT(best, double, k) > AT(best, double, j)) j = k;
    for (; j >= 0; j = AT(prev, Py_ssize_t, j)) {
        Match m = AT(flat, Match, j);
        PyObject *t = Py_BuildValue("(nnnn)", m.r, m.a, m.b, m.rank);
        if (t == NULL || PyList_Append(out, t) < 0) {
            Py_XDECREF(t);
            Py_CLEAR(out);
            goto done;
        }
        Py_DECREF(t);
    }
done:
    PyMem_Free(flat.items);
    PyMem_Free(best.items);
    PyMem_Free(prev.items);
    PyMem_Free(ends.items);
    PyMem_Free(entries.items);
    PyMem_Free(running.items);
    PyMem_Free(places.items);
    if (!kept) keys_free(K);
    if (out == NULL) return NULL;
    PyObject *placed = PyList_AsTuple(out);
    Py_DECREF(out);
    return placed;
}

/* Does text[start:] start with prefix (str.startswith)?  Compared in place: no slice made. */
static int starts_at(PyObject *text, PyObject *prefix, Py_ssize_t start) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(prefix);
    if (start < 0 || start + n > PyUnicode_GET_LENGTH(text)) return 0;
    int kind = PyUnicode_KIND(text), pkind = PyUnicode_KIND(prefix);
    const void *data = PyUnicode_DATA(text), *pdata = PyUnicode_DATA(prefix);
    if (kind == pkind) return memcmp((const char *)data + start * kind, pdata, n * kind) == 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (PyUnicode_READ(kind, data, start + i) != PyUnicode_READ(pkind, pdata, i)) return 0;
    return 1;
}

/* The owner list (a token index per char of the text), read as the C needs its items: most
 * calls read a few of its hundreds. */
typedef struct {
    PyObject *list;
    Py_ssize_t *read; /* -1: not read yet */
    Py_ssize_t n;
    int bad; /* an item is not a token index (an int >= 0): the C does not take it */
} Owner;

static Py_ssize_t own(Owner *o, Py_ssize_t i) {
    if (o->read[i] < 0) {
        PyObject *x = PyList_GET_ITEM(o->list, i);
        Py_ssize_t v = PyLong_CheckExact(x) ? PyLong_AsSsize_t(x) : -1;
        if (v < 0) {
            PyErr_Clear();
            o->bad = 1;
        }
        o->read[i] = v;
    }
    return o->read[i];
}

/* The first index whose owner is >= x (bisect.bisect_left). */
static Py_ssize_t bisect_left(Owner *owner, Py_ssize_t x) {
    Py_ssize_t lo = 0, hi = owner->n;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (own(owner, mid) < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

#define MAX_SKIPPED 3 /* anchors._MAX_SKIPPED */

/* anchors._label_start: where the row's label begins that a key found at char a (owner: the
 * text's token indices).  -1 on an error. */
static Py_ssize_t label_start(PyObject *text, Owner *owner, Py_ssize_t a, PyObject *prefix, Py_ssize_t floor) {
    Py_ssize_t size = PyUnicode_GET_LENGTH(prefix);
    if (a - size >= floor && starts_at(text, prefix, a - size)) return a - size; /* printed whole, as usual */
    Py_INCREF(prefix);
    Py_ssize_t pos = a, skipped = 0, found = -1;
    while (PyUnicode_GET_LENGTH(prefix)) {
        if (pos <= floor) {
            found = a;
            goto done;
        }
        Py_ssize_t first = bisect_left(owner, own(owner, pos - 1)); /* the token's first char */
        if (first < floor) first = floor;
        PyObject *piece = PyUnicode_Substring(text, first, pos);
        if (piece == NULL) goto done;
        Py_ssize_t ends_with = PyUnicode_Tailmatch(prefix, piece, 0, PY_SSIZE_T_MAX, 1), within = 0;
        if (ends_with == 0) within = PyUnicode_Tailmatch(piece, prefix, 0, PY_SSIZE_T_MAX, 1);
        Py_DECREF(piece);
        if (ends_with < 0 || within < 0) goto done;
        if (ends_with) {
            PyObject *rest = PyUnicode_Substring(prefix, 0, PyUnicode_GET_LENGTH(prefix) - (pos - first));
            if (rest == NULL) goto done;
            Py_SETREF(prefix, rest);
            pos = first;
        } else if (within) {
            found = pos - PyUnicode_GET_LENGTH(prefix);
            goto done;
        } else if (skipped < MAX_SKIPPED && own(owner, pos - 1) != own(owner, a)) {
            skipped++;
            pos = first;
        } else {
            found = a;
            goto done;
        }
    }
    found = pos;
done:
    Py_DECREF(prefix);
    return found;
}

/* An (row, start_tok, end_tok, key_rank, tail) of the tuple subclass `type`, as tuple.__new__
 * makes it; steals nothing. */
static PyObject *anchor(PyTypeObject *type, PyObject *r, PyObject *start, PyObject *end, PyObject *rank, int tail) {
    PyObject *o = type->tp_alloc(type, 5);
    if (o == NULL) return NULL;
    PyObject *items[5] = {r, start, end, rank, tail ? Py_True : Py_False};
    for (int i = 0; i < 5; i++) PyTuple_SET_ITEM(o, i, Py_NewRef(items[i]));
    return o;
}

/* The placed matches' (index into placed, start, end, rank), sorted by start (stably), checked:
 * 0 when the C does not take them. */
static int sorted_matches(PyObject *placed, PyObject *before, Py_ssize_t n_rows, Py_ssize_t size, Match *order) {
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(placed); i++) {
        PyObject *m = PyTuple_GET_ITEM(placed, i);
        if (!PyTuple_CheckExact(m) || PyTuple_GET_SIZE(m) != 4) return 0;
        Py_ssize_t v[4];
        for (int k = 0; k < 4; k++) {
            PyObject *x = PyTuple_GET_ITEM(m, k);
            if (!PyLong_CheckExact(x)) return 0;
            v[k] = PyLong_AsSsize_t(x);
            if (v[k] == -1 && PyErr_Occurred()) {
                PyErr_Clear();
                return 0;
            }
        }
        if (v[0] < 0 || v[0] >= n_rows || v[1] < 0 || v[1] >= v[2] || v[2] > size || v[3] < 0) return 0;
        if (before != Py_None) {
            PyObject *keys = v[0] < PyTuple_GET_SIZE(before) ? PyTuple_GET_ITEM(before, v[0]) : NULL;
            if (keys == NULL || !PyTuple_CheckExact(keys) || v[3] >= PyTuple_GET_SIZE(keys) ||
                !PyUnicode_CheckExact(PyTuple_GET_ITEM(keys, v[3])))
                return 0;
        }
        Py_ssize_t j = i;
        for (; j > 0 && order[j - 1].a > v[1]; j--) order[j] = order[j - 1];
        order[j] = (Match){i, v[1], v[2], v[3]};
    }
    return 1;
}

/* anchor_rows(text, owner, placed, before, rows, anchor): anchors._anchor_rows, the same list. */
static PyObject *anchor_rows(PyObject *self, PyObject *args) {
    PyObject *text, *owner_list, *placed, *before;
    Py_ssize_t n_rows;
    PyTypeObject *type;
    if (!PyArg_ParseTuple(args, "UO!O!OnO!:anchor_rows", &text, &PyList_Type, &owner_list, &PyTuple_Type, &placed,
                          &before, &n_rows, &PyType_Type, &type))
        return NULL;
    Py_ssize_t n = PyTuple_GET_SIZE(placed), size = PyList_GET_SIZE(owner_list);
    if (!PyType_IsSubtype(type, &PyTuple_Type) || type->tp_itemsize != sizeof(PyObject *) ||
        size != PyUnicode_GET_LENGTH(text) || n_rows < 0 || (before != Py_None && !PyTuple_CheckExact(before)))
        Py_RETURN_NOTIMPLEMENTED;
    Owner owner = {owner_list, PyMem_Malloc((size ? size : 1) * sizeof(Py_ssize_t)), size, 0};
    Match *order = PyMem_Malloc((n ? n : 1) * sizeof(Match));
    PyObject *result = NULL;
    if (owner.read == NULL || order == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    memset(owner.read, 0xff, size * sizeof(Py_ssize_t)); /* -1: not read */
    if (!sorted_matches(placed, before, n_rows, size, order)) goto leave;
    result = PyList_New(n_rows);
    if (result == NULL) goto fail;
    for (Py_ssize_t r = 0; r < n_rows; r++) PyList_SET_ITEM(result, r, Py_NewRef(Py_None));
    Py_ssize_t floor = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *m = PyTuple_GET_ITEM(placed, order[i].r);
        Py_ssize_t r = PyLong_AsSsize_t(PyTuple_GET_ITEM(m, 0)), a = order[i].a, b = order[i].b, start = a;
        int tail = b < size && own(&owner, b) == own(&owner, b - 1);
        if (before != Py_None) {
            PyObject *prefix = PyTuple_GET_ITEM(PyTuple_GET_ITEM(before, r), order[i].rank);
            if (PyUnicode_GET_LENGTH(prefix)) {
                start = label_start(text, &owner, a, prefix, floor);
                if (start < 0) goto fail;
            }
        }
        if (own(&owner, start) < 0 || own(&owner, b - 1) < 0 || owner.bad) goto leave;
        PyObject *made = anchor(type, PyTuple_GET_ITEM(m, 0), PyList_GET_ITEM(owner_list, start),
                                PyList_GET_ITEM(owner_list, b - 1), PyTuple_GET_ITEM(m, 3), tail);
        if (made == NULL) goto fail;
        PyObject *old = PyList_GET_ITEM(result, r); /* None, or this row's match before (none is) */
        PyList_SET_ITEM(result, r, made);
        Py_DECREF(old);
        floor = b;
    }
    PyMem_Free(owner.read);
    PyMem_Free(order);
    return result;
leave:
    PyMem_Free(owner.read);
    PyMem_Free(order);
    Py_XDECREF(result);
    Py_RETURN_NOTIMPLEMENTED;
fail:
    PyMem_Free(owner.read);
    PyMem_Free(order);
    Py_XDECREF(result);
    return NULL;
}

static PyMethodDef methods[] = {
    {"match_chars", match_chars, METH_VARARGS, "anchors._match_chars in C: (text, rows)."},
    {"anchor_rows", anchor_rows, METH_VARARGS,
     "anchors._anchor_rows in C: (text, owner, placed, before, rows, anchor); NotImplemented for what it does not "
     "take."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_anchors", "anchors.py's row placement, in C.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__anchors(void) { return PyModule_Create(&module); }
