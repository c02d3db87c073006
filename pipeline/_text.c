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
 * the two equal.  The pass that reads the text also tells whether the folded text is of plain
 * characters alone, and so NFKC as it is (``Fold.folded``, normalize._folded): Python's quick
 * check for that was a third pass.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define KEPT ((Py_UCS4)0)           /* a character the fold keeps */
#define STOP ((Py_UCS4)0xFFFFFFFF) /* a character at which the text is not folded */

#define MAPPED 1    /* a flag's bit: the character is in the table, or a stop character */
#define NOT_PLAIN 2 /* a flag's bit: the character, or what the table makes it, is not plain */

typedef struct {
    PyObject_HEAD
    Py_UCS4 *pages[256]; /* per 256 characters of the BMP, what each becomes (NULL: all kept) */
    /* per character of the BMP, its flags: one load a character where the pages took two and a
     * branch that CJK and ASCII, mixed on a line, kept guessing */
    unsigned char flags[0x10000];
} Fold;

static inline Py_UCS4 fold_of(Fold *f, Py_UCS4 ch) {
    return ch < 0x10000 && f->flags[ch] & MAPPED ? f->pages[ch >> 8][ch & 255] : KEPT;
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
    f->flags[from] |= MAPPED;
    return 0;
}

/* Each character's NOT_PLAIN flag: set unless it is in `plain` (NULL: none is), or for one in
 * the table, unless what it becomes is. */
static int plain_flags(Fold *f, PyObject *plain) {
    unsigned char *in = PyMem_Calloc(0x10000, 1);
    if (in == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; plain != NULL && i < PyUnicode_GET_LENGTH(plain); i++) {
        Py_UCS4 ch = PyUnicode_READ_CHAR(plain, i);
        if (ch >= 0x10000) {
            PyMem_Free(in);
            PyErr_SetString(PyExc_ValueError, "a Fold's plain characters are of the BMP only");
            return -1;
        }
        in[ch] = 1;
    }
    for (Py_UCS4 ch = 0; ch < 0x10000; ch++) {
        Py_UCS4 to = fold_of(f, ch), as = to == KEPT || to == STOP ? ch : to;
        if (!(as < 0x10000 && in[as])) f->flags[ch] |= NOT_PLAIN;
    }
    PyMem_Free(in);
    return 0;
}

/* Fold(table, stop, plain=""): table maps ordinals of BMP characters to strings of one
 * character or to ordinals (as str.maketrans makes them), not to NUL; stop holds the characters
 * at which a text is not folded; plain the characters (of the BMP) that ``folded`` calls plain. */
static PyObject *fold_new(PyTypeObject *type, PyObject *args, PyObject *kwargs) {
    PyObject *table, *stop, *plain = NULL, *key, *value;
    if (!PyArg_ParseTuple(args, "O!U|U:Fold", &PyDict_Type, &table, &stop, &plain)) return NULL;
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
    if (plain_flags(f, plain) < 0) {
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
 * stop character anywhere), in *top the largest character of the folded text, and in *plain
 * whether the folded text's characters are all plain. */
#define READ(T)                                                                                                \
    static Py_ssize_t read_##T(Fold *f, const T *data, Py_ssize_t n, Py_UCS4 *top, int *plain) {             \
        Py_ssize_t first = n;                                                                                  \
        Py_UCS4 max = 0;                                                                                       \
        unsigned char seen = 0; /* the flags of the characters, or'ed */                                      \
        for (Py_ssize_t i = 0; i < n; i++) {                                                                   \
            Py_UCS4 ch = data[i];                                                                              \
            unsigned char flag = ch < 0x10000 ? f->flags[ch] : NOT_PLAIN;                                      \
            seen |= flag;                                                                                      \
            if (flag & MAPPED) {                                                                               \
                Py_UCS4 to = f->pages[ch >> 8][ch & 255];                                                      \
                if (to == STOP) return -1;                                                                     \
                ch = to;                                                                                       \
                if (first == n) first = i;                                                                     \
            }                                                                                                  \
            if (ch > max) max = ch;                                                                            \
        }                                                                                                      \
        *top = max;                                                                                            \
        *plain = !(seen & NOT_PLAIN);                                                                          \
        return first;                                                                                          \
    }
READ(Py_UCS1)
READ(Py_UCS2)
READ(Py_UCS4)

/* text.translate(table), or None where text holds a character of `stop`; the text itself where
 * the table maps none of its characters.  In *plain, whether the characters of the folded text
 * are all plain. */
static PyObject *fold_text(Fold *f, PyObject *text, int *plain) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), first;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_UCS4 top = 0;
    first = kind == PyUnicode_1BYTE_KIND   ? read_Py_UCS1(f, data, n, &top, plain)
            : kind == PyUnicode_2BYTE_KIND ? read_Py_UCS2(f, data, n, &top, plain)
                                           : read_Py_UCS4(f, data, n, &top, plain);
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

/* fold(text): ``fold_text``. */
static PyObject *fold_call(Fold *f, PyObject *args, PyObject *kwargs) {
    PyObject *text;
    int plain;
    if (!PyArg_ParseTuple(args, "U:fold", &text)) return NULL;
    return fold_text(f, text, &plain);
}

/* fold.folded(text): (fold(text), whether its characters are all plain; False for None). */
static PyObject *fold_folded(Fold *f, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "folded takes a str");
        return NULL;
    }
    int plain = 0;
    PyObject *folded = fold_text(f, text, &plain);
    if (folded == NULL) return NULL;
    return Py_BuildValue("(NO)", folded, plain && folded != Py_None ? Py_True : Py_False);
}

static PyMethodDef fold_methods[] = {
    {"folded", (PyCFunction)fold_folded, METH_O,
     "folded(text) -> (fold(text), whether the folded text holds plain characters only)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject FoldType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "pipeline._text.Fold",
    .tp_basicsize = sizeof(Fold),
    .tp_dealloc = (destructor)fold_dealloc,
    .tp_call = (ternaryfunc)fold_call,
    .tp_methods = fold_methods,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Fold(table, stop, plain=''): a callable, text -> text.translate(table), or None where text holds a "
              "character of stop; folded(text) also tells whether the folded text holds characters of plain only.",
    .tp_new = fold_new,
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
    if (PyType_Ready(&FoldType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "Fold", (PyObject *)&FoldType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
