/* The search of pipeline/parse/totals.py (``search``), in C.
 *
 * totals.py is the definition and says what the search does; this file does the same, step for
 * step, for speed alone.  Names follow the Python: moves() lists a state's moves in the same
 * order, to_go() is the memoised least cost to finish, and the best-first enumeration orders its
 * queue by (cost rounded to 9 places, path of move indices), as the Python heap does.  Only plain
 * inputs come here (totals.best): digit tokens are ASCII, whole cells hold an integer or None.
 * tests/test_totals.py holds the two equal, output for output.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COUNT 1000000000LL /* totals.MAX_COUNT */
#define MAX_MOVES 16           /* whole + half or total, or 9 pieces; + a blank */
#define MAX_CELLS 256          /* the search recurses once per cell: a bound on its depth */

typedef struct {
    int32_t i, off, p, b;
    int64_t s;
} State;

enum { M_WHOLE, M_HALF, M_TOTAL, M_PIECE, M_BLANK };

typedef struct {
    int kind;
    double cost;
    State nxt;
    int64_t v;
    int32_t off, end;
} Move;

/* the memo: open addressing, linear probing, grown at half full.  A slot is in use when its mark
 * is the memo's: each search takes a new mark, so one search's table is the next one's without
 * being cleared (a cleared table of 1,024 slots for each search was 2 % of a parse's
 * instructions, and put 40 KB through the processor's first cache).  A table grown past
 * MEMO_KEPT slots is given back after its search. */
typedef struct {
    State key;
    double value;
    uint32_t mark;
} Slot;

typedef struct {
    Slot *slots;
    size_t cap, len;
    uint32_t mark;
} Memo;

#define MEMO_FIRST 1024
#define MEMO_KEPT (1 << 16)

static Memo kept;     /* the table searches share */
static int kept_busy; /* a search is using it (a search never starts inside another; if one did, it
                         would take a table of its own) */

/* The memo empty for a new search: `kept` where it is free, else `own`.  -1 when out of memory. */
static int memo_start(Memo **m, Memo *own) {
    *m = kept_busy ? own : &kept;
    Memo *t = *m;
    if (t->slots == NULL) {
        t->slots = calloc(MEMO_FIRST, sizeof(Slot));
        if (t->slots == NULL) return -1;
        t->cap = MEMO_FIRST;
        t->mark = 0;
    }
    if (++t->mark == 0) { /* the marks wrapped: every slot is cleared once */
        memset(t->slots, 0, t->cap * sizeof(Slot));
        t->mark = 1;
    }
    t->len = 0;
    if (t == &kept) kept_busy = 1;
    return 0;
}

static void memo_end(Memo *m) {
    if (m == NULL) return;
    if (m == &kept) {
        kept_busy = 0;
        if (m->cap <= MEMO_KEPT) return;
    }
    free(m->slots);
    m->slots = NULL;
    m->cap = m->len = 0;
}

/* i, p and b are below MAX_CELLS + 1 and off below a token's length: packed into one word with
 * the sum, then mixed (a multiply and shifts; the memo compares the whole state on a hit) */
static uint64_t hash_state(const State *st) {
    uint64_t h = (uint64_t)(uint32_t)st->off << 32 | (uint64_t)(uint32_t)st->i << 20 | (uint64_t)(uint32_t)st->p << 10 |
                 (uint64_t)(uint32_t)st->b;
    h ^= (uint64_t)st->s * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 31;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 29;
    return h;
}

static int same(const State *a, const State *b) {
    return a->i == b->i && a->off == b->off && a->p == b->p && a->b == b->b && a->s == b->s;
}

static int memo_get(const Memo *m, const State *st, double *out) {
    size_t k = hash_state(st) & (m->cap - 1);
    while (m->slots[k].mark == m->mark) {
        if (same(&m->slots[k].key, st)) {
            *out = m->slots[k].value;
            return 1;
        }
        k = (k + 1) & (m->cap - 1);
    }
    return 0;
}

static int memo_put(Memo *m, const State *st, double value) {
    if (2 * (m->len + 1) > m->cap) {
        size_t cap = m->cap * 2;
        Slot *slots = calloc(cap, sizeof(Slot));
        if (!slots) return -1;
        for (size_t j = 0; j < m->cap; j++) { /* a new table's marks are 0, the memo's never */
            if (m->slots[j].mark != m->mark) continue;
            size_t k = hash_state(&m->slots[j].key) & (cap - 1);
            while (slots[k].mark == m->mark) k = (k + 1) & (cap - 1);
            slots[k] = m->slots[j];
        }
        free(m->slots);
        m->slots = slots;
        m->cap = cap;
    }
    size_t k = hash_state(st) & (m->cap - 1);
    while (m->slots[k].mark == m->mark) {
        if (same(&m->slots[k].key, st)) {
            m->slots[k].value = value;
            return 0;
        }
        k = (k + 1) & (m->cap - 1);
    }
    m->slots[k].key = *st;
    m->slots[k].value = value;
    m->slots[k].mark = m->mark;
    m->len++;
    return 0;
}

typedef struct {
    int count, n, size, limit, counted, cut;
    long long budget;
    double split_cost, blank_cost;
    const double *weight;
    const char **text; /* the digits of digit tokens (ASCII), else NULL */
    const int *len;    /* characters of every token */
    const char *digit, *pair, *whole_ok;
    const int64_t *whole_v;
    const int *left;
    const char *plain;
    Memo *memo;
    int stopped; /* past the budget, or out of memory */
    int no_memory;
} Search;

static int digits_of(int64_t s) {
    int k = 1;
    while (s >= 10) {
        s /= 10;
        k++;
    }
    return k;
}

/* the decimal digits of s (0 <= s < MAX_COUNT) into out, as "%lld" prints them; their count */
static int decimal(int64_t s, char *out) {
    int k = digits_of(s);
    for (int j = k - 1; j >= 0; j--) {
        out[j] = (char)('0' + s % 10);
        s /= 10;
    }
    return k;
}

static int moves(const Search *S, const State *st, Move *out) {
    int m = 0;
    int32_t i = st->i, off = st->off, p = st->p, b = st->b;
    int64_t s = st->s;
    if (p == S->n) return 0;
    int last = p % S->size == S->size - 1;
    if (i < S->count) {
        if (!S->digit[i]) {
            if (off == 0 && S->whole_ok[i]) {
                int64_t v = S->whole_v[i];
                if (!last)
                    out[m++] = (Move){M_WHOLE, 0.0, {i + 1, 0, p + 1, b, s + v}, v, 0, 0};
                else if (v == s)
                    out[m++] = (Move){M_WHOLE, 0.0, {i + 1, 0, p + 1, b, 0}, v, 0, 0};
            }
            if (S->pair[i] && (!last || s == 0)) {
                int64_t ns = last ? 0 : s;
                State nxt = off == 0 ? (State){i, 1, p + 1, b, ns} : (State){i + 1, 0, p + 1, b, ns};
                out[m++] = (Move){M_HALF, off == 0 ? S->split_cost : 0.0, nxt, 0, off, off + 1};
            }
        } else {
            const char *t = S->text[i];
            int L = S->len[i];
            if (last) { /* the run's total: the digits that print its sum, if they are next */
                if (s < MAX_COUNT) {
                    char total[24];
                    int k = decimal(s, total);
                    if (off + k <= L && memcmp(t + off, total, (size_t)k) == 0) {
                        int done = off + k == L;
                        State nxt = done ? (State){i + 1, 0, p + 1, b, 0} : (State){i, off + k, p + 1, b, 0};
                        out[m++] = (Move){M_TOTAL, done ? 0.0 : S->split_cost, nxt, s, off, off + k};
                    }
                }
            } else {
                int64_t v = 0;
                for (int end = off + 1; end <= L; end++) {
                    v = v * 10 + (t[end - 1] - '0');
                    if ((end - off > 1 && t[off] == '0') || v >= MAX_COUNT) break;
                    int done = end == L;
                    State nxt = done ? (State){i + 1, 0, p + 1, b, s + v} : (State){i, end, p + 1, b, s + v};
                    out[m++] = (Move){M_PIECE, done ? 0.0 : S->split_cost, nxt, v, off, end};
                }
            }
        }
    }
    if (b < S->limit && (S->cut || (off == 0 && S->n - p > S->count - i)) && (!last || s == 0)) {
        State nxt = {i, off, p + 1, b + S->counted, last ? 0 : s};
        out[m++] = (Move){M_BLANK, S->blank_cost * S->weight[p % S->size], nxt, 0, 0, 0};
    }
    return m;
}

static double to_go(Search *S, const State *st) {
    double got;
    if (memo_get(S->memo, st, &got)) return got;
    if ((long long)S->memo->len > S->budget) {
        S->stopped = 1;
        return INFINITY;
    }
    int32_t i = st->i, off = st->off, p = st->p, b = st->b;
    int64_t s = st->s;
    double best;
    if (p == S->n) {
        best = i == S->count ? 0.0 : INFINITY;
    } else if (s >= MAX_COUNT) {
        best = INFINITY;
    } else if (S->plain[i] &&
               S->left[i] - off < (b < S->limit ? (s ? digits_of(s) : 0) : S->n - p - 1 + (s ? digits_of(s) : 1))) {
        best = INFINITY;
    } else {
        best = INFINITY;
        Move mv[MAX_MOVES];
        int k = moves(S, st, mv);
        for (int j = 0; j < k; j++) {
            double rest = to_go(S, &mv[j].nxt); /* a memo hit first of all */
            if (S->stopped) return INFINITY;
            if (mv[j].cost + rest < best) best = mv[j].cost + rest;
        }
    }
    if (memo_put(S->memo, st, best) < 0) {
        S->stopped = S->no_memory = 1;
        return INFINITY;
    }
    return best;
}

/* Python's round(x, 9): both are correctly rounded, and no double lies exactly halfway.  Where
 * x * 1e9 is well inside 2**53 and not near a half, the integer it rounds to is the decimal's,
 * and its quotient by 1e9 (both exact doubles, the division correctly rounded) is the double
 * nearest that decimal, which is what Python returns: no printing and parsing (costs here are
 * sums of a few weights, always this case). */
static double round9(double x) {
    double t = x * 1e9, whole = nearbyint(t);
    if (fabs(t) < 1e12 && fabs(t - whole) <= 0.49) return whole / 1e9;
    char buf[64];
    snprintf(buf, sizeof buf, "%.9f", x);
    return strtod(buf, NULL);
}

typedef struct {
    double key, cost;
    State st;
    int plen;
    unsigned char *path;
} Entry;

static int entry_less(const Entry *a, const Entry *b) {
    if (a->key != b->key) return a->key < b->key;
    int n = a->plen < b->plen ? a->plen : b->plen;
    int c = memcmp(a->path, b->path, (size_t)n);
    if (c) return c < 0;
    return a->plen < b->plen;
}

typedef struct {
    Entry *items;
    size_t len, cap;
} Heap;

static int heap_push(Heap *h, Entry e) {
    if (h->len == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 64;
        Entry *items = realloc(h->items, cap * sizeof(Entry));
        if (!items) return -1;
        h->items = items;
        h->cap = cap;
    }
    size_t k = h->len++;
    h->items[k] = e;
    while (k) {
        size_t up = (k - 1) / 2;
        if (!entry_less(&h->items[k], &h->items[up])) break;
        Entry t = h->items[k];
        h->items[k] = h->items[up];
        h->items[up] = t;
        k = up;
    }
    return 0;
}

static Entry heap_pop(Heap *h) {
    Entry top = h->items[0];
    h->items[0] = h->items[--h->len];
    size_t k = 0;
    for (;;) {
        size_t l = 2 * k + 1, r = l + 1, m = k;
        if (l < h->len && entry_less(&h->items[l], &h->items[m])) m = l;
        if (r < h->len && entry_less(&h->items[r], &h->items[m])) m = r;
        if (m == k) break;
        Entry t = h->items[k];
        h->items[k] = h->items[m];
        h->items[m] = t;
        k = m;
    }
    return top;
}

/* the cells of a complete path, replayed from the start: the tuples the Python search builds */
static PyObject *cells_of(const Search *S, const Entry *e, PyObject *texts, PyObject *whole, PyObject *blank) {
    PyObject *cells = PyTuple_New(e->plen);
    if (!cells) return NULL;
    State st = {0, 0, 0, 0, 0};
    Move mv[MAX_MOVES];
    for (int j = 0; j < e->plen; j++) {
        moves(S, &st, mv);
        const Move *m = &mv[e->path[j]];
        PyObject *cell;
        if (m->kind == M_BLANK) {
            Py_INCREF(blank);
            cell = blank;
        } else if (m->kind == M_WHOLE) {
            cell = PyTuple_GET_ITEM(whole, st.i);
            Py_INCREF(cell);
        } else {
            PyObject *raw = PyUnicode_Substring(PyTuple_GET_ITEM(texts, st.i), m->off, m->end);
            PyObject *value = m->kind == M_HALF ? Py_NewRef(Py_None) : PyLong_FromLongLong(m->v);
            PyObject *index = PyLong_FromLong(st.i);
            cell = raw && value && index ? PyTuple_Pack(3, raw, value, index) : NULL;
            Py_XDECREF(raw);
            Py_XDECREF(value);
            Py_XDECREF(index);
        }
        if (!cell) {
            Py_DECREF(cells);
            return NULL;
        }
        PyTuple_SET_ITEM(cells, j, cell);
        st = m->nxt;
    }
    return cells;
}

enum { EXPANDED, FAILED, STOPPED };

/* a popped entry: a complete reading goes to `out`, else its moves that can finish are queued */
static int expand(Search *S, const Entry *e, Heap *heap, PyObject *out, PyObject *texts, PyObject *whole,
                  PyObject *blank) {
    if (e->st.p == S->n) {
        PyObject *cells = cells_of(S, e, texts, whole, blank);
        PyObject *pairing = cells ? Py_BuildValue("(Nd)", cells, e->cost) : NULL;
        int failed = !pairing || PyList_Append(out, pairing) < 0;
        Py_XDECREF(pairing);
        return failed ? FAILED : EXPANDED;
    }
    Move mv[MAX_MOVES];
    int k = moves(S, &e->st, mv);
    for (int j = 0; j < k; j++) {
        double rest = to_go(S, &mv[j].nxt);
        if (S->stopped) {
            if (S->no_memory) {
                PyErr_NoMemory();
                return FAILED;
            }
            return STOPPED;
        }
        if (rest == INFINITY) continue;
        unsigned char *path = malloc((size_t)e->plen + 1);
        if (!path) {
            PyErr_NoMemory();
            return FAILED;
        }
        if (e->plen) memcpy(path, e->path, (size_t)e->plen);
        path[e->plen] = (unsigned char)j;
        Entry child = {round9(e->cost + mv[j].cost + rest), e->cost + mv[j].cost, mv[j].nxt, e->plen + 1, path};
        if (heap_push(heap, child) < 0) {
            free(path);
            PyErr_NoMemory();
            return FAILED;
        }
    }
    return EXPANDED;
}

static PyObject *search(PyObject *self, PyObject *args) {
    PyObject *texts, *digit, *pair, *whole, *weight;
    int n, size, limit, counted, cut, keep;
    long long budget;
    double split_cost, blank_cost;
    if (!PyArg_ParseTuple(args, "O!O!O!O!iiddO!iipiL", &PyTuple_Type, &texts, &PyTuple_Type, &digit, &PyTuple_Type,
                          &pair, &PyTuple_Type, &whole, &n, &size, &split_cost, &blank_cost, &PyTuple_Type, &weight,
                          &limit, &counted, &cut, &keep, &budget))
        return NULL;
    Py_ssize_t count = PyTuple_GET_SIZE(texts);
    if (PyTuple_GET_SIZE(digit) != count || PyTuple_GET_SIZE(pair) != count || PyTuple_GET_SIZE(whole) != count ||
        PyTuple_GET_SIZE(weight) < size || size < 1) {
        PyErr_SetString(PyExc_ValueError, "search: token arrays of different lengths, or weights short of size");
        return NULL;
    }
    if (n < 0 || n > MAX_CELLS || count > MAX_CELLS) {
        PyErr_SetString(PyExc_ValueError, "search: more cells or tokens than the C search takes");
        return NULL;
    }
    PyObject *result = NULL, *out = NULL, *blank = NULL;
    Heap heap = {0};
    Search S = {0};
    Memo own = {0};
    const char **text = calloc((size_t)count + 1, sizeof(char *));
    int *len = calloc((size_t)count + 1, sizeof(int));
    char *flags = calloc(4 * ((size_t)count + 1), 1);
    int64_t *whole_v = calloc((size_t)count + 1, sizeof(int64_t));
    int *left = calloc((size_t)count + 1, sizeof(int));
    double *w = calloc((size_t)size, sizeof(double));
    if (!text || !len || !flags || !whole_v || !left || !w) {
        PyErr_NoMemory();
        goto done;
    }
    char *is_digit = flags, *is_pair = flags + count + 1, *whole_ok = flags + 2 * (count + 1),
         *plain = flags + 3 * (count + 1);
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *t = PyTuple_GET_ITEM(texts, k);
        if (!PyUnicode_Check(t)) {
            PyErr_SetString(PyExc_TypeError, "search: texts must be str");
            goto done;
        }
        len[k] = (int)PyUnicode_GET_LENGTH(t);
        is_digit[k] = (char)PyObject_IsTrue(PyTuple_GET_ITEM(digit, k));
        is_pair[k] = (char)PyObject_IsTrue(PyTuple_GET_ITEM(pair, k));
        if (is_digit[k]) {
            if (!PyUnicode_IS_ASCII(t)) {
                PyErr_SetString(PyExc_ValueError, "search: a digit token that is not ASCII");
                goto done;
            }
            text[k] = (const char *)PyUnicode_DATA(t);
        }
        PyObject *cell = PyTuple_GET_ITEM(whole, k);
        if (cell != Py_None) {
            if (!PyTuple_Check(cell) || PyTuple_GET_SIZE(cell) != 3) {
                PyErr_SetString(PyExc_TypeError, "search: a whole cell must be (raw, value, index)");
                goto done;
            }
            PyObject *v = PyTuple_GET_ITEM(cell, 1);
            whole_ok[k] = 1;
            if (v != Py_None) {
                if (!PyLong_Check(v)) {
                    PyErr_SetString(PyExc_TypeError, "search: a whole cell's value must be an integer or None");
                    goto done;
                }
                whole_v[k] = PyLong_AsLongLong(v);
                if (whole_v[k] == -1 && PyErr_Occurred()) goto done;
                if (whole_v[k] < 0 || whole_v[k] >= MAX_COUNT) { /* run sums stay far from overflow */
                    PyErr_SetString(PyExc_ValueError, "search: a whole cell's value is not a count below MAX_COUNT");
                    goto done;
                }
            }
        }
    }
    plain[count] = 1;
    for (Py_ssize_t k = count - 1; k >= 0; k--) {
        left[k] = left[k + 1] + (is_digit[k] ? len[k] : 0);
        plain[k] = plain[k + 1] && is_digit[k];
    }
    for (int k = 0; k < size; k++) {
        w[k] = PyFloat_AsDouble(PyTuple_GET_ITEM(weight, k));
        if (w[k] == -1.0 && PyErr_Occurred()) goto done;
    }
    S = (Search){(int)count, n, size, limit, counted, cut, budget, split_cost, blank_cost, w, text, len,
                 is_digit, is_pair, whole_ok, whole_v, left, plain, NULL, 0, 0};
    if (memo_start(&S.memo, &own) < 0) {
        S.memo = NULL;
        PyErr_NoMemory();
        goto done;
    }
    State start = {0, 0, 0, 0, 0};
    double first = to_go(&S, &start);
    if (S.no_memory) {
        PyErr_NoMemory();
        goto done;
    }
    out = PyList_New(0);
    blank = Py_BuildValue("(sOi)", "", Py_None, -1);
    if (!out || !blank) goto done;
    if (S.stopped || first == INFINITY) {
        result = PyTuple_New(0);
        goto done;
    }
    Entry root = {round9(first), 0.0, start, 0, NULL};
    if (heap_push(&heap, root) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    while (heap.len && PyList_GET_SIZE(out) < keep) {
        Entry e = heap_pop(&heap);
        int failed = expand(&S, &e, &heap, out, texts, whole, blank);
        free(e.path);
        if (failed) {
            if (failed == STOPPED) result = PyTuple_New(0);
            goto done;
        }
    }
    result = PyList_AsTuple(out);
done:
    for (size_t j = 0; j < heap.len; j++) free(heap.items[j].path);
    free(heap.items);
    memo_end(S.memo);
    free(text);
    free(len);
    free(flags);
    free(whole_v);
    free(left);
    free(w);
    Py_XDECREF(out);
    Py_XDECREF(blank);
    return result;
}

/* shaped(shape, size, blocks, glued, cut, weight, keep, budget, max_blanks, num_kind, na_kind):
 * readings._totalled step for step, for a shape (the (kind, text) of a row's tokens) whose numbers
 * are all ASCII digits: the search's arguments made here (each token's whole cell, its digit and
 * pair flags, the costs, the weights and the blanks' limit), then ``search``.  NotImplemented for
 * other shapes, and for more cells or tokens than the search takes (totals.best leaves those to
 * the Python).  Made in Python, the arguments of a row searched cost a third as much as the
 * search itself. */
static PyObject *shaped(PyObject *self, PyObject *args) {
    PyObject *shape, *weight, *max_blanks, *num_kind, *na_kind;
    int size, blocks, glued, cut, keep;
    long long budget;
    if (!PyArg_ParseTuple(args, "O!iippOiLOUU:shaped", &PyTuple_Type, &shape, &size, &blocks, &glued, &cut, &weight,
                          &keep, &budget, &max_blanks, &num_kind, &na_kind))
        return NULL;
    Py_ssize_t count = PyTuple_GET_SIZE(shape);
    long long n = (long long)size * blocks;
    if (n < count && !cut) return PyTuple_New(0);
    if (n > MAX_CELLS || count > MAX_CELLS || size < 1) Py_RETURN_NOTIMPLEMENTED;
    PyObject *texts = PyTuple_New(count), *digit = PyTuple_New(count), *pair = PyTuple_New(count);
    PyObject *whole = PyTuple_New(count), *weights = NULL, *call = NULL, *result = NULL;
    if (!texts || !digit || !pair || !whole) goto done;
    for (Py_ssize_t k = 0; k < count; k++) { /* filled first: a tuple is freed whole on a way out */
        PyTuple_SET_ITEM(texts, k, Py_NewRef(Py_None));
        PyTuple_SET_ITEM(digit, k, Py_NewRef(Py_False));
        PyTuple_SET_ITEM(pair, k, Py_NewRef(Py_False));
        PyTuple_SET_ITEM(whole, k, Py_NewRef(Py_None));
    }
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *item = PyTuple_GET_ITEM(shape, k);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2 || !PyUnicode_Check(PyTuple_GET_ITEM(item, 0)) ||
            !PyUnicode_Check(PyTuple_GET_ITEM(item, 1))) {
            PyErr_SetString(PyExc_TypeError, "shaped: a shape is (kind, text) pairs of str");
            goto done;
        }
        PyObject *kind = PyTuple_GET_ITEM(item, 0), *text = PyTuple_GET_ITEM(item, 1);
        Py_SETREF(PyTuple_GET_ITEM(texts, k), Py_NewRef(text));
        int keeps = 1;    /* the token can stand as one cell (readings._whole, a plausible count) */
        long long v = -1; /* its count (-1: not a number) */
        if (PyUnicode_Compare(kind, num_kind) == 0) {
            Py_ssize_t len = PyUnicode_GET_LENGTH(text);
            const Py_UCS1 *d = PyUnicode_IS_ASCII(text) ? PyUnicode_1BYTE_DATA(text) : NULL;
            int digits = d != NULL && len > 0;
            for (Py_ssize_t c = 0; digits && c < len; c++) digits = d[c] >= '0' && d[c] <= '9';
            if (!digits) { /* a sign, a group, decimals, a unit, other digits: the Python's */
                result = Py_NewRef(Py_NotImplemented);
                goto done;
            }
            v = 0;
            for (Py_ssize_t c = 0; c < len && v < MAX_COUNT; c++) v = v * 10 + (d[c] - '0');
            keeps = (d[0] != '0' || len == 1) && v < MAX_COUNT;
            if (cut) Py_SETREF(PyTuple_GET_ITEM(digit, k), Py_NewRef(Py_True));
        } else if (cut && PyUnicode_Compare(kind, na_kind) == 0) {
            static PyObject *two_dashes = NULL; /* "——": one mark, or two glued */
            if (two_dashes == NULL && (two_dashes = PyUnicode_FromString("\u2014\u2014")) == NULL) goto done;
            if (PyUnicode_Compare(text, two_dashes) == 0) Py_SETREF(PyTuple_GET_ITEM(pair, k), Py_NewRef(Py_True));
        }
        if (PyErr_Occurred()) goto done;
        if (keeps) { /* (raw, value, index of the token) */
            PyObject *cell = Py_BuildValue("(ONn)", text, v < 0 ? Py_NewRef(Py_None) : PyLong_FromLongLong(v), k);
            if (cell == NULL) goto done;
            Py_SETREF(PyTuple_GET_ITEM(whole, k), cell);
        }
    }
    int weighted = PyObject_IsTrue(weight); /* blank_weight or (1.0,) * size */
    if (weighted < 0) goto done;
    if (weighted && !PyTuple_Check(weight)) {
        result = Py_NewRef(Py_NotImplemented);
        goto done;
    }
    if (weighted) {
        weights = Py_NewRef(weight);
    } else {
        weights = PyTuple_New(size);
        for (int k = 0; weights && k < size; k++) {
            PyObject *one = PyFloat_FromDouble(1.0);
            if (one == NULL) Py_CLEAR(weights);
            else PyTuple_SET_ITEM(weights, k, one);
        }
        if (weights == NULL) goto done;
    }
    int counted = max_blanks != Py_None;
    long long limit = n;
    if (counted && (limit = PyLong_AsLongLong(max_blanks)) == -1 && PyErr_Occurred()) goto done;
    if (limit < INT_MIN || limit > INT_MAX) { /* not a limit the search takes */
        result = Py_NewRef(Py_NotImplemented);
        goto done;
    }
    call = Py_BuildValue("(OOOOiiddOiiiiL)", texts, digit, pair, whole, (int)n, size, glued ? 0.1 : 3.0,
                         glued ? 3.0 : 0.5, weights, (int)limit, counted, cut, keep, budget);
    if (call != NULL) result = search(self, call);
done:
    Py_XDECREF(texts);
    Py_XDECREF(digit);
    Py_XDECREF(pair);
    Py_XDECREF(whole);
    Py_XDECREF(weights);
    Py_XDECREF(call);
    return result;
}

static PyMethodDef methods[] = {
    {"search", search, METH_VARARGS, "totals.search in C: the same arguments, the same readings (plain inputs only)."},
    {"shaped", shaped, METH_VARARGS, "readings._totalled in C: the search of a shape of plain counts."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_totals", "The search of pipeline.parse.totals, in C.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__totals(void) { return PyModule_Create(&module); }
