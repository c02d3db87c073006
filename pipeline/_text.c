/* The character maps of pipeline/normalize.py, in C.
 *
 * normalize_text folds a report's text before NFKC: form feeds and vertical tabs to spaces, the
 * CJK radicals a PDF printer writes for whole characters to those characters, the full-width
 * forms most Chinese lines print to ASCII; and a text with a zero-width character is normalised
 * line by line instead.  In Python that is six scans for zero-width characters, a regular
 * expression's scan for the radicals and nine str.replace passes over the whole text: 30 us of a
 * report of the bench corpus (2,100 characters), the regular expression alone 19.  A Fold does it
 * in two passes, one to read the text and one to write the folded text.  normalize.py is the
 * definition, and holds the Python that runs where this was not built; tests/test_read.py holds
 * the two equal.  A Within tells a folded text NFKC as it is (normalize._plain).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define KEPT ((Py_UCS4)0)           /* a character the fold keeps */
#define STOP ((Py_UCS4)0xFFFFFFFF) /* a character at which the text is not folded */

typedef struct {
    PyObject_HEAD
    Py_UCS4 *pages[256]; /* per 256 characters of the BMP, what each becomes (NULL: all kept) */
    /* per character of the BMP, is it in the table or a stop character: one load a character
     * where the pages took two and a branch that CJK and ASCII, mixed on a line, kept guessing */
    unsigned char mapped[0x10000];
} Fold;

static inline Py_UCS4 fold_of(Fold *f, Py_UCS4 ch) {
    return ch < 0x10000 && f->mapped[ch] ? f->pages[ch >> 8][ch & 255] : KEPT;
}

static int set(Fold *f, Py_UCS4 from, Py_UCS4 to) {
    if (from >= 0x10000) {
        PyErr_SetString(PyExc_ValueError, "a Fold maps characters of the BMP only");
        return -1;
    }
    Py_UCS4 **page = &f->pages[from >> 8];
    if (*page == NULL && (*page = PyMem_Calloc(256, sizeof(Py_UCS4))) == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if ((*page)[from & 255] != KEPT) {
        PyErr_SetString(PyExc_ValueError, "a Fold's stop characters must not be in its table");
        return -1;
    }
    (*page)[from & 255] = to;
    f->mapped[from] = 1;
    return 0;
}

/* Fold(table, stop): table maps ordinals of BMP characters to strings of one character or to
 * ordinals (as str.maketrans makes them), not to NUL; stop holds the characters at which a text
 * is not folded. */
static PyObject *fold_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *table, *stop, *key, *value;
    if (!PyArg_ParseTuple(args, "O!U:Fold", &PyDict_Type, &table, &stop)) return NULL;
    Fold *f = (Fold *)type->tp_alloc(type, 0);
    if (f == NULL) return NULL;
    Py_ssize_t pos = 0;
    while (PyDict_Next(table, &pos, &key, &value)) {
        long from = PyLong_Check(key) ? PyLong_AsLong(key) : -1, to = -1;
        if (PyLong_Check(value)) to = PyLong_AsLong(value);
        else if (PyUnicode_Check(value) && PyUnicode_GET_LENGTH(value) == 1) to = (long)PyUnicode_READ_CHAR(value, 0);
        if (from < 0 || to <= 0 || to > 0x10FFFF) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "a Fold's table maps ordinals to ordinals or one character, not NUL");
            Py_DECREF(f);
            return NULL;
        }
        if (set(f, (Py_UCS4)from, (Py_UCS4)to) < 0) {
            Py_DECREF(f);
            return NULL;
        }
    }
    for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(stop); i++)
        if (set(f, PyUnicode_READ_CHAR(stop, i), STOP) < 0) {
            Py_DECREF(f);
            return NULL;
        }
    return (PyObject *)f;
}

static void fold_dealloc(Fold *f) {
    for (int p = 0; p < 256; p++) PyMem_Free(f->pages[p]);
    Py_TYPE(f)->tp_free((PyObject *)f);
}

/* Read data[0:n] (characters of type T): the first character the fold maps (n if none, -1 at a
 * stop character anywhere), and in *top the largest character of the folded text. */
#define READ(T)                                                                                                \
    static Py_ssize_t read_##T(Fold *f, const T *data, Py_ssize_t n, Py_UCS4 *top) {                         \
        Py_ssize_t first = n;                                                                                  \
        Py_UCS4 max = 0;                                                                                       \
        for (Py_ssize_t i = 0; i < n; i++) {                                                                   \
            Py_UCS4 ch = data[i], to = fold_of(f, ch);                                                         \
            if (to == STOP) return -1;                                                                         \
            if (to != KEPT) {                                                                                  \
                ch = to;                                                                                       \
                if (first == n) first = i;                                                                     \
            }                                                                                                  \
            if (ch > max) max = ch;                                                                            \
        }                                                                                                      \
        *top = max;                                                                                            \
        return first;                                                                                          \
    }
READ(Py_UCS1)
READ(Py_UCS2)
READ(Py_UCS4)

/* fold(text): text.translate(table), or None where text holds a character of `stop`; the text
 * itself where the table maps none of its characters. */
static PyObject *fold_call(Fold *f, PyObject *args, PyObject *kwargs) {
    PyObject *text;
    if (!PyArg_ParseTuple(args, "U:fold", &text)) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), first;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_UCS4 top = 0;
    first = kind == PyUnicode_1BYTE_KIND   ? read_Py_UCS1(f, data, n, &top)
            : kind == PyUnicode_2BYTE_KIND ? read_Py_UCS2(f, data, n, &top)
                                           : read_Py_UCS4(f, data, n, &top);
    if (first < 0) Py_RETURN_NONE;
    if (first == n) return Py_NewRef(text);
    PyObject *folded = PyUnicode_New(n, top); /* of the narrowest kind that holds it, as every str is */
    if (folded == NULL) return NULL;
    int out_kind = PyUnicode_KIND(folded);
    void *out = PyUnicode_DATA(folded);
    if (kind == PyUnicode_2BYTE_KIND && out_kind == kind) { /* the usual text: CJK in, CJK out */
        const Py_UCS2 *in = data;
        Py_UCS2 *to = out;
        memcpy(to, in, (size_t)first * sizeof(Py_UCS2));
        for (Py_ssize_t i = first; i < n; i++) {
            Py_UCS4 folded_ch = fold_of(f, in[i]);
            to[i] = folded_ch != KEPT ? (Py_UCS2)folded_ch : in[i];
        }
        return folded;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i), to = i >= first ? fold_of(f, ch) : KEPT;
        PyUnicode_WRITE(out_kind, out, i, to != KEPT ? to : ch);
    }
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

/* Within(chars): a callable, text -> does text hold only characters of `chars` (of the BMP)?
 * normalize._plain, the test that a text is NFKC without Python's quick check: a bit per
 * character where the quick check looks each up in the Unicode database. */
typedef struct {
    PyObject_HEAD
    unsigned char bits[0x10000 / 8];
} Within;

static PyObject *within_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *chars;
    if (!PyArg_ParseTuple(args, "U:Within", &chars)) return NULL;
    Within *w = (Within *)type->tp_alloc(type, 0);
    if (w == NULL) return NULL;
    for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(chars); i++) {
        Py_UCS4 ch = PyUnicode_READ_CHAR(chars, i);
        if (ch >= 0x10000) {
            PyErr_SetString(PyExc_ValueError, "Within takes characters of the BMP only");
            Py_DECREF(w);
            return NULL;
        }
        w->bits[ch >> 3] |= (unsigned char)(1 << (ch & 7));
    }
    return (PyObject *)w;
}

#define WITHIN(T)                                                                                                \
    static int within_##T(const Within *w, const T *data, Py_ssize_t n) {                                        \
        for (Py_ssize_t i = 0; i < n; i++) {                                                                     \
            Py_UCS4 ch = data[i];                                                                                \
            if (ch >= 0x10000 || !(w->bits[ch >> 3] >> (ch & 7) & 1)) return 0;                                 \
        }                                                                                                        \
        return 1;                                                                                                \
    }
WITHIN(Py_UCS1)
WITHIN(Py_UCS2)
WITHIN(Py_UCS4)
#undef WITHIN

static PyObject *within_call(Within *w, PyObject *args, PyObject *kwargs) {
    PyObject *text;
    if (!PyArg_ParseTuple(args, "U:within", &text)) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    int in = kind == PyUnicode_1BYTE_KIND   ? within_Py_UCS1(w, data, n)
             : kind == PyUnicode_2BYTE_KIND ? within_Py_UCS2(w, data, n)
                                            : within_Py_UCS4(w, data, n);
    return PyBool_FromLong(in);
}

static PyTypeObject WithinType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pipeline._text.Within",
    .tp_basicsize = sizeof(Within),
    .tp_call = (ternaryfunc)within_call,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Within(chars): a callable, text -> whether text holds only characters of chars (of the BMP).",
    .tp_new = within_new,
};

/* The characters of src (of `kind`, len) but spaces, written to out (of out_kind) from at on;
 * returns the new end.  A loop per pair of widths: a generic read and write per character took
 * as long as Python's str.replace. */
#define COPY(S, D)                                                                                                 \
    for (Py_ssize_t k = 0; k < len; k++)                                                                           \
        if (((const S *)src)[k] != ' ') ((D *)out)[at++] = (D)((const S *)src)[k];
static Py_ssize_t unspaced(const void *src, int kind, Py_ssize_t len, void *out, int out_kind, Py_ssize_t at) {
    if (out_kind == PyUnicode_1BYTE_KIND) {
        COPY(Py_UCS1, Py_UCS1)
    } else if (out_kind == PyUnicode_2BYTE_KIND) {
        if (kind == PyUnicode_1BYTE_KIND) {
            COPY(Py_UCS1, Py_UCS2)
        } else {
            COPY(Py_UCS2, Py_UCS2)
        }
    } else if (kind == PyUnicode_1BYTE_KIND) {
        COPY(Py_UCS1, Py_UCS4)
    } else if (kind == PyUnicode_2BYTE_KIND) {
        COPY(Py_UCS2, Py_UCS4)
    } else {
        COPY(Py_UCS4, Py_UCS4)
    }
    return at;
}
#undef COPY

/* squeezed(lines): parse._squeezed, "\n".join(lines).replace(" ", ""), in one pass (the replace
 * alone took 6.4 us of a report's 2,100 characters).  The result is written into a string of
 * the widest line's width, then cut to the characters written. */
static PyObject *squeezed(PyObject *self, PyObject *lines) {
    if (!PyList_Check(lines)) {
        PyErr_SetString(PyExc_TypeError, "squeezed takes a list of str");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(lines), size = n ? n - 1 : 0;
    Py_UCS4 maxchar = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *line = PyList_GET_ITEM(lines, i);
        if (!PyUnicode_Check(line)) {
            PyErr_Format(PyExc_TypeError, "line %zd is a %.100s, not a str", i, Py_TYPE(line)->tp_name);
            return NULL;
        }
        size += PyUnicode_GET_LENGTH(line);
        Py_UCS4 top = PyUnicode_MAX_CHAR_VALUE(line);
        if (top > maxchar) maxchar = top;
    }
    PyObject *out = PyUnicode_New(size, maxchar);
    if (out == NULL) return NULL;
    int okind = PyUnicode_KIND(out);
    void *odata = PyUnicode_DATA(out);
    Py_ssize_t at = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *line = PyList_GET_ITEM(lines, i);
        if (i) PyUnicode_WRITE(okind, odata, at++, '\n');
        at = unspaced(PyUnicode_DATA(line), PyUnicode_KIND(line), PyUnicode_GET_LENGTH(line), odata, okind, at);
    }
    if (at < size && PyUnicode_Resize(&out, at) < 0) return NULL; /* a new string: cut in place */
    return out;
}

static PyMethodDef functions[] = {
    {"squeezed", squeezed, METH_O, "parse._squeezed in C: \"\\n\".join(lines).replace(\" \", \"\")."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_text", "The character maps of pipeline.normalize, in C.",
                                    -1, functions};

PyMODINIT_FUNC PyInit__text(void) {
    if (PyType_Ready(&FoldType) < 0 || PyType_Ready(&WithinType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "Fold", (PyObject *)&FoldType) < 0 ||
        PyModule_AddObjectRef(m, "Within", (PyObject *)&WithinType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
