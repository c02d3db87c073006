/* The identities' searches of pipeline/parse/readings.py, in C: the dynamic programming of solve
 * (``_layers``) and the search of choose (``_combine``); and the identities counted on a reading
 * of section 三: its checks (identities.request_checks) and what a choice of readings fails
 * (sections._failures), each of those once a report or once a placement tried.
 *
 * readings.py is the definition and says what each does; this file does the same, step for
 * step, for speed alone (in PDF text they were the largest cost of reading section 三).  The
 * Python packs a state's lanes into one integer; here a state is its lanes, as 64-bit integers,
 * kept in insertion order with an open-addressing index, so ties go the way the Python dict's do.
 * Vectors the C does not take (lanes that are not integers, or past 2^50: a reading of
 * implausible counts) are left to the Python: NotImplemented.  tests/test_solve.py holds the two
 * equal, output for output.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define WIDEST ((int64_t)1 << 50) /* a lane within +-2^50: sums of a report's rows stay in 64 bits */

typedef struct { /* the states of one layer, in insertion order */
    Py_ssize_t lanes, n, cap;
    int64_t *vec; /* n * lanes */
    double *cost;
    Py_ssize_t *src;
    Py_ssize_t *k;
    Py_ssize_t *index, slots; /* open addressing: state number + 1, 0 for empty */
} Layer;

typedef struct {
    Py_ssize_t src, g, dst;
} Edge;

static uint64_t hash(const int64_t *v, Py_ssize_t lanes) {
    uint64_t h = 1469598103934665603ULL;
    for (Py_ssize_t i = 0; i < lanes; i++) h = (h ^ (uint64_t)v[i]) * 1099511628211ULL;
    return h ^ (h >> 29);
}

static void layer_free(Layer *L) {
    PyMem_Free(L->vec);
    PyMem_Free(L->cost);
    PyMem_Free(L->src);
    PyMem_Free(L->k);
    PyMem_Free(L->index);
    memset(L, 0, sizeof(*L));
}

static int layer_init(Layer *L, Py_ssize_t lanes) {
    memset(L, 0, sizeof(*L));
    L->lanes = lanes;
    L->slots = 16;
    L->index = PyMem_Calloc(L->slots, sizeof(Py_ssize_t));
    if (L->index == NULL) return -1;
    return 0;
}

/* The state equal to v, or -1. */
static Py_ssize_t layer_find(Layer *L, const int64_t *v) {
    for (uint64_t s = hash(v, L->lanes) & (L->slots - 1);; s = (s + 1) & (L->slots - 1)) {
        Py_ssize_t at = L->index[s];
        if (at == 0) return -1;
        if (memcmp(&L->vec[(at - 1) * L->lanes], v, L->lanes * sizeof(int64_t)) == 0) return at - 1;
    }
}

static int layer_reindex(Layer *L, Py_ssize_t slots) {
    Py_ssize_t *index = PyMem_Calloc(slots, sizeof(Py_ssize_t));
    if (index == NULL) return -1;
    PyMem_Free(L->index);
    L->index = index;
    L->slots = slots;
    for (Py_ssize_t i = 0; i < L->n; i++) {
        uint64_t s = hash(&L->vec[i * L->lanes], L->lanes) & (slots - 1);
        while (index[s]) s = (s + 1) & (slots - 1);
        index[s] = i + 1;
    }
    return 0;
}

/* Append state v (not in the layer). */
static Py_ssize_t layer_add(Layer *L, const int64_t *v, double cost, Py_ssize_t src, Py_ssize_t k) {
    if (L->n == L->cap) {
        Py_ssize_t cap = L->cap ? 2 * L->cap : 64;
        int64_t *vec = PyMem_Realloc(L->vec, cap * L->lanes * sizeof(int64_t));
        if (vec == NULL) return -1;
        L->vec = vec;
        double *c = PyMem_Realloc(L->cost, cap * sizeof(double));
        if (c == NULL) return -1;
        L->cost = c;
        Py_ssize_t *s = PyMem_Realloc(L->src, cap * sizeof(Py_ssize_t));
        if (s == NULL) return -1;
        L->src = s;
        Py_ssize_t *kk = PyMem_Realloc(L->k, cap * sizeof(Py_ssize_t));
        if (kk == NULL) return -1;
        L->k = kk;
        L->cap = cap;
    }
    Py_ssize_t i = L->n++;
    memcpy(&L->vec[i * L->lanes], v, L->lanes * sizeof(int64_t));
    L->cost[i] = cost, L->src[i] = src, L->k[i] = k;
    if (2 * L->n > L->slots) return layer_reindex(L, 2 * L->slots) < 0 ? -1 : i;
    uint64_t s = hash(v, L->lanes) & (L->slots - 1);
    while (L->index[s]) s = (s + 1) & (L->slots - 1);
    L->index[s] = i + 1;
    return i;
}

/* A tuple of `lanes` ints into 64-bit integers (None as 0 where `none_as_zero`: a blank cell of a
 * row's values): 0 done; 1 where the C does not take it (not such a tuple, or past WIDEST), which
 * leaves the work to the Python; -1 on error. */
static int int_lanes(PyObject *t, Py_ssize_t lanes, int none_as_zero, int64_t *out) {
    if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != lanes) return 1;
    for (Py_ssize_t i = 0; i < lanes; i++) {
        PyObject *x = PyTuple_GET_ITEM(t, i);
        if (none_as_zero && x == Py_None) {
            out[i] = 0;
            continue;
        }
        if (!PyLong_CheckExact(x)) return 1;
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(x, &overflow);
        if (v == -1 && PyErr_Occurred()) return -1;
        if (overflow || v > WIDEST || v < -WIDEST) return 1;
        out[i] = v;
    }
    return 0;
}

static int between(const int64_t *v, const int64_t *low, const int64_t *high, Py_ssize_t lanes) {
    for (Py_ssize_t i = 0; i < lanes; i++)
        if (v[i] < low[i] || v[i] > high[i]) return 0;
    return 1;
}

typedef struct {
    int64_t *add;
    Py_ssize_t *k, n;
    double *cost;
} Row;

/* readings._layers over C arrays: from `origin`, row after row, every step of the row added to every
 * state within low[r+1]..high[r+1]; the cheapest path to zero into path[r] (the step's k), and the
 * steps on any path to zero flagged in used[r][g].  1: found; 0: none (zero unreachable, or a row's
 * states past max_states); -1: out of memory (the error set). */
static int run_layers(Py_ssize_t lanes, Py_ssize_t R, const int64_t *origin, const int64_t *low, const int64_t *high,
                      const Row *rows, Py_ssize_t max_states, Py_ssize_t *path, char **used) {
    int found = -1;
    Layer *layer = PyMem_Calloc(R + 1, sizeof(Layer));
    Edge **edges = PyMem_Calloc(R + 1, sizeof(Edge *));
    Py_ssize_t *n_edges = PyMem_Calloc(R + 1, sizeof(Py_ssize_t));
    int64_t *next = PyMem_Calloc(lanes + 1, sizeof(int64_t));
    char *alive = NULL, *before = NULL;
    if (layer == NULL || edges == NULL || n_edges == NULL || next == NULL) goto done;
    if (!between(origin, &low[0], &high[0], lanes)) {
        found = 0;
        goto done;
    }
    for (Py_ssize_t r = 0; r <= R; r++)
        if (layer_init(&layer[r], lanes) < 0) goto done;
    if (layer_add(&layer[0], origin, 0.0, -1, -1) < 0) goto done;
    for (Py_ssize_t r = 0; r < R; r++) {
        Layer *from = &layer[r], *to = &layer[r + 1];
        const Row *w = &rows[r];
        const int64_t *below = &low[(r + 1) * lanes], *above = &high[(r + 1) * lanes];
        Py_ssize_t cap = 0;
        for (Py_ssize_t s = 0; s < from->n; s++) {
            for (Py_ssize_t g = 0; g < w->n; g++) {
                for (Py_ssize_t i = 0; i < lanes; i++) next[i] = from->vec[s * lanes + i] + w->add[g * lanes + i];
                if (!between(next, below, above, lanes)) continue;
                double total = from->cost[s] + w->cost[g];
                Py_ssize_t at = layer_find(to, next);
                if (at < 0) {
                    at = layer_add(to, next, total, s, w->k[g]);
                    if (at < 0) goto done;
                } else if (total < to->cost[at]) {
                    to->cost[at] = total, to->src[at] = s, to->k[at] = w->k[g];
                }
                if (n_edges[r] == cap) {
                    cap = cap ? 2 * cap : 256;
                    Edge *e = PyMem_Realloc(edges[r], cap * sizeof(Edge));
                    if (e == NULL) goto done;
                    edges[r] = e;
                }
                edges[r][n_edges[r]++] = (Edge){s, g, at};
            }
        }
        if (to->n == 0 || to->n > max_states) {
            found = 0;
            goto done;
        }
    }
    memset(next, 0, lanes * sizeof(int64_t));
    Py_ssize_t goal = layer_find(&layer[R], next);
    if (goal < 0) {
        found = 0;
        goto done;
    }
    for (Py_ssize_t r = R, state = goal; r > 0; r--) {
        path[r - 1] = layer[r].k[state];
        state = layer[r].src[state];
    }
    Py_ssize_t widest = 1;
    for (Py_ssize_t r = 0; r <= R; r++) widest = layer[r].n > widest ? layer[r].n : widest;
    alive = PyMem_Calloc(widest, 1);
    before = PyMem_Calloc(widest, 1);
    if (alive == NULL || before == NULL) goto done;
    alive[goal] = 1;
    for (Py_ssize_t r = R - 1; r >= 0; r--) {
        memset(before, 0, widest);
        for (Py_ssize_t e = 0; e < n_edges[r]; e++) {
            Edge *edge = &edges[r][e];
            if (!alive[edge->dst]) continue;
            before[edge->src] = 1;
            used[r][edge->g] = 1;
        }
        char *swap = alive;
        alive = before, before = swap;
    }
    found = 1;
done:
    if (found < 0) PyErr_NoMemory();
    for (Py_ssize_t r = 0; layer != NULL && r <= R; r++) layer_free(&layer[r]);
    for (Py_ssize_t r = 0; edges != NULL && r <= R; r++) PyMem_Free(edges[r]);
    PyMem_Free(layer);
    PyMem_Free(edges);
    PyMem_Free(n_edges);
    PyMem_Free(next);
    PyMem_Free(alive);
    PyMem_Free(before);
    return found;
}

/* Each row's `used` flags, one per step (R rows of rows[r].n): NULL on error. */
static char **used_flags(const Row *rows, Py_ssize_t R) {
    char **used = PyMem_Calloc(R + 1, sizeof(char *));
    for (Py_ssize_t r = 0; used != NULL && r < R; r++) {
        used[r] = PyMem_Calloc(rows[r].n + 1, 1);
        if (used[r] == NULL) {
            for (Py_ssize_t q = 0; q < r; q++) PyMem_Free(used[q]);
            PyMem_Free(used);
            used = NULL;
        }
    }
    if (used == NULL) PyErr_NoMemory();
    return used;
}

static void free_rows(Row *rows, char **used, Py_ssize_t R) {
    for (Py_ssize_t r = 0; rows != NULL && r <= R; r++) {
        PyMem_Free(rows[r].add);
        PyMem_Free(rows[r].k);
        PyMem_Free(rows[r].cost);
    }
    for (Py_ssize_t r = 0; used != NULL && r <= R; r++) PyMem_Free(used[r]);
    PyMem_Free(rows);
    PyMem_Free(used);
}

/* layers(first, steps, low, high, max_states): readings._layers. */
static PyObject *layers(PyObject *self, PyObject *args) {
    PyObject *first, *steps, *low_list, *high_list;
    Py_ssize_t max_states;
    if (!PyArg_ParseTuple(args, "O!O!O!O!n:layers", &PyTuple_Type, &first, &PyList_Type, &steps, &PyList_Type, &low_list,
                          &PyList_Type, &high_list, &max_states))
        return NULL;
    Py_ssize_t lanes = PyTuple_GET_SIZE(first), R = PyList_GET_SIZE(steps);
    if (PyList_GET_SIZE(low_list) != R + 1 || PyList_GET_SIZE(high_list) != R + 1) {
        PyErr_SetString(PyExc_ValueError, "low and high hold a bound for each row and one after the last");
        return NULL;
    }
    PyObject *result = NULL;
    int64_t *bounds = PyMem_Calloc(2 * (R + 1) * lanes + lanes + 1, sizeof(int64_t));
    int64_t *low = bounds, *high = bounds + (R + 1) * lanes, *origin = high + (R + 1) * lanes;
    Row *rows = PyMem_Calloc(R + 1, sizeof(Row));
    Py_ssize_t *path = PyMem_Calloc(R + 1, sizeof(Py_ssize_t));
    char **used = NULL;
    if (bounds == NULL || rows == NULL || path == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    int declined = int_lanes(first, lanes, 0, origin);
    for (Py_ssize_t r = 0; r <= R && declined == 0; r++) {
        declined = int_lanes(PyList_GET_ITEM(low_list, r), lanes, 0, &low[r * lanes]);
        if (declined == 0) declined = int_lanes(PyList_GET_ITEM(high_list, r), lanes, 0, &high[r * lanes]);
    }
    for (Py_ssize_t r = 0; r < R && declined == 0; r++) {
        PyObject *row = PyList_GET_ITEM(steps, r);
        if (!PyList_Check(row)) {
            PyErr_SetString(PyExc_ValueError, "each row's steps must be a list of (add, k, cost)");
            goto done;
        }
        Row *w = &rows[r];
        w->n = PyList_GET_SIZE(row);
        w->add = PyMem_Calloc(w->n * lanes + 1, sizeof(int64_t));
        w->k = PyMem_Calloc(w->n + 1, sizeof(Py_ssize_t));
        w->cost = PyMem_Calloc(w->n + 1, sizeof(double));
        if (w->add == NULL || w->k == NULL || w->cost == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t g = 0; g < w->n && declined == 0; g++) {
            PyObject *add, *step = PyList_GET_ITEM(row, g);
            if (!PyArg_ParseTuple(step, "O!nd:step", &PyTuple_Type, &add, &w->k[g], &w->cost[g])) goto done;
            declined = int_lanes(add, lanes, 0, &w->add[g * lanes]);
        }
    }
    if (declined < 0) goto done;
    if (declined > 0) {
        result = Py_NewRef(Py_NotImplemented);
        goto done;
    }
    used = used_flags(rows, R);
    if (used == NULL) goto done;
    int found = run_layers(lanes, R, origin, low, high, rows, max_states, path, used);
    if (found <= 0) {
        result = found < 0 ? NULL : Py_NewRef(Py_None);
        goto done;
    }
    PyObject *picked = PyList_New(R), *steps_used = PyList_New(R);
    if (picked == NULL || steps_used == NULL) {
        Py_XDECREF(picked);
        Py_XDECREF(steps_used);
        goto done;
    }
    result = Py_BuildValue("(NN)", picked, steps_used);
    if (result == NULL) goto done;
    for (Py_ssize_t r = 0; r < R; r++) {
        PyObject *k = PyLong_FromSsize_t(path[r]), *set = PySet_New(NULL);
        if (k != NULL) PyList_SET_ITEM(picked, r, k);
        if (set != NULL) PyList_SET_ITEM(steps_used, r, set);
        if (k == NULL || set == NULL) goto fail;
        for (Py_ssize_t g = 0; g < rows[r].n; g++) {
            if (!used[r][g]) continue;
            PyObject *step = PyLong_FromSsize_t(g);
            if (step == NULL || PySet_Add(set, step) < 0) {
                Py_XDECREF(step);
                goto fail;
            }
            Py_DECREF(step);
        }
    }
    goto done;
fail:
    Py_CLEAR(result);
done:
    free_rows(rows, used, R);
    PyMem_Free(bounds);
    PyMem_Free(path);
    return result;
}

/* combine(base, vectors, costs, limit): readings._combine, step for step (that function says what
 * it does).  A vector is read by int_lanes; None (no base) adds nothing, as the Python's None
 * does.  A combination's cost is summed row by row from 0.0, as
 * the Python's sum() of floats does. */
typedef struct {
    Py_ssize_t n;     /* readings */
    int64_t *vec;     /* n * lanes */
    double *cost;
} Options;

static Py_ssize_t nonzero(const int64_t *v, Py_ssize_t lanes) {
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < lanes; i++) n += v[i] != 0;
    return n;
}

static PyObject *index_set(const char *member, Py_ssize_t n) {
    PyObject *set = PySet_New(NULL);
    for (Py_ssize_t k = 0; set != NULL && k < n; k++) {
        if (!member[k]) continue;
        PyObject *index = PyLong_FromSsize_t(k);
        if (index == NULL || PySet_Add(set, index) < 0) Py_CLEAR(set);
        Py_XDECREF(index);
    }
    return set;
}

static PyObject *combine(PyObject *self, PyObject *args) {
    PyObject *base, *vectors, *costs;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "OO!O!n:combine", &base, &PyList_Type, &vectors, &PyList_Type, &costs, &limit))
        return NULL;
    Py_ssize_t R = PyList_GET_SIZE(vectors), lanes = -1;
    if (PyList_GET_SIZE(costs) != R) {
        PyErr_SetString(PyExc_ValueError, "one list of costs for each row's vectors");
        return NULL;
    }
    if (base != Py_None) lanes = PyTuple_Check(base) ? PyTuple_GET_SIZE(base) : -1;
    for (Py_ssize_t i = 0; i < R && lanes < 0; i++) {
        PyObject *row = PyList_GET_ITEM(vectors, i);
        if (PyList_Check(row) && PyList_GET_SIZE(row) && PyTuple_Check(PyList_GET_ITEM(row, 0)))
            lanes = PyTuple_GET_SIZE(PyList_GET_ITEM(row, 0));
    }
    if (lanes < 0) lanes = 0;
    PyObject *result = NULL, *picks = NULL, *fitting = NULL;
    Options *rows = PyMem_Calloc(R + 1, sizeof(Options));
    int64_t *total = PyMem_Calloc(2 * lanes + 1, sizeof(int64_t)), *rest = total + lanes, *start = NULL;
    Py_ssize_t *pick = PyMem_Calloc(R + 1, sizeof(Py_ssize_t)), *fails = NULL, widest = 1;
    char *member = NULL;
    int exhaustive = 1, odd = 0;
    start = PyMem_Calloc(lanes + 1, sizeof(int64_t));
    if (rows == NULL || total == NULL || pick == NULL || start == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (base != Py_None) odd = int_lanes(base, lanes, 0, start);
    Py_ssize_t combos = 1;
    for (Py_ssize_t i = 0; i < R && odd == 0; i++) {
        PyObject *row = PyList_GET_ITEM(vectors, i), *row_costs = PyList_GET_ITEM(costs, i);
        if (!PyList_Check(row) || !PyList_Check(row_costs) || PyList_GET_SIZE(row) != PyList_GET_SIZE(row_costs) ||
            PyList_GET_SIZE(row) == 0) {
            PyErr_SetString(PyExc_ValueError, "each row needs a vector and a cost for each of its readings");
            goto done;
        }
        Options *o = &rows[i];
        o->n = PyList_GET_SIZE(row);
        widest = o->n > widest ? o->n : widest;
        o->vec = PyMem_Calloc(o->n * lanes + 1, sizeof(int64_t));
        o->cost = PyMem_Calloc(o->n, sizeof(double));
        if (o->vec == NULL || o->cost == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t k = 0; k < o->n && odd == 0; k++) {
            odd = int_lanes(PyList_GET_ITEM(row, k), lanes, 0, &o->vec[k * lanes]);
            o->cost[k] = PyFloat_AsDouble(PyList_GET_ITEM(row_costs, k));
            if (o->cost[k] == -1.0 && PyErr_Occurred()) goto done;
        }
        if (combos <= limit) combos *= o->n; /* stops growing once past the limit */
    }
    if (odd < 0) goto done;
    if (odd > 0) {
        result = Py_NewRef(Py_NotImplemented);
        goto done;
    }
    exhaustive = combos <= limit;
    Py_ssize_t best_fail;
    member = PyMem_Calloc(R * widest + 1, 1); /* row i, reading k: fits */
    if (member == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (exhaustive) {
        fails = PyMem_Calloc(combos + 1, sizeof(Py_ssize_t));
        if (fails == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        Py_ssize_t best = 0;
        double best_cost = 0.0;
        for (Py_ssize_t c = 0; c < combos; c++) { /* pick: the combination, the last row fastest */
            memcpy(total, start, lanes * sizeof(int64_t));
            double cost = 0.0;
            for (Py_ssize_t i = 0; i < R; i++) {
                for (Py_ssize_t l = 0; l < lanes; l++) total[l] += rows[i].vec[pick[i] * lanes + l];
                cost += rows[i].cost[pick[i]];
            }
            fails[c] = nonzero(total, lanes);
            if (c == 0 || fails[c] < fails[best] || (fails[c] == fails[best] && cost < best_cost)) best = c, best_cost = cost;
            for (Py_ssize_t i = R - 1; i >= 0 && ++pick[i] == rows[i].n; i--) pick[i] = 0;
        }
        best_fail = fails[best];
        memset(pick, 0, R * sizeof(Py_ssize_t));
        for (Py_ssize_t c = 0; c < combos; c++) {
            if (fails[c] == best_fail)
                for (Py_ssize_t i = 0; i < R; i++) member[i * widest + pick[i]] = 1;
            for (Py_ssize_t i = R - 1; i >= 0 && ++pick[i] == rows[i].n; i--) pick[i] = 0;
        }
        for (Py_ssize_t c = best, i = R - 1; i >= 0; i--) pick[i] = c % rows[i].n, c /= rows[i].n;
    } else {
#define WITHOUT(row)                                                                                   \
    do {                                                                                               \
        memcpy(rest, start, lanes * sizeof(int64_t));                                                  \
        for (Py_ssize_t j = 0; j < R; j++)                                                             \
            if (j != (row))                                                                            \
                for (Py_ssize_t l = 0; l < lanes; l++) rest[l] += rows[j].vec[pick[j] * lanes + l];     \
    } while (0)
        WITHOUT(-1);
        best_fail = nonzero(rest, lanes);
        int improved = 1;
        while (improved && best_fail) {
            improved = 0;
            for (Py_ssize_t i = 0; i < R; i++) {
                WITHOUT(i);
                for (Py_ssize_t k = 1; k < rows[i].n; k++) {
                    for (Py_ssize_t l = 0; l < lanes; l++) total[l] = rest[l] + rows[i].vec[k * lanes + l];
                    Py_ssize_t f = nonzero(total, lanes);
                    if (f < best_fail) pick[i] = k, best_fail = f, improved = 1;
                }
            }
        }
        for (Py_ssize_t i = 0; i < R; i++) {
            WITHOUT(i);
            member[i * widest + pick[i]] = 1;
            for (Py_ssize_t k = 0; k < rows[i].n; k++) {
                for (Py_ssize_t l = 0; l < lanes; l++) total[l] = rest[l] + rows[i].vec[k * lanes + l];
                if (nonzero(total, lanes) == best_fail) member[i * widest + k] = 1;
            }
        }
#undef WITHOUT
    }
    picks = PyList_New(R);
    fitting = PyList_New(R);
    if (picks == NULL || fitting == NULL) goto done;
    for (Py_ssize_t i = 0; i < R; i++) {
        PyObject *k = PyLong_FromSsize_t(pick[i]), *set = index_set(&member[i * widest], rows[i].n);
        if (k == NULL || set == NULL) {
            Py_XDECREF(k);
            Py_XDECREF(set);
            goto done;
        }
        PyList_SET_ITEM(picks, i, k);
        PyList_SET_ITEM(fitting, i, set);
    }
    result = Py_BuildValue("(OnOO)", exhaustive ? Py_True : Py_False, best_fail, picks, fitting);
done:
    Py_XDECREF(picks);
    Py_XDECREF(fitting);
    for (Py_ssize_t i = 0; rows != NULL && i < R; i++) {
        PyMem_Free(rows[i].vec);
        PyMem_Free(rows[i].cost);
    }
    PyMem_Free(rows);
    PyMem_Free(total);
    PyMem_Free(start);
    PyMem_Free(pick);
    PyMem_Free(fails);
    PyMem_Free(member);
    return result;
}

/* ---------------------------------------------------------------- identities.request_checks */

static PyObject *RULE_BALANCE, *RULE_ROW_TOTAL, *RULE_OUTCOME_TOTAL, *OUTCOME, *VALUES, *COST, *EMPTY;

#define ROW_WIDTH 7 /* the columns of section 三: six applicant types and their total */

/* identities.outcome_coefficient: -1 for the outcomes' total, 1 for an outcome, 0 otherwise. */
static int outcome_of(PyObject *code) {
    if (PyUnicode_CompareWithASCIIString(code, "outcome.total") == 0) return -1;
    return PyUnicode_Tailmatch(code, OUTCOME, 0, PY_SSIZE_T_MAX, -1) == 1;
}

/* A Check (rule, scope, expected, actual, passed, note "") of the tuple class `check`, as
 * tuple.__new__ makes it, onto `out`. */
static int add_check(PyObject *out, PyObject *check, PyObject *rule, PyObject *scope, int64_t expected, int64_t actual) {
    PyTypeObject *type = (PyTypeObject *)check;
    PyObject *made = type->tp_alloc(type, 6);
    if (made == NULL) return -1;
    PyObject *items[6] = {Py_NewRef(rule), Py_NewRef(scope), PyLong_FromLongLong(expected), PyLong_FromLongLong(actual),
                          Py_NewRef(expected == actual ? Py_True : Py_False), Py_NewRef(EMPTY)};
    for (int i = 0; i < 6; i++) PyTuple_SET_ITEM(made, i, items[i]);
    if (items[2] == NULL || items[3] == NULL) {
        Py_DECREF(made);
        return -1;
    }
    int bad = PyList_Append(out, made);
    Py_DECREF(made);
    return bad;
}

/* identities.request_checks(rows) in C: (rows, applicant codes, the Check class). */
static PyObject *request_checks(PyObject *self, PyObject *args) {
    PyObject *rows, *applicants, *check;
    if (!PyArg_ParseTuple(args, "O!O!O!", &PyDict_Type, &rows, &PyTuple_Type, &applicants, &PyType_Type, &check))
        return NULL;
    if (!PyType_IsSubtype((PyTypeObject *)check, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "check must be a tuple type (model.Check)");
        return NULL;
    }
    if (PyTuple_GET_SIZE(applicants) != ROW_WIDTH) Py_RETURN_NOTIMPLEMENTED;
    Py_ssize_t n = PyDict_GET_SIZE(rows), pos = 0, r = 0;
    int64_t *vals = PyMem_Malloc((n ? n : 1) * ROW_WIDTH * sizeof(int64_t));
    PyObject **codes = PyMem_Malloc((n ? n : 1) * sizeof(PyObject *));
    PyObject *out = NULL, *key, *value;
    if (vals == NULL || codes == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    int64_t *new = NULL, *carried = NULL, *total = NULL, *forward = NULL, leaves[ROW_WIDTH] = {0};
    int any_leaf = 0;
    while (PyDict_Next(rows, &pos, &key, &value)) {
        int64_t *v = &vals[r * ROW_WIDTH];
        if (!PyUnicode_CheckExact(key)) goto python;
        int declined = int_lanes(value, ROW_WIDTH, 1, v);
        if (declined < 0) goto done;
        if (declined) goto python;
        codes[r++] = key;
        if (PyUnicode_CompareWithASCIIString(key, "received.new") == 0) new = v;
        else if (PyUnicode_CompareWithASCIIString(key, "received.carried_over") == 0) carried = v;
        else if (PyUnicode_CompareWithASCIIString(key, "carried_forward") == 0) forward = v;
        int outcome = outcome_of(key);
        if (outcome < 0) {
            total = v;
        } else if (outcome) { /* a leaf of the outcomes */
            any_leaf = 1;
            for (int c = 0; c < ROW_WIDTH; c++) leaves[c] += v[c];
        }
    }
    out = PyList_New(0);
    if (out == NULL) goto done;
    if (new && carried && total && forward) {
        for (int c = 0; c < ROW_WIDTH; c++)
            if (add_check(out, check, RULE_BALANCE, PyTuple_GET_ITEM(applicants, c), total[c] + forward[c],
                          new[c] + carried[c]) < 0)
                goto fail;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t *v = &vals[i * ROW_WIDTH], act = 0;
        for (int c = 0; c < ROW_WIDTH - 1; c++) act += v[c];
        if (add_check(out, check, RULE_ROW_TOTAL, codes[i], v[ROW_WIDTH - 1], act) < 0) goto fail;
    }
    if (total && any_leaf) {
        for (int c = 0; c < ROW_WIDTH; c++)
            if (add_check(out, check, RULE_OUTCOME_TOTAL, PyTuple_GET_ITEM(applicants, c), total[c], leaves[c]) < 0)
                goto fail;
    }
    goto done;
fail:
    Py_CLEAR(out);
    goto done;
python:
    out = Py_NewRef(Py_NotImplemented);
done:
    PyMem_Free(vals);
    PyMem_Free(codes);
    return out;
}

/* ---------------------------------------------------------------- sections._failures */

/* A row's coefficient in the balance, balance.get(code, 0) of identities.BALANCE, into *b: 1;
 * 0 where the C does not take it (not an int of -1, 0 or 1); -1 on error. */
static int balance_of(PyObject *balance, PyObject *code, long *b) {
    PyObject *coefficient = PyDict_GetItemWithError(balance, code); /* borrowed */
    *b = 0;
    if (coefficient == NULL) return PyErr_Occurred() ? -1 : 1;
    if (!PyLong_CheckExact(coefficient)) return 0;
    *b = PyLong_AsLong(coefficient);
    if (*b == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        return 0;
    }
    return *b >= -1 && *b <= 1;
}

/* sections._failures in C: (picks, use_balance, use_outcome, balance) with picks = code ->
 * Reading and balance = identities.BALANCE.  The identities' lanes that do not sum to zero over
 * the picks, plus the picks whose row total does not hold; NotImplemented for readings it does
 * not take (values not 7 ints or None within +-2^50). */
static PyObject *failures(PyObject *self, PyObject *args) {
    PyObject *picks, *balance, *code, *pick;
    int use_balance, use_outcome;
    if (!PyArg_ParseTuple(args, "O!ppO!", &PyDict_Type, &picks, &use_balance, &use_outcome, &PyDict_Type, &balance))
        return NULL;
    int64_t lanes[2 * ROW_WIDTH] = {0}, v[ROW_WIDTH];
    Py_ssize_t pos = 0, failed = 0;
    while (PyDict_Next(picks, &pos, &code, &pick)) {
        PyObject *values = PyObject_GetAttr(pick, VALUES);
        if (values == NULL) return NULL;
        int declined = PyUnicode_CheckExact(code) ? int_lanes(values, ROW_WIDTH, 1, v) : 1;
        Py_DECREF(values);
        if (declined < 0) return NULL;
        if (declined) Py_RETURN_NOTIMPLEMENTED;
        long b = 0, o = 0;
        if (use_balance) {
            int taken = balance_of(balance, code, &b);
            if (taken < 0) return NULL;
            if (!taken) Py_RETURN_NOTIMPLEMENTED;
        }
        if (use_outcome) o = outcome_of(code);
        int64_t six = 0;
        for (int c = 0; c < ROW_WIDTH; c++) {
            lanes[c] += b * v[c];
            lanes[ROW_WIDTH + c] += o * v[c];
            if (c < ROW_WIDTH - 1) six += v[c];
        }
        failed += six != v[ROW_WIDTH - 1]; /* its row total */
    }
    for (int l = 0; l < 2 * ROW_WIDTH; l++) failed += lanes[l] != 0;
    return PyLong_FromSsize_t(failed);
}

/* solve_requests(rows, balance, max_states, choice): readings.solve over section 三's rows with
 * the coefficients sections._read_rows gives it (balance.get(code, 0), and
 * identities.outcome_coefficient), step for step: the same Choice (of class `choice`), or None.
 * Rows it does not take are left to the Python, NotImplemented: values not 7 ints or None within
 * +-2^50, a coefficient not -1, 0 or 1, a bound past 2^50 (where _layers' C declines too). */
#define SOLVE_LANES (2 * ROW_WIDTH)

static PyObject *solve_requests(PyObject *self, PyObject *args) {
    PyObject *rows, *balance, *choice;
    Py_ssize_t max_states;
    if (!PyArg_ParseTuple(args, "O!O!nO:solve_requests", &PyDict_Type, &rows, &PyDict_Type, &balance, &max_states,
                          &choice))
        return NULL;
    Py_ssize_t n = PyDict_GET_SIZE(rows), total = 0, R = 0;
    PyObject *result = NULL, *picks = NULL, *doubtful = NULL, **codes = NULL, **lists = NULL, **values = NULL;
    long *b = NULL, *o = NULL;
    Py_ssize_t *first = NULL, *order = NULL, *gid = NULL, *path = NULL;
    int64_t *vec = NULL, *bounds = NULL, start[SOLVE_LANES] = {0};
    double *cost = NULL;
    Row *steps = NULL;
    char **used = NULL;
    int declined = 0;
    codes = PyMem_Calloc(n + 1, sizeof(PyObject *));
    lists = PyMem_Calloc(n + 1, sizeof(PyObject *));
    b = PyMem_Calloc(n + 1, sizeof(long));
    o = PyMem_Calloc(n + 1, sizeof(long));
    first = PyMem_Calloc(n + 2, sizeof(Py_ssize_t)); /* the first reading of each row, into the arrays below */
    order = PyMem_Calloc(n + 1, sizeof(Py_ssize_t));
    if (!codes || !lists || !b || !o || !first || !order) goto nomemory;
    PyObject *code, *list;
    Py_ssize_t pos = 0, balanced = 0;
    for (Py_ssize_t i = 0; PyDict_Next(rows, &pos, &code, &list); i++) {
        if (!PyUnicode_CheckExact(code) || !PyList_CheckExact(list) || PyList_GET_SIZE(list) == 0) goto decline;
        int taken = balance_of(balance, code, &b[i]);
        if (taken < 0) goto done;
        if (!taken) goto decline;
        o[i] = outcome_of(code);
        balanced += b[i] != 0;
        codes[i] = code, lists[i] = list;
        first[i] = total;
        total += PyList_GET_SIZE(list);
    }
    first[n] = total;
    if (n == 0) goto chosen;
    int use_balance = balanced == 4;
    vec = PyMem_Calloc(total * SOLVE_LANES + 1, sizeof(int64_t));
    cost = PyMem_Calloc(total + 1, sizeof(double));
    values = PyMem_Calloc(total + 1, sizeof(PyObject *));
    gid = PyMem_Calloc(total + 1, sizeof(Py_ssize_t));
    if (!vec || !cost || !values || !gid) goto nomemory;
    for (Py_ssize_t i = 0; i < n; i++) { /* what each reading adds to the lanes, and its cost */
        for (Py_ssize_t j = 0; j < PyList_GET_SIZE(lists[i]); j++) {
            Py_ssize_t k = first[i] + j;
            PyObject *reading = PyList_GET_ITEM(lists[i], j), *price;
            int64_t v[ROW_WIDTH];
            values[k] = PyObject_GetAttr(reading, VALUES);
            if (values[k] == NULL) goto done;
            declined = int_lanes(values[k], ROW_WIDTH, 1, v);
            if (declined) goto refused;
            price = PyObject_GetAttr(reading, COST);
            if (price == NULL) goto done;
            cost[k] = PyFloat_AsDouble(price);
            Py_DECREF(price);
            if (cost[k] == -1.0 && PyErr_Occurred()) {
                PyErr_Clear();
                goto decline;
            }
            for (int c = 0; c < ROW_WIDTH; c++) {
                vec[k * SOLVE_LANES + c] = (use_balance ? b[i] : 0) * v[c];
                vec[k * SOLVE_LANES + ROW_WIDTH + c] = o[i] * v[c];
            }
        }
    }
    /* the rows of one reading summed once; the others searched, the outcomes' total first and the
     * balance rows early (a stable sort by (o != -1, b == 0)) */
    for (Py_ssize_t i = 0; i < n; i++) {
        if (PyList_GET_SIZE(lists[i]) == 1) {
            for (int l = 0; l < SOLVE_LANES; l++) start[l] += vec[first[i] * SOLVE_LANES + l];
            continue;
        }
        int key = 2 * (o[i] != -1) + (b[i] == 0);
        Py_ssize_t r = R++;
        for (; r > 0 && 2 * (o[order[r - 1]] != -1) + (b[order[r - 1]] == 0) > key; r--) order[r] = order[r - 1];
        order[r] = i;
    }
    /* readings that add the same vector are one step, at the cost of the cheapest (the first of
     * those cheapest) */
    steps = PyMem_Calloc(R + 1, sizeof(Row));
    bounds = PyMem_Calloc(2 * (R + 1) * SOLVE_LANES, sizeof(int64_t));
    path = PyMem_Calloc(R + 1, sizeof(Py_ssize_t));
    if (!steps || !bounds || !path) goto nomemory;
    for (Py_ssize_t r = 0; r < R; r++) {
        Py_ssize_t i = order[r], m = PyList_GET_SIZE(lists[i]);
        Row *w = &steps[r];
        w->add = PyMem_Calloc(m * SOLVE_LANES, sizeof(int64_t));
        w->k = PyMem_Calloc(m, sizeof(Py_ssize_t));
        w->cost = PyMem_Calloc(m, sizeof(double));
        if (!w->add || !w->k || !w->cost) goto nomemory;
        for (Py_ssize_t j = 0; j < m; j++) {
            const int64_t *add = &vec[(first[i] + j) * SOLVE_LANES];
            Py_ssize_t g = 0;
            while (g < w->n && memcmp(&w->add[g * SOLVE_LANES], add, sizeof(int64_t) * SOLVE_LANES)) g++;
            if (g == w->n) {
                memcpy(&w->add[g * SOLVE_LANES], add, sizeof(int64_t) * SOLVE_LANES);
                w->k[g] = j, w->cost[g] = cost[first[i] + j];
                w->n++;
            } else if (cost[first[i] + j] < w->cost[g]) {
                w->k[g] = j, w->cost[g] = cost[first[i] + j];
            }
            gid[first[i] + j] = g;
        }
    }
    /* a state can reach zero only between minus the most and minus the least the rows left add */
    int64_t *low = bounds, *high = bounds + (R + 1) * SOLVE_LANES;
    for (Py_ssize_t r = R - 1; r >= 0; r--) {
        for (int l = 0; l < SOLVE_LANES; l++) {
            int64_t most = steps[r].add[l], least = most;
            for (Py_ssize_t g = 1; g < steps[r].n; g++) {
                int64_t x = steps[r].add[g * SOLVE_LANES + l];
                most = x > most ? x : most, least = x < least ? x : least;
            }
            low[r * SOLVE_LANES + l] = low[(r + 1) * SOLVE_LANES + l] - most;
            high[r * SOLVE_LANES + l] = high[(r + 1) * SOLVE_LANES + l] - least;
        }
    }
    for (Py_ssize_t l = 0; l < 2 * (R + 1) * SOLVE_LANES; l++)
        if (bounds[l] > WIDEST || bounds[l] < -WIDEST) goto decline;
    for (int l = 0; l < SOLVE_LANES; l++)
        if (start[l] > WIDEST || start[l] < -WIDEST) goto decline;
    used = used_flags(steps, R);
    if (used == NULL) goto done;
    int found = run_layers(SOLVE_LANES, R, start, low, high, steps, max_states, path, used);
    if (found < 0) goto done;
    if (found == 0) {
        result = Py_NewRef(Py_None);
        goto done;
    }
chosen:
    picks = PyDict_New();
    doubtful = PyDict_New();
    if (!picks || !doubtful) goto done;
    for (Py_ssize_t i = 0; i < n; i++)
        if (PyList_GET_SIZE(lists[i]) == 1 && PyDict_SetItem(picks, codes[i], PyList_GET_ITEM(lists[i], 0)) < 0)
            goto done;
    for (Py_ssize_t r = R - 1; r >= 0; r--) { /* last row first: the order the checks come out in */
        Py_ssize_t i = order[r];
        if (PyDict_SetItem(picks, codes[i], PyList_GET_ITEM(lists[i], path[r])) < 0) goto done;
        PyObject *viable = PySet_New(NULL);
        if (viable == NULL) goto done;
        for (Py_ssize_t j = 0; j < PyList_GET_SIZE(lists[i]); j++)
            if (used[r][gid[first[i] + j]] && PySet_Add(viable, values[first[i] + j]) < 0) {
                Py_DECREF(viable);
                goto done;
            }
        Py_ssize_t kinds = PySet_GET_SIZE(viable);
        Py_DECREF(viable);
        if (kinds > 1) {
            PyObject *count = PyLong_FromSsize_t(kinds);
            int bad = count == NULL || PyDict_SetItem(doubtful, codes[i], count) < 0;
            Py_XDECREF(count);
            if (bad) goto done;
        }
    }
    result = PyObject_CallFunction(choice, "OOi", picks, doubtful, 0);
    goto done;
refused:
    if (declined < 0) goto done;
decline:
    result = Py_NewRef(Py_NotImplemented);
    goto done;
nomemory:
    PyErr_NoMemory();
done:
    for (Py_ssize_t k = 0; values != NULL && k < total; k++) Py_XDECREF(values[k]);
    free_rows(steps, used, R);
    Py_XDECREF(picks);
    Py_XDECREF(doubtful);
    PyMem_Free(codes);
    PyMem_Free(lists);
    PyMem_Free(b);
    PyMem_Free(o);
    PyMem_Free(first);
    PyMem_Free(order);
    PyMem_Free(gid);
    PyMem_Free(path);
    PyMem_Free(vec);
    PyMem_Free(bounds);
    PyMem_Free(cost);
    PyMem_Free(values);
    return result;
}

static PyMethodDef methods[] = {
    {"solve_requests", solve_requests, METH_VARARGS,
     "readings.solve over section 三's rows in C: (rows, balance, max_states, choice); NotImplemented for rows it "
     "does not take."},
    {"layers", layers, METH_VARARGS,
     "readings._layers in C: (first, steps, low, high, max_states); NotImplemented for vectors it does not take."},
    {"combine", combine, METH_VARARGS,
     "readings._combine in C: (base, vectors, costs, limit); NotImplemented for vectors it does not take."},
    {"failures", failures, METH_VARARGS,
     "sections._failures in C: (picks, use_balance, use_outcome, balance); NotImplemented for readings it does not "
     "take."},
    {"request_checks", request_checks, METH_VARARGS,
     "identities.request_checks in C: (rows, applicant codes, Check); NotImplemented for rows it does not take."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_solve", "The searches of pipeline.parse.readings and the checks of section 三, in C.",
                                    -1, methods};

PyMODINIT_FUNC PyInit__solve(void) {
    RULE_BALANCE = PyUnicode_InternFromString("balance");
    RULE_ROW_TOTAL = PyUnicode_InternFromString("row_total");
    RULE_OUTCOME_TOTAL = PyUnicode_InternFromString("outcome_total");
    OUTCOME = PyUnicode_InternFromString("outcome.");
    VALUES = PyUnicode_InternFromString("values");
    COST = PyUnicode_InternFromString("cost");
    EMPTY = PyUnicode_New(0, 0);
    if (!RULE_BALANCE || !RULE_ROW_TOTAL || !RULE_OUTCOME_TOTAL || !OUTCOME || !VALUES || !COST || !EMPTY) return NULL;
    return PyModule_Create(&module);
}
