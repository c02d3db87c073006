/* The character maps of pipeline/normalize.py, in C.
 *
 * normalize_text folds a report's text before NFKC: form feeds and vertical tabs to spaces, the
 * CJK radicals a PDF printer writes for whole characters to those characters, the full-width
 * forms most Chinese lines print to ASCII; and a text with a zero-width character is normalised
 * line by line instead.  In Python that is six scans for zero-width characters, a regular
 * expression's scan for the radicals and nine str.replace passes over the whole text: 30 us of a
 * report of the bench corpus (2,100 characters), the regular expression alone 19.  A Fold does it
 * in one pass.  normalize.py is the definition, and holds the Python that runs where this was not
 * built; tests/test_read.py holds the two equal.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

typedef struct {
    Py_UCS4 from, to; /* to: STOP for a character of `stop` */
} Pair;

#define STOP ((Py_UCS4)0xFFFFFFFF)

typedef struct {
    PyObject_HEAD
    unsigned char bits[0x10000 / 8]; /* the BMP characters the fold maps or stops at */
    Pair *pairs;                     /* sorted by `from` */
    Py_ssize_t n;
} Fold;

static int by_from(const void *a, const void *b) {
    Py_UCS4 x = ((const Pair *)a)->from, y = ((const Pair *)b)->from;
    return (x > y) - (x < y);
}

static Py_UCS4 mapped(Fold *f, Py_UCS4 ch) { /* the `to` of ch's pair: ch's bit says it has one */
    Py_ssize_t lo = 0, hi = f->n;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (f->pairs[mid].from < ch) lo = mid + 1;
        else hi = mid;
    }
    return f->pairs[lo].to;
}

static int add(Fold *f, Py_UCS4 from, Py_UCS4 to) {
    if (from >= 0x10000) {
        PyErr_SetString(PyExc_ValueError, "a Fold maps characters of the BMP only");
        return -1;
    }
    f->bits[from >> 3] |= (unsigned char)(1 << (from & 7));
    f->pairs[f->n++] = (Pair){from, to};
    return 0;
}

/* Fold(table, stop): table maps ordinals of BMP characters to strings of one character (as
 * str.maketrans makes them, or to ordinals); stop holds the characters at which a text is not folded. */
static PyObject *fold_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *table, *stop;
    if (!PyArg_ParseTuple(args, "O!U:Fold", &PyDict_Type, &table, &stop)) return NULL;
    Fold *f = (Fold *)type->tp_alloc(type, 0);
    if (f == NULL) return NULL;
    f->pairs = PyMem_Calloc((size_t)(PyDict_GET_SIZE(table) + PyUnicode_GET_LENGTH(stop) + 1), sizeof(Pair));
    if (f->pairs == NULL) {
        Py_DECREF(f);
        return PyErr_NoMemory();
    }
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(table, &pos, &key, &value)) {
        long from = PyLong_Check(key) ? PyLong_AsLong(key) : -1, to = -1;
        if (PyLong_Check(value)) to = PyLong_AsLong(value);
        else if (PyUnicode_Check(value) && PyUnicode_GET_LENGTH(value) == 1) to = (long)PyUnicode_READ_CHAR(value, 0);
        if (from < 0 || to < 0 || to > 0x10FFFF) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "a Fold's table maps ordinals to ordinals or one character");
            Py_DECREF(f);
            return NULL;
        }
        if (add(f, (Py_UCS4)from, (Py_UCS4)to) < 0) {
            Py_DECREF(f);
            return NULL;
        }
    }
    for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(stop); i++) {
        Py_UCS4 ch = PyUnicode_READ_CHAR(stop, i);
        if (ch < 0x10000 && f->bits[ch >> 3] >> (ch & 7) & 1) {
            PyErr_SetString(PyExc_ValueError, "a Fold's stop characters must not be in its table");
            Py_DECREF(f);
            return NULL;
        }
        if (add(f, ch, STOP) < 0) {
            Py_DECREF(f);
            return NULL;
        }
    }
    qsort(f->pairs, (size_t)f->n, sizeof(Pair), by_from);
    return (PyObject *)f;
}

static void fold_dealloc(Fold *f) {
    PyMem_Free(f->pairs);
    Py_TYPE(f)->tp_free((PyObject *)f);
}

/* fold(text): text.translate(table), or None where text holds a character of `stop`; the text
 * itself where the table maps none of its characters. */
static PyObject *fold_call(Fold *f, PyObject *args, PyObject *kwargs) {
    PyObject *text;
    if (!PyArg_ParseTuple(args, "U:fold", &text)) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), first = -1;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (ch >= 0x10000 || !(f->bits[ch >> 3] >> (ch & 7) & 1)) continue;
        Py_UCS4 to = mapped(f, ch);
        if (to == STOP) Py_RETURN_NONE;
        if (first < 0) first = i;
    }
    if (first < 0) return Py_NewRef(text);
    Py_UCS4 *out = PyMem_Malloc((size_t)(n + 1) * sizeof(Py_UCS4));
    if (out == NULL) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        out[i] = i >= first && ch < 0x10000 && f->bits[ch >> 3] >> (ch & 7) & 1 ? mapped(f, ch) : ch;
    }
    PyObject *folded = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, n); /* in its narrowest kind */
    PyMem_Free(out);
    return folded;
}

static PyTypeObject FoldType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pipeline._text.Fold",
    .tp_basicsize = sizeof(Fold),
    .tp_dealloc = (destructor)fold_dealloc,
    .tp_call = (ternaryfunc)fold_call,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Fold(table, stop): a callable, text -> text.translate(table), or None where text holds a "
              "character of stop.",
    .tp_new = fold_new,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_text", "The character maps of pipeline.normalize, in C.",
                                    -1, NULL};

PyMODINIT_FUNC PyInit__text(void) {
    if (PyType_Ready(&FoldType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&FoldType);
    if (PyModule_AddObject(m, "Fold", (PyObject *)&FoldType) < 0) {
        Py_DECREF(&FoldType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
