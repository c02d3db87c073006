/* FileResult.pack's columns (pipeline/model.py, ``_columns``), in C.
 *
 * model.py is the definition and says what the columns are; this file makes the same bytes, for
 * speed alone: packing a report's ~200 cells and ~40 checks in Python cost a parser worker 8% of
 * its time, a Python object or two per cell.  Only the plain case is done here: cells of a
 * template key, text with no line break that has UTF-8, numbers that are ints or floats or None,
 * lines that are positive ints or None, checks whose texts are str and whose verdict is a bool.
 * Anything else is left to the Python, which packs it or raises the parser-bug error it names:
 * NotImplemented.  tests/test_pack.py holds the two equal, output for output.
 *
 * ``parts`` packs the cells of a report as the parse hands them over (model.Part: each section's
 * rows' keys and the readings of those printed), the same bytes ``columns`` makes of the facts
 * model.part_facts would make of them, without making those facts: ~200 tuples a report, each
 * made, appended and freed again, were ~4 % of a worker's CPU.
 *
 * Both pack each fact table's cells apart (the `tables` given, model.FACT_TABLES), each table's
 * in the order of the facts: the tidy stage joins a table's cells of a batch's reports as they
 * come, with no sort.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

static PyObject *A_RULE, *A_SCOPE, *A_NOTE, *A_EXPECTED, *A_ACTUAL, *A_PASSED;

/* A number or None as a double (None: NaN); -1 for anything else, and for a number of 2**63 or
 * more (a count that would not fit BIGINT: model._columns names its cell, or packs it where it is
 * not a count). */
static int as_double(PyObject *v, double *out) {
    if (v == Py_None) {
        *out = NAN;
        return 0;
    }
    if (PyFloat_CheckExact(v)) {
        *out = PyFloat_AS_DOUBLE(v);
        return fabs(*out) >= 9223372036854775808.0 ? -1 : 0; /* 2**63 and past: as an int's */
    }
    if (PyLong_CheckExact(v)) {
        int overflow;
        long long n = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (overflow || n == LLONG_MIN) return -1; /* past BIGINT: the Python names the cell, or packs it */
        double d = PyLong_AsDouble(v);
        if (d == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
            return -1;
        }
        *out = d;
        return 0;
    }
    return -1;
}

/* The first n of `texts` packed as model._texts packs them: the int32 lengths of their UTF-8
 * bytes, then the bytes; NULL with no error set where a text is not a str, holds a line break or
 * has no UTF-8 (a lone surrogate): the Python says which. */
static PyObject *packed_texts(PyObject *texts, Py_ssize_t n) {
    Py_ssize_t size = 4 * n;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PyList_GET_ITEM(texts, i);
        if (!PyUnicode_CheckExact(t)) return NULL;
        if (PyUnicode_GET_LENGTH(t) && PyUnicode_FindChar(t, '\n', 0, PyUnicode_GET_LENGTH(t), 1) != -1) return NULL;
        Py_ssize_t length;
        if (PyUnicode_AsUTF8AndSize(t, &length) == NULL) {
            PyErr_Clear();
            return NULL;
        }
        if (length > INT32_MAX) return NULL;
        size += length;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, size);
    if (out == NULL) return NULL;
    char *at = PyBytes_AS_STRING(out), *data = at + 4 * n;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t length;
        const char *utf8 = PyUnicode_AsUTF8AndSize(PyList_GET_ITEM(texts, i), &length); /* made above */
        int32_t l = (int32_t)length;
        memcpy(at + 4 * i, &l, 4);
        memcpy(data, utf8, (size_t)length);
        data += length;
    }
    return out;
}

/* The keys' numbers and tables already looked up, by the identity of the three strings of a
 * cell's key: the parser builds every fact from the template's own strings, so the same three
 * objects recur in every report, and comparing three pointers costs less than the tuple, its hash
 * and the dict lookup (~0.4 of the pack's time).  An entry holds its strings, so no other string
 * can take their addresses; the cache belongs to one keys dict and one tuple of tables (held too)
 * and is emptied for others. */
#define KEY_SLOTS 1024
typedef struct {
    PyObject *part[3]; /* NULL: an empty slot */
    long index;
    int table;
} KeySlot;
static KeySlot key_slots[KEY_SLOTS];
static PyObject *key_dict, *key_tables;

static void forget_keys(void) {
    for (int k = 0; k < KEY_SLOTS; k++)
        for (int j = 0; j < 3; j++) Py_CLEAR(key_slots[k].part[j]);
    Py_CLEAR(key_dict);
    Py_CLEAR(key_tables);
}

/* The number of the cell key (f[0], f[1], f[2]) in `keys`, and in *table the place of its table
 * (f[0]) in `tables`: -1 with no error set where it has none, or one that is not a number that
 * fits, or a table not in `tables`; -2 with an error set. */
static long key_index(PyObject *keys, PyObject *tables, PyObject *f, int *table) {
    if (keys != key_dict || tables != key_tables) {
        forget_keys();
        key_dict = Py_NewRef(keys);
        key_tables = Py_NewRef(tables);
    }
    PyObject *a = PyTuple_GET_ITEM(f, 0), *b = PyTuple_GET_ITEM(f, 1), *c = PyTuple_GET_ITEM(f, 2);
    uintptr_t h = ((uintptr_t)a * 31 + (uintptr_t)b) * 31 + (uintptr_t)c;
    KeySlot *slot = &key_slots[(h ^ (h >> 4) ^ (h >> 13)) & (KEY_SLOTS - 1)];
    if (slot->part[0] == a && slot->part[1] == b && slot->part[2] == c) {
        *table = slot->table;
        return slot->index;
    }
    PyObject *k = PyTuple_GetSlice(f, 0, 3);
    if (k == NULL) return -2;
    PyObject *index = PyDict_GetItemWithError(keys, k); /* borrowed */
    Py_DECREF(k);
    if (index == NULL) return PyErr_Occurred() ? -2 : -1; /* a cell no template has */
    long kk = PyLong_AsLong(index);
    if (kk < 0 || kk > UINT16_MAX) {
        PyErr_Clear();
        return -1;
    }
    Py_ssize_t t = 0;
    for (; t < PyTuple_GET_SIZE(tables); t++) {
        PyObject *name = PyTuple_GET_ITEM(tables, t);
        if (name == a || (PyUnicode_Check(a) && PyUnicode_Check(name) && PyUnicode_Compare(a, name) == 0)) break;
        if (PyErr_Occurred()) return -2;
    }
    if (t == PyTuple_GET_SIZE(tables)) return -1; /* a table the tables do not name: the Python's error */
    for (int j = 0; j < 3; j++) Py_XSETREF(slot->part[j], Py_NewRef(PyTuple_GET_ITEM(f, j)));
    slot->index = kk;
    slot->table = *table = (int)t;
    return kk;
}

/* One table's cell columns being made: (key u16, raw, value f64, line i32) of its first `used`
 * cells (room for n), and the count of its printed cells. */
typedef struct {
    Py_ssize_t n, used, printed;
    uint16_t *key;
    double *value;
    int32_t *line;
    PyObject *raws; /* a list of n, its first `used` set */
} Columns;

static int columns_init(Columns *C, Py_ssize_t n) {
    *C = (Columns){n,
                   0,
                   0,
                   PyMem_Malloc((n ? n : 1) * sizeof(uint16_t)),
                   PyMem_Malloc((n ? n : 1) * sizeof(double)),
                   PyMem_Malloc((n ? n : 1) * sizeof(int32_t)),
                   PyList_New(n)};
    if (C->key == NULL || C->value == NULL || C->line == NULL || C->raws == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void columns_free(Columns *C) {
    PyMem_Free(C->key);
    PyMem_Free(C->value);
    PyMem_Free(C->line);
    Py_XDECREF(C->raws);
}

/* The cell columns of each table (``key_index``'s `tables`), each with room for every cell. */
#define MAX_TABLES 8
typedef struct {
    int n;
    Columns of[MAX_TABLES];
} Tables;

/* 0; -1 where the Python must pack (more tables than MAX_TABLES); -2 with an error set.  Whatever
 * it returns, ``tables_free`` frees what it made. */
static int tables_init(Tables *T, PyObject *tables, Py_ssize_t n) {
    T->n = 0;
    if (PyTuple_GET_SIZE(tables) > MAX_TABLES) return -1;
    while (T->n < PyTuple_GET_SIZE(tables))
        if (columns_init(&T->of[T->n++], n) < 0) return -2;
    return 0;
}

static void tables_free(Tables *T) {
    for (int t = 0; t < T->n; t++) columns_free(&T->of[t]);
}

/* The next cell of its table: its key (a tuple whose first three items are the key's strings),
 * raw text, value and line.  0, or -1 where the Python must pack it (no error set), or -2 with an
 * error set. */
static int put_cell(Tables *T, PyObject *keys, PyObject *tables, PyObject *key, PyObject *raw, PyObject *v,
                    PyObject *ln) {
    int table;
    long kk = key_index(keys, tables, key, &table);
    if (kk < 0) return (int)kk;
    Columns *C = &T->of[table];
    Py_ssize_t i = C->used++;
    C->key[i] = (uint16_t)kk;
    PyList_SET_ITEM(C->raws, i, Py_NewRef(raw));
    if (PyUnicode_CheckExact(raw) && PyUnicode_GET_LENGTH(raw)) C->printed++;
    if (as_double(v, &C->value[i]) < 0) return -1;
    if (ln == Py_None) {
        C->line[i] = 0;
        return 0;
    }
    if (!PyLong_CheckExact(ln)) return -1;
    long l = PyLong_AsLong(ln);
    if (l < 1 || l > INT32_MAX) { /* 0 or out of range: the Python's error */
        PyErr_Clear();
        return -1;
    }
    C->line[i] = (int32_t)l;
    return 0;
}

/* One table's columns made, packed: (key, raw, value, line) as bytes; NotImplemented where a raw
 * text is one the Python must pack. */
static PyObject *columns_packed(Columns *C) {
    PyObject *text = packed_texts(C->raws, C->used);
    if (text == NULL) return PyErr_Occurred() ? NULL : Py_NewRef(Py_NotImplemented);
    return Py_BuildValue("(y#Ny#y#)", (const char *)C->key, C->used * (Py_ssize_t)sizeof(uint16_t), text,
                         (const char *)C->value, C->used * (Py_ssize_t)sizeof(double), (const char *)C->line,
                         C->used * (Py_ssize_t)sizeof(int32_t));
}

/* The tables' columns made, packed (a tuple of each table's ``columns_packed``), where `rc` is 0;
 * NotImplemented where it is -1 or a table's texts are the Python's to pack; NULL where it is -2
 * (an error set).  Frees them. */
static PyObject *finished(Tables *T, int rc, Py_ssize_t *printed) {
    PyObject *out = rc == -2 ? NULL : rc == -1 ? Py_NewRef(Py_NotImplemented) : PyTuple_New(T->n);
    *printed = 0;
    for (int t = 0; t < T->n; t++) {
        *printed += T->of[t].printed;
        if (out == NULL || out == Py_NotImplemented) continue;
        PyObject *packed = columns_packed(&T->of[t]);
        if (packed == NULL || packed == Py_NotImplemented)
            Py_SETREF(out, packed);
        else
            PyTuple_SET_ITEM(out, t, packed);
    }
    tables_free(T);
    return out;
}

/* The cell columns of `facts`, by table. */
static PyObject *pack_cells(PyObject *facts, PyObject *keys, PyObject *tables, Py_ssize_t *printed) {
    Tables T;
    int rc = tables_init(&T, tables, PyList_GET_SIZE(facts));
    for (Py_ssize_t i = 0; rc == 0 && i < PyList_GET_SIZE(facts); i++) {
        PyObject *f = PyList_GET_ITEM(facts, i);
        rc = !PyTuple_CheckExact(f) || PyTuple_GET_SIZE(f) != 6
                 ? -1
                 : put_cell(&T, keys, tables, f, PyTuple_GET_ITEM(f, 3), PyTuple_GET_ITEM(f, 4), PyTuple_GET_ITEM(f, 5));
    }
    return finished(&T, rc, printed);
}

/* The facts model.part_facts makes of each (keys, printed) of `parts` (keys: each row's code with
 * its cells' keys; printed: code -> a reading, whose cells are (raw, value, line)), counted; -1
 * where the Python must make them (a part or a row not a tuple of two, keys not a tuple, printed
 * not a dict). */
static Py_ssize_t part_cells(PyObject *parts) {
    Py_ssize_t n = 0;
    for (Py_ssize_t p = 0; p < PyList_GET_SIZE(parts); p++) {
        PyObject *part = PyList_GET_ITEM(parts, p);
        if (!PyTuple_CheckExact(part) || PyTuple_GET_SIZE(part) != 2 || !PyTuple_CheckExact(PyTuple_GET_ITEM(part, 0)) ||
            !PyDict_CheckExact(PyTuple_GET_ITEM(part, 1)))
            return -1;
        PyObject *rows = PyTuple_GET_ITEM(part, 0);
        for (Py_ssize_t r = 0; r < PyTuple_GET_SIZE(rows); r++) {
            PyObject *entry = PyTuple_GET_ITEM(rows, r);
            if (!PyTuple_CheckExact(entry) || PyTuple_GET_SIZE(entry) != 2 ||
                !PyTuple_CheckExact(PyTuple_GET_ITEM(entry, 1)))
                return -1;
            n += PyTuple_GET_SIZE(PyTuple_GET_ITEM(entry, 1));
        }
    }
    return n;
}

/* The cell columns of the facts of `parts` (``part_cells``), packed as ``pack_cells`` packs
 * those facts, without a tuple made for each. */
static PyObject *pack_parts(PyObject *parts, PyObject *keys, PyObject *tables, Py_ssize_t *printed) {
    static PyObject *CELLS = NULL, *BLANK = NULL;
    if (CELLS == NULL && (CELLS = PyUnicode_InternFromString("cells")) == NULL) return NULL;
    if (BLANK == NULL && (BLANK = PyUnicode_New(0, 0)) == NULL) return NULL;
    Py_ssize_t n = part_cells(parts);
    if (n < 0) Py_RETURN_NOTIMPLEMENTED;
    Tables T;
    PyObject *cells = NULL;
    int rc = tables_init(&T, tables, n);
    for (Py_ssize_t p = 0; rc == 0 && p < PyList_GET_SIZE(parts); p++) {
        PyObject *rows = PyTuple_GET_ITEM(PyList_GET_ITEM(parts, p), 0);
        PyObject *picks = PyTuple_GET_ITEM(PyList_GET_ITEM(parts, p), 1);
        for (Py_ssize_t r = 0; rc == 0 && r < PyTuple_GET_SIZE(rows); r++) {
            PyObject *code = PyTuple_GET_ITEM(PyTuple_GET_ITEM(rows, r), 0);
            PyObject *row = PyTuple_GET_ITEM(PyTuple_GET_ITEM(rows, r), 1);
            PyObject *pick = PyDict_GetItemWithError(picks, code); /* borrowed */
            Py_CLEAR(cells);
            if (pick == NULL && PyErr_Occurred()) {
                rc = -2;
            } else if (pick != NULL && pick != Py_None) {
                cells = PyObject_GetAttr(pick, CELLS);
                rc = cells == NULL                                                                      ? -2
                     : !PyTuple_CheckExact(cells) || PyTuple_GET_SIZE(cells) != PyTuple_GET_SIZE(row) ? -1
                                                                                                        : 0;
            }
            for (Py_ssize_t k = 0; rc == 0 && k < PyTuple_GET_SIZE(row); k++) {
                PyObject *key = PyTuple_GET_ITEM(row, k), *cell = cells ? PyTuple_GET_ITEM(cells, k) : NULL;
                if (!PyTuple_CheckExact(key) || PyTuple_GET_SIZE(key) != 3 ||
                    (cell != NULL && (!PyTuple_CheckExact(cell) || PyTuple_GET_SIZE(cell) != 3)))
                    rc = -1;
                else if (cell == NULL)
                    rc = put_cell(&T, keys, tables, key, BLANK, Py_None, Py_None);
                else
                    rc = put_cell(&T, keys, tables, key, PyTuple_GET_ITEM(cell, 0), PyTuple_GET_ITEM(cell, 1),
                                  PyTuple_GET_ITEM(cell, 2));
            }
        }
    }
    Py_XDECREF(cells);
    return finished(&T, rc, printed);
}

/* The type of the checks whose fields are read by their place: a named tuple whose _fields are
 * (rule, scope, expected, actual, passed, note), as model.Check's are.  Six attribute lookups a
 * check were a quarter of the pack's time.  Set by the first such type seen (and kept). */
static PyTypeObject *check_type;

/* Are `c`'s fields at their places (check_type's, or a type found so now)?  -1 on an error. */
static int positional(PyObject *c) {
    if (Py_TYPE(c) == check_type) return 1;
    if (check_type != NULL || !PyTuple_Check(c) || PyTuple_GET_SIZE(c) != 6) return 0;
    PyObject *fields = PyObject_GetAttrString((PyObject *)Py_TYPE(c), "_fields");
    if (fields == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError)) return -1;
        PyErr_Clear();
        return 0;
    }
    PyObject *want = Py_BuildValue("(OOOOOO)", A_RULE, A_SCOPE, A_EXPECTED, A_ACTUAL, A_PASSED, A_NOTE);
    int same = want == NULL ? -1 : PyObject_RichCompareBool(fields, want, Py_EQ);
    Py_DECREF(fields);
    Py_XDECREF(want);
    if (same > 0) check_type = (PyTypeObject *)Py_NewRef(Py_TYPE(c));
    return same;
}

/* The check columns: (rule, scope, note, expected f64, actual f64, passed as bytes). */
static PyObject *pack_checks(PyObject *checks) {
    Py_ssize_t n = PyList_GET_SIZE(checks);
    PyObject *texts[3] = {PyList_New(n), PyList_New(n), PyList_New(n)};
    PyObject *names[3] = {A_RULE, A_SCOPE, A_NOTE};
    double *expected = PyMem_Malloc((n ? n : 1) * sizeof(double));
    double *actual = PyMem_Malloc((n ? n : 1) * sizeof(double));
    char *passed = PyMem_Malloc(n ? n : 1);
    PyObject *out = NULL, *packs[3] = {NULL, NULL, NULL};
    if (texts[0] == NULL || texts[1] == NULL || texts[2] == NULL || expected == NULL || actual == NULL ||
        passed == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *c = PyList_GET_ITEM(checks, i);
        int placed = positional(c);
        if (placed < 0) goto done;
        for (int t = 0; t < 3; t++) {
            PyObject *s = placed ? Py_NewRef(PyTuple_GET_ITEM(c, t == 2 ? 5 : t)) : PyObject_GetAttr(c, names[t]);
            if (s == NULL) goto done;
            PyList_SET_ITEM(texts[t], i, s);
        }
        double *into[2] = {&expected[i], &actual[i]};
        PyObject *nums[2] = {A_EXPECTED, A_ACTUAL};
        for (int t = 0; t < 2; t++) {
            PyObject *v = placed ? Py_NewRef(PyTuple_GET_ITEM(c, 2 + t)) : PyObject_GetAttr(c, nums[t]);
            if (v == NULL) goto done;
            int bad = as_double(v, into[t]);
            Py_DECREF(v);
            if (bad) goto python;
        }
        PyObject *p = placed ? Py_NewRef(PyTuple_GET_ITEM(c, 4)) : PyObject_GetAttr(c, A_PASSED);
        if (p == NULL) goto done;
        Py_DECREF(p); /* True and False live for the interpreter's life */
        if (p != Py_True && p != Py_False) goto python;
        passed[i] = p == Py_True;
    }
    for (int t = 0; t < 3; t++) {
        packs[t] = packed_texts(texts[t], n);
        if (packs[t] == NULL) {
            if (PyErr_Occurred()) goto done;
            goto python;
        }
    }
    out = Py_BuildValue("(OOOy#y#y#)", packs[0], packs[1], packs[2], (const char *)expected,
                        n * (Py_ssize_t)sizeof(double), (const char *)actual, n * (Py_ssize_t)sizeof(double), passed, n);
    goto done;
python:
    out = Py_NewRef(Py_NotImplemented);
done:
    for (int t = 0; t < 3; t++) {
        Py_XDECREF(texts[t]);
        Py_XDECREF(packs[t]);
    }
    PyMem_Free(expected);
    PyMem_Free(actual);
    PyMem_Free(passed);
    return out;
}

/* (cells, checks, printed) from the cell columns made (NULL or NotImplemented passed on). */
static PyObject *with_checks(PyObject *cells, Py_ssize_t printed, PyObject *checks) {
    if (cells == NULL || cells == Py_NotImplemented) return cells;
    PyObject *packed = pack_checks(checks);
    if (packed == NULL || packed == Py_NotImplemented) {
        Py_DECREF(cells);
        return packed;
    }
    return Py_BuildValue("(NNn)", cells, packed, printed);
}

static PyObject *columns(PyObject *self, PyObject *args) {
    PyObject *facts, *keys, *tables, *checks;
    if (!PyArg_ParseTuple(args, "O!O!O!O!", &PyList_Type, &facts, &PyDict_Type, &keys, &PyTuple_Type, &tables,
                          &PyList_Type, &checks))
        return NULL;
    Py_ssize_t printed = 0;
    PyObject *cells = pack_cells(facts, keys, tables, &printed); /* before printed is read */
    return with_checks(cells, printed, checks);
}

static PyObject *parts(PyObject *self, PyObject *args) {
    PyObject *ps, *keys, *tables, *checks;
    if (!PyArg_ParseTuple(args, "O!O!O!O!", &PyList_Type, &ps, &PyDict_Type, &keys, &PyTuple_Type, &tables,
                          &PyList_Type, &checks))
        return NULL;
    Py_ssize_t printed = 0;
    PyObject *cells = pack_parts(ps, keys, tables, &printed); /* before printed is read */
    return with_checks(cells, printed, checks);
}

static PyMethodDef methods[] = {
    {"columns", columns, METH_VARARGS,
     "model._columns in C: (facts, keys, tables, checks) -> (each table's cells, checks, printed); NotImplemented "
     "for what it does not take."},
    {"parts", parts, METH_VARARGS,
     "model._columns of model.facts_of(parts), in C, with no tuple made for a cell: (parts, keys, tables, checks) -> "
     "(each table's cells, checks, printed); NotImplemented for what it does not take."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_pack", "FileResult.pack's columns, in C.", -1, methods};

PyMODINIT_FUNC PyInit__pack(void) {
    A_RULE = PyUnicode_InternFromString("rule");
    A_SCOPE = PyUnicode_InternFromString("scope");
    A_NOTE = PyUnicode_InternFromString("note");
    A_EXPECTED = PyUnicode_InternFromString("expected");
    A_ACTUAL = PyUnicode_InternFromString("actual");
    A_PASSED = PyUnicode_InternFromString("passed");
    if (!A_RULE || !A_SCOPE || !A_NOTE || !A_EXPECTED || !A_ACTUAL || !A_PASSED) return NULL;
    return PyModule_Create(&module);
}
